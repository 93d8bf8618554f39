// The trainable causal LM of every supported family over a (B, T) batch: embed → blocks → norm → head →
// cross-entropy, plus DeepSeek-V3's MTP module (depth 1) with its own loss (V3 §2.2, eq. 21–25). Parameters live in
// one ParameterArena under their Hugging Face names; Save writes an HF checkpoint the inference path loads.
// Forward then Backward is one training micro-step; the cross-entropy backward is fused into Forward (llm.c).
using System.Numerics.Tensors;
using SharpSeek.Formats;
using SharpSeek.Model;
using SharpSeek.Training.Kernels;

namespace SharpSeek.Training;

/// <summary>Pre-norm decoder block: x_mid = x + attn(norm1(x)); x_out = x_mid + ffn(norm2(x_mid)).</summary>
public sealed class BlockLayer
{
    readonly TrainContext c;
    public readonly ParamSlice Norm1, Norm2;
    public readonly AttentionLayer Attn;
    public readonly FfnLayer Ffn;
    // saved: xn1, xmid, xn2 [BT, D]; rstd1, rstd2 [BT]; a, f: scratch [BT, D]
    float[]? xn1, xmid, xn2, rstd1, rstd2, tmp, dxn;

    public BlockLayer(TrainContext c, ModelConfig cfg, string p, int layer)
    {
        this.c = c;
        int d = cfg.HiddenSize;
        Norm1 = c.Arena.Add(p + ".input_layernorm.weight", [d]);
        Attn = cfg is DeepseekV3Config ds ? new MlaLayer(c, ds, p + ".self_attn") : new GqaLayer(c, (LlamaConfig)cfg, p + ".self_attn");
        Norm2 = c.Arena.Add(p + ".post_attention_layernorm.weight", [d]);
        Ffn = cfg is DeepseekV3Config dc && dc.IsMoeLayer(layer)
            ? new MoeLayer(c, dc, p + ".mlp")
            : new MlpLayer(c, p + ".mlp", d, cfg.IntermediateSize);
    }

    /// <summary>x: [BT, D] input (kept by the caller until Backward) → y: [BT, D].</summary>
    public void Forward(float[] x, float[] y)
    {
        int N = c.BT, D = c.D;
        Buf.Ensure(ref xn1, (long)N * D); Buf.Ensure(ref xmid, (long)N * D); Buf.Ensure(ref xn2, (long)N * D);
        Buf.Ensure(ref rstd1, N); Buf.Ensure(ref rstd2, N); Buf.Ensure(ref tmp, (long)N * D);
        var data = c.Arena.Data;
        Norm.RmsForward(x, D, 0, data, xn1, D, 0, rstd1, N, D, c.Eps, Norm1.Offset);
        Attn.Forward(xn1, tmp);
        TensorPrimitives.Add(x.AsSpan(0, N * D), tmp.AsSpan(0, N * D), xmid.AsSpan(0, N * D));
        Norm.RmsForward(xmid, D, 0, data, xn2, D, 0, rstd2, N, D, c.Eps, Norm2.Offset);
        Ffn.Forward(xn2, tmp);
        TensorPrimitives.Add(xmid.AsSpan(0, N * D), tmp.AsSpan(0, N * D), y.AsSpan(0, N * D));
    }

    /// <summary>dx: [BT, D] gradient of the block output on entry, of its input x on return (in place).</summary>
    public void Backward(float[] x, float[] dx)
    {
        int N = c.BT, D = c.D;
        Buf.Ensure(ref dxn, (long)N * D);
        Ffn.Backward(xn2!, dx, dxn);
        Norm.RmsBackward(dxn, D, 0, xmid!, D, 0, c.Arena.Data, Norm2.Offset, rstd2!, dx, D, 0, c.Arena.Grad, Norm2.Offset, N, D);
        Attn.Backward(xn1!, dx, dxn);
        Norm.RmsBackward(dxn, D, 0, x, D, 0, c.Arena.Data, Norm1.Offset, rstd1!, dx, D, 0, c.Arena.Grad, Norm1.Offset, N, D);
    }

    public IEnumerable<ParamSlice> OutProjections()
    {
        yield return Attn switch { GqaLayer g => g.OutProjection, MlaLayer m => m.OutProjection, _ => throw new InvalidOperationException() };
        if (Ffn is MlpLayer mlp) yield return mlp.OutProjection;
        if (Ffn is MoeLayer moe) foreach (var s in moe.OutProjections) yield return s;
    }
}

/// <summary>One training batch: B sequences of T input ids and their targets (−1 = no loss), row-major [B·T].</summary>
public sealed record Batch(int B, int T, int[] Inputs, int[] Targets, int[]? DocStart = null, int[]? Positions = null);

public sealed class TrainModel
{
    public ModelConfig Config { get; }
    public ParameterArena Arena { get; } = new();
    public TrainContext Ctx { get; }
    public BlockLayer[] Blocks { get; }
    public readonly ParamSlice Embedding, FinalNorm, Head;
    readonly RopeTable rope;
    readonly int ropeDim;
    // MTP (depth 1) at layer index num_hidden_layers
    public readonly ParamSlice? MtpEnorm, MtpHnorm, MtpEhProj, MtpNorm;
    public BlockLayer? MtpBlock { get; }
    /// <summary>MTP loss weight λ (V3 §2.2); the total loss is L_main + λ·L_MTP. 0 skips the MTP forward.</summary>
    public float MtpWeight { get; set; } = 0.3f;

    int D => Config.HiddenSize;
    int V => Config.VocabSize;

    // saved activations: resid[l] [BT, D] input of block l (resid[L] = last output); xf [BT, D] final-normed hidden;
    // rstdF [BT]; logits [BT, V] (dlogits after Forward). MTP: cat [BT, 2D], rstdE, rstdH, mx [BT, D] block input,
    // mout [BT, D] block output, mxf [BT, D], rstdM, mlogits [BT, V], mtpTargets [BT], embIds [BT] (−1 = zeroed)
    float[][] resid = [];
    float[]? xf, rstdF, logits, dx, dxf, cat, rstdE, rstdH, mx, mout, mxf, rstdM, mlogits, dcat, dmx;
    int[]? mtpTargets, embIds;
    Batch? last;
    bool policyMode;
    public double LastMainLoss { get; private set; }
    public double LastMtpLoss { get; private set; }
    public double LastBalanceLoss { get; private set; }

    public TrainModel(ModelConfig config)
    {
        Config = config;
        Ctx = new TrainContext(Arena, config);
        int d = config.HiddenSize, v = config.VocabSize;
        Embedding = Arena.Add("model.embed_tokens.weight", [v, d]);
        Blocks = new BlockLayer[config.NumHiddenLayers];
        for (int l = 0; l < Blocks.Length; l++) Blocks[l] = new BlockLayer(Ctx, config, $"model.layers.{l}", l);
        FinalNorm = Arena.Add("model.norm.weight", [d]);
        Head = config.TieWordEmbeddings ? Embedding : Arena.Add("lm_head.weight", [v, d]);
        if (config is DeepseekV3Config ds && ds.NumNextnPredictLayers > 0)
        {
            string p = $"model.layers.{config.NumHiddenLayers}";
            MtpEnorm = Arena.Add(p + ".enorm.weight", [d]);
            MtpHnorm = Arena.Add(p + ".hnorm.weight", [d]);
            MtpEhProj = Arena.Add(p + ".eh_proj.weight", [d, 2 * d]);
            MtpBlock = new BlockLayer(Ctx, config, p, config.NumHiddenLayers);
            MtpNorm = Arena.Add(p + ".shared_head.norm.weight", [d]);
        }
        Arena.Allocate();
        ropeDim = config is DeepseekV3Config dc ? dc.QkRopeHeadDim : ((LlamaConfig)config).AttentionHeadDim;
        rope = RopeTable.Create(ropeDim, config.RopeTheta, config.RopeScaling);
        foreach (var b in AllBlocks) if (b.Ffn is MoeLayer m) m.BalanceAlpha = 0;
    }

    public IEnumerable<BlockLayer> AllBlocks => MtpBlock is null ? Blocks : Blocks.Append(MtpBlock);
    public IEnumerable<MoeLayer> MoeLayers => AllBlocks.Select(b => b.Ffn).OfType<MoeLayer>();
    public bool HasMtp => MtpBlock is not null;

    /// <summary>Sets the sequence-wise balance loss weight α on every MoE layer.</summary>
    public void SetBalanceAlpha(float alpha) { foreach (var m in MoeLayers) m.BalanceAlpha = alpha; }

    // ------------------------------------------------------------------ init / load / save
    /// <summary>GPT-2 style init: N(0, 0.02) matrices, output projections N(0, 0.02/√(2L)), norms 1, biases 0.</summary>
    public void Initialize(ulong seed)
    {
        var rng = new SplitMix64(seed);
        var outProj = AllBlocks.SelectMany(b => b.OutProjections()).Select(s => s.Name).ToHashSet();
        float residStd = 0.02f / MathF.Sqrt(2 * Config.NumHiddenLayers);
        foreach (var s in Arena.Slices)
        {
            var p = Arena.P(s);
            if (!s.Trainable || s.Name.EndsWith(".bias", StringComparison.Ordinal)) p.Clear();
            else if (s.Shape.Length == 1) p.Fill(1f);
            else
            {
                float std = outProj.Contains(s.Name) ? residStd : 0.02f;
                for (int i = 0; i < p.Length; i++) p[i] = std * rng.NextGaussian();
            }
        }
    }

    /// <summary>Loads every parameter from an HF checkpoint folder (names and shapes must match this config).</summary>
    public void LoadWeights(string dir)
    {
        using var ck = Checkpoint.Open(dir);
        foreach (var s in Arena.Slices)
        {
            if (!ck.Contains(s.Name))
                throw new CheckpointException(ck.Directory, s.Name, $"tensor '{s.Name}' not found in {ck.Directory}; the config implies it with shape [{string.Join(", ", s.Shape)}]");
            var shape = ck.Info(s.Name).Shape;
            if (!shape.SequenceEqual(s.Shape.Select(x => (long)x)))
                throw new ShapeMismatchException($"tensor {s.Name} has shape [{string.Join(", ", shape)}] in {ck.Directory}, this model expects [{string.Join(", ", s.Shape)}]: the checkpoint was made for another config");
            ck.ReadFloat32(s.Name, Arena.P(s));
        }
    }

    /// <summary>HF tensors: every arena slice (the tied head is not repeated), plus the MTP layer's copies of the shared
    /// embedding and head that the release format (and vLLM) expect.</summary>
    public List<SafetensorsWriter.Tensor> Tensors(float[]? source = null, string prefix = "")
    {
        var src = source ?? Arena.Data;
        var list = new List<SafetensorsWriter.Tensor>();
        foreach (var s in Arena.Slices)
            list.Add(SafetensorsWriter.Tensor.FromFloat32(prefix + s.Name, s.Shape.Select(x => (long)x).ToArray(), src.AsSpan(s.Offset, s.Length).ToArray()));
        if (HasMtp && source is null)
        {
            string p = $"model.layers.{Config.NumHiddenLayers}";
            list.Add(SafetensorsWriter.Tensor.FromFloat32(p + ".embed_tokens.weight", [V, D], Arena.P(Embedding).ToArray()));
            list.Add(SafetensorsWriter.Tensor.FromFloat32(p + ".shared_head.head.weight", [V, D], Arena.P(Head).ToArray()));
        }
        return list;
    }

    // ------------------------------------------------------------------ forward / backward
    void Prepare(Batch batch)
    {
        int B = batch.B, T = batch.T, N = B * T;
        if (batch.Inputs.Length != N || batch.Targets.Length != N) throw new ArgumentException($"batch holds {batch.Inputs.Length} inputs / {batch.Targets.Length} targets, expected B·T = {N}");
        foreach (var id in batch.Inputs) if ((uint)id >= (uint)V) throw new ArgumentOutOfRangeException(nameof(batch), id, $"token id {id} is out of range for vocab_size {V}");
        foreach (var id in batch.Targets) if (id >= V) throw new ArgumentOutOfRangeException(nameof(batch), id, $"target id {id} is out of range for vocab_size {V}");
        Ctx.B = B; Ctx.T = T;
        var pos = batch.Positions;
        if (pos is null)
        {
            pos = new int[N];
            for (int i = 0; i < N; i++) pos[i] = batch.DocStart is null ? i % T : i % T - batch.DocStart[i];
        }
        Ctx.Positions = pos;
        Ctx.DocStart = batch.DocStart;
        int maxPos = pos.Max() + 1;
        if (Ctx.Cos.Length < maxPos * ropeDim / 2)
        {
            int half = ropeDim / 2;
            var cos = new float[maxPos * half]; var sin = new float[maxPos * half];
            for (int p = 0; p < maxPos; p++) rope.CosSin(p, cos.AsSpan(p * half, half), sin.AsSpan(p * half, half));
            Ctx.Cos = cos; Ctx.Sin = sin;
        }
        if (resid.Length != Blocks.Length + 1) resid = new float[Blocks.Length + 1][];
        for (int l = 0; l <= Blocks.Length; l++) Buf.Ensure(ref resid[l], (long)N * D);
    }

    /// <summary>Forward over the batch; returns logits [B·T, V] (a copy) without touching gradients.</summary>
    public float[] Logits(Batch batch, bool mtp = false)
    {
        bool was = Ctx.Training;
        Ctx.Training = false;
        try
        {
            Forward(batch, lossScale: 0, keepLogits: true);
            int N = batch.B * batch.T;
            return (mtp ? mlogits! : logits!).AsSpan(0, N * V).ToArray();
        }
        finally { Ctx.Training = was; }
    }

    /// <summary>Forward + fused cross-entropy gradient. Returns the total loss L_main + λ·L_MTP + L_bal (unscaled);
    /// lossScale (e.g. 1/grad_accum) multiplies the gradients Backward will produce.</summary>
    public double Forward(Batch batch, float lossScale = 1f, bool keepLogits = false)
    {
        Prepare(batch);
        last = batch;
        foreach (var m in MoeLayers) m.GradScale = lossScale;
        int N = batch.B * batch.T, d = D;
        Buf.Ensure(ref xf, (long)N * d); Buf.Ensure(ref rstdF, N); Buf.Ensure(ref logits, (long)N * V);
        var emb = Arena.Data.AsSpan(Embedding.Offset, Embedding.Length);
        var x0 = resid[0];
        for (int i = 0; i < N; i++) emb.Slice(batch.Inputs[i] * d, d).CopyTo(x0.AsSpan(i * d, d));
        for (int l = 0; l < Blocks.Length; l++) Blocks[l].Forward(resid[l], resid[l + 1]);
        Norm.RmsForward(resid[^1], d, 0, Arena.Data, xf, d, 0, rstdF, N, d, Ctx.Eps, FinalNorm.Offset);
        Dense.Forward(xf.AsSpan(0, N * d), Arena.Data.AsSpan(Head.Offset, Head.Length), default, logits.AsSpan(0, N * V), N, V, d);

        int valid = batch.Targets.Count(t => t >= 0);
        LastMainLoss = LastMtpLoss = 0;
        if (!keepLogits)
            LastMainLoss = CrossEntropy.ForwardBackward(logits, N, V, batch.Targets, 0, 1, lossScale / Math.Max(valid, 1)) / Math.Max(valid, 1);
        if (HasMtp && !policyMode && (MtpWeight > 0 || keepLogits)) MtpForward(batch, lossScale, keepLogits);
        LastBalanceLoss = MoeLayers.Sum(m => m.BalanceLoss);
        return LastMainLoss + MtpWeight * LastMtpLoss + LastBalanceLoss;
    }

    /// <summary>
    /// Policy-gradient forward (GRPO): the main model only (no MTP, no CE gradient yet), activations saved for
    /// PolicyBackward; writes log p(target) of every row into logp [B·T] (0 where the target is −1).
    /// </summary>
    public void PolicyForward(Batch batch, float[] logp)
    {
        policyMode = true;
        try { Forward(batch, lossScale: 1, keepLogits: true); }
        finally { policyMode = false; }
        int N = batch.B * batch.T;
        CrossEntropy.TargetLogProbs(logits.AsSpan(0, N * V), N, V, batch.Targets, logp);
    }

    /// <summary>
    /// Adds the gradient of a loss L(logp) given dL/dlogp per row [B·T] after PolicyForward on the same batch:
    /// dL/dlogits_i = dL/dlogp_i · (onehot(y_i) − softmax_i), i.e. the cross-entropy gradient scaled by −dL/dlogp_i.
    /// </summary>
    public void PolicyBackward(float[] dlogp)
    {
        var batch = last ?? throw new InvalidOperationException("PolicyBackward needs a PolicyForward first");
        int N = batch.B * batch.T;
        var rowScale = new float[N];
        for (int i = 0; i < N; i++) rowScale[i] = -dlogp[i];
        CrossEntropy.ForwardBackward(logits!, N, V, batch.Targets, 0, 1, 1f, rowScale: rowScale);
        float mtp = MtpWeight;
        MtpWeight = 0;
        try { Backward(); }
        finally { MtpWeight = mtp; }
    }

    // MTP depth 1: row (b, t) combines h_t (main final-normed hidden) with Emb(y_t) (the next input token) and predicts
    // y_{t+1}. As the inference module (vLLM semantics), the embedding of rope position 0 is zeroed.
    void MtpForward(Batch batch, float lossScale, bool keepLogits)
    {
        int N = batch.B * batch.T, T = batch.T, d = D;
        Buf.Ensure(ref cat, (long)N * 2 * d); Buf.Ensure(ref rstdE, N); Buf.Ensure(ref rstdH, N);
        Buf.Ensure(ref mx, (long)N * d); Buf.Ensure(ref mout, (long)N * d); Buf.Ensure(ref mxf, (long)N * d);
        Buf.Ensure(ref rstdM, N); Buf.Ensure(ref mlogits, (long)N * V);
        if (mtpTargets is null || mtpTargets.Length < N) { mtpTargets = new int[N]; embIds = new int[N]; }
        var emb = Arena.Data.AsSpan(Embedding.Offset, Embedding.Length);
        var e = mx;                                            // scratch: embeddings [BT, D]
        for (int i = 0; i < N; i++)
        {
            int t = i % T, y = batch.Targets[i];
            bool inDoc = t + 1 < T && (batch.DocStart is null || batch.DocStart[i + 1] == batch.DocStart[i]);
            mtpTargets[i] = y >= 0 && inDoc ? batch.Targets[i + 1] : -1;
            embIds![i] = Ctx.Positions[i] == 0 || y < 0 ? -1 : y;
            if (embIds[i] < 0) e.AsSpan(i * d, d).Clear();
            else emb.Slice(y * d, d).CopyTo(e.AsSpan(i * d, d));
        }
        Norm.RmsForward(e, d, 0, Arena.Data, cat, 2 * d, 0, rstdE, N, d, Ctx.Eps, MtpEnorm!.Offset);
        Norm.RmsForward(xf!, d, 0, Arena.Data, cat, 2 * d, d, rstdH, N, d, Ctx.Eps, MtpHnorm!.Offset);
        Dense.Forward(cat.AsSpan(0, N * 2 * d), Arena.P(MtpEhProj!), default, mx.AsSpan(0, N * d), N, d, 2 * d);
        MtpBlock!.Forward(mx, mout);
        Norm.RmsForward(mout, d, 0, Arena.Data, mxf, d, 0, rstdM, N, d, Ctx.Eps, MtpNorm!.Offset);
        Dense.Forward(mxf.AsSpan(0, N * d), Arena.Data.AsSpan(Head.Offset, Head.Length), default, mlogits.AsSpan(0, N * V), N, V, d);
        if (keepLogits) return;
        int valid = 0;
        for (int i = 0; i < N; i++) if (mtpTargets[i] >= 0) valid++;
        LastMtpLoss = CrossEntropy.ForwardBackward(mlogits, N, V, mtpTargets, 0, 1, MtpWeight * lossScale / Math.Max(valid, 1)) / Math.Max(valid, 1);
    }

    /// <summary>Adds every parameter's gradient of the loss of the last Forward (× its lossScale).</summary>
    public void Backward()
    {
        var batch = last ?? throw new InvalidOperationException("Backward needs a Forward first");
        int N = batch.B * batch.T, d = D;
        Buf.Ensure(ref dx, (long)N * d); Buf.Ensure(ref dxf, (long)N * d);
        var headW = Arena.Data.AsSpan(Head.Offset, Head.Length);
        var headG = Arena.Grad.AsSpan(Head.Offset, Head.Length);
        Dense.BackwardWeight(logits.AsSpan(0, N * V), xf.AsSpan(0, N * d), headG, default, N, V, d);
        Dense.BackwardInput(logits.AsSpan(0, N * V), headW, dxf.AsSpan(0, N * d), N, V, d, accumulate: false);
        if (HasMtp && MtpWeight > 0) MtpBackward(N);
        dx.AsSpan(0, N * d).Clear();
        Norm.RmsBackward(dxf, d, 0, resid[^1], d, 0, Arena.Data, FinalNorm.Offset, rstdF!, dx, d, 0, Arena.Grad, FinalNorm.Offset, N, d);
        for (int l = Blocks.Length - 1; l >= 0; l--) Blocks[l].Backward(resid[l], dx);
        var ge = Arena.Grad.AsSpan(Embedding.Offset, Embedding.Length);
        for (int i = 0; i < N; i++)
        {
            var row = ge.Slice(batch.Inputs[i] * d, d);
            TensorPrimitives.Add(row, dx.AsSpan(i * d, d), row);
        }
    }

    void MtpBackward(int N)
    {
        int d = D;
        Buf.Ensure(ref dmx, (long)N * d); Buf.Ensure(ref dcat, (long)N * 2 * d);
        var headW = Arena.Data.AsSpan(Head.Offset, Head.Length);
        var headG = Arena.Grad.AsSpan(Head.Offset, Head.Length);
        var dmxf = dmx;                                        // [BT, D] grad of mxf, then of the block output
        Dense.BackwardWeight(mlogits!.AsSpan(0, N * V), mxf!.AsSpan(0, N * d), headG, default, N, V, d);
        Dense.BackwardInput(mlogits.AsSpan(0, N * V), headW, dmxf.AsSpan(0, N * d), N, V, d, accumulate: false);
        var dout = new float[N * d];
        Norm.RmsBackward(dmxf, d, 0, mout!, d, 0, Arena.Data, MtpNorm!.Offset, rstdM!, dout, d, 0, Arena.Grad, MtpNorm.Offset, N, d, accumulateDx: false);
        MtpBlock!.Backward(mx!, dout);                         // dout: grad of the block input now
        Dense.BackwardWeight(dout, cat.AsSpan(0, N * 2 * d), Arena.G(MtpEhProj!), default, N, d, 2 * d);
        Dense.BackwardInput(dout, Arena.P(MtpEhProj!), dcat.AsSpan(0, N * 2 * d), N, d, 2 * d, accumulate: false);
        // hnorm half → main hidden xf; enorm half → embedding rows (not for zeroed positions)
        Norm.RmsBackward(dcat, 2 * d, d, xf!, d, 0, Arena.Data, MtpHnorm!.Offset, rstdH!, dxf!, d, 0, Arena.Grad, MtpHnorm.Offset, N, d);
        var de = new float[N * d];
        var e = new float[N * d];
        var emb = Arena.Data.AsSpan(Embedding.Offset, Embedding.Length);
        for (int i = 0; i < N; i++) if (embIds![i] >= 0) emb.Slice(embIds[i] * d, d).CopyTo(e.AsSpan(i * d, d));
        Norm.RmsBackward(dcat, 2 * d, 0, e, d, 0, Arena.Data, MtpEnorm!.Offset, rstdE!, de, d, 0, Arena.Grad, MtpEnorm.Offset, N, d);
        var ge = Arena.Grad.AsSpan(Embedding.Offset, Embedding.Length);
        for (int i = 0; i < N; i++)
            if (embIds![i] >= 0) { var row = ge.Slice(embIds[i] * d, d); TensorPrimitives.Add(row, de.AsSpan(i * d, d), row); }
    }

    public long ParameterCount => Arena.TrainableCount;
}

/// <summary>SplitMix64 (Steele et al. 2014): a tiny, seedable, platform-independent RNG for init and shuffling.</summary>
public sealed class SplitMix64(ulong seed)
{
    ulong state = seed;
    public ulong State { get => state; set => state = value; }

    public ulong Next()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    public int NextInt(int n) => (int)(NextDouble() * n);

    public float NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
