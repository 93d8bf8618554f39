// The model core as forward/backward pairs over (B·T)-row buffers (llm.c style): RMSNorm, GQA attention (Qwen2/Llama),
// MLA (DeepSeek V2/V3), SwiGLU MLP, DeepSeekMoE, the decoder block and the V3 MTP module. Every buffer's shape is
// written beside it; forward saves what backward needs; backward *adds* into the arena's gradients and writes the
// gradient of its input (dxn) — the caller routes it through the norm backward into the residual stream.
using System.Numerics.Tensors;
using SharpSeek.Model;
using SharpSeek.Tensors;
using SharpSeek.Training.Kernels;

namespace SharpSeek.Training;

/// <summary>Shared per-batch state: arena, batch shape, positions, document starts, rope tables.</summary>
public sealed class TrainContext(ParameterArena arena, ModelConfig config)
{
    public ParameterArena Arena { get; } = arena;
    public ModelConfig Config { get; } = config;
    public int B { get; set; }
    public int T { get; set; }
    public int BT => B * T;
    public int D => Config.HiddenSize;
    public float Eps => (float)Config.RmsNormEps;
    public int[] Positions { get; set; } = [];          // [B·T] rope position of each row
    public int[]? DocStart { get; set; }                 // [B·T] first key row (within the sequence) each row may see
    public float[] Cos { get; set; } = [];               // [maxPos, ropeDim/2]
    public float[] Sin { get; set; } = [];
    public bool Training { get; set; } = true;           // false: no gradient-only work (e.g. balance-loss statistics)

    public Span<float> W(ParamSlice s, int count = 1) => Arena.Data.AsSpan(s.Offset, s.Length * count);
    public Span<float> GW(ParamSlice s, int count = 1) => Arena.Grad.AsSpan(s.Offset, s.Length * count);
    /// <summary>Slices laid out back to back read as one matrix (fused GEMM): from first through last.</summary>
    public Span<float> Fused(ParamSlice first, ParamSlice last) => Arena.Data.AsSpan(first.Offset, last.Offset + last.Length - first.Offset);
    public Span<float> GFused(ParamSlice first, ParamSlice last) => Arena.Grad.AsSpan(first.Offset, last.Offset + last.Length - first.Offset);
}

static class Buf
{
    public static float[] Ensure([System.Diagnostics.CodeAnalysis.NotNull] ref float[]? a, long n)
    {
        if (a is null || a.Length < n) a = new float[checked((int)n)];
        return a;
    }
}

// ==================================================================== attention
public abstract class AttentionLayer
{
    /// <summary>xn: [BT, D] → y: [BT, D] (overwritten).</summary>
    public abstract void Forward(float[] xn, float[] y);
    /// <summary>dy: [BT, D] → dxn: [BT, D] (overwritten); parameter gradients added.</summary>
    public abstract void Backward(float[] xn, float[] dy, float[] dxn);
}

/// <summary>Grouped-query attention (HF Qwen2 / Llama): fused q|k|v GEMM (+ bias), rotate-half RoPE, scale head_dim^-0.5.</summary>
public sealed class GqaLayer : AttentionLayer
{
    readonly TrainContext c;
    readonly ParamSlice wq, wk, wv, wo;
    readonly ParamSlice? bq, bk, bv;
    readonly int H, KV, hd, Nq, Nk, Nqkv;
    float[]? qkv, att, lse, datt, dqkv;   // qkv [BT, Nqkv] (after rope), att [BT, H·hd], lse [B, H, T]

    public GqaLayer(TrainContext c, LlamaConfig cfg, string p)
    {
        this.c = c;
        H = cfg.NumAttentionHeads; KV = cfg.KvHeads; hd = cfg.AttentionHeadDim;
        Nq = H * hd; Nk = KV * hd; Nqkv = Nq + 2 * Nk;
        int d = cfg.HiddenSize;
        var a = c.Arena;
        wq = a.Add(p + ".q_proj.weight", [Nq, d]);
        wk = a.Add(p + ".k_proj.weight", [Nk, d]);
        wv = a.Add(p + ".v_proj.weight", [Nk, d]);
        if (cfg.QkvBias)
        {
            bq = a.Add(p + ".q_proj.bias", [Nq]);
            bk = a.Add(p + ".k_proj.bias", [Nk]);
            bv = a.Add(p + ".v_proj.bias", [Nk]);
        }
        wo = a.Add(p + ".o_proj.weight", [d, Nq]);
    }

    public ParamSlice OutProjection => wo;

    public override void Forward(float[] xn, float[] y)
    {
        int N = c.BT, d = c.D;
        Buf.Ensure(ref qkv, (long)N * Nqkv); Buf.Ensure(ref att, (long)N * Nq); Buf.Ensure(ref lse, (long)N * H);
        Dense.Forward(xn.AsSpan(0, N * d), c.Fused(wq, wv), bq is null ? default : c.Fused(bq, bv!), qkv.AsSpan(0, N * Nqkv), N, Nqkv, d);
        Rope.Apply(qkv, Nqkv, 0, H, hd, hd, N, c.Positions, c.Cos, c.Sin, interleaved: false, inverse: false);
        Rope.Apply(qkv, Nqkv, Nq, KV, hd, hd, N, c.Positions, c.Cos, c.Sin, interleaved: false, inverse: false);
        int g = H / KV;
        Kernels.Attention.Forward(c.B, c.T, H, new(qkv, Nqkv, 0, 1, hd), new(qkv, Nqkv, Nq, g, hd), new(qkv, Nqkv, Nq + Nk, g, hd),
            new(att, Nq, 0, 1, hd), lse, 1f / MathF.Sqrt(hd), c.DocStart);
        Dense.Forward(att.AsSpan(0, N * Nq), c.W(wo), default, y.AsSpan(0, N * d), N, d, Nq);
    }

    public override void Backward(float[] xn, float[] dy, float[] dxn)
    {
        int N = c.BT, d = c.D, g = H / KV;
        Buf.Ensure(ref datt, (long)N * Nq); Buf.Ensure(ref dqkv, (long)N * Nqkv);
        Dense.BackwardWeight(dy.AsSpan(0, N * d), att.AsSpan(0, N * Nq), c.GW(wo), default, N, d, Nq);
        Dense.BackwardInput(dy.AsSpan(0, N * d), c.W(wo), datt.AsSpan(0, N * Nq), N, d, Nq, accumulate: false);
        dqkv.AsSpan(0, N * Nqkv).Clear();
        Kernels.Attention.Backward(c.B, c.T, H, new(qkv!, Nqkv, 0, 1, hd), new(qkv!, Nqkv, Nq, g, hd), new(qkv!, Nqkv, Nq + Nk, g, hd),
            new(att!, Nq, 0, 1, hd), new(datt, Nq, 0, 1, hd), lse!, 1f / MathF.Sqrt(hd), c.DocStart,
            new(dqkv, Nqkv, 0, 1, hd), new(dqkv, Nqkv, Nq, g, hd), new(dqkv, Nqkv, Nq + Nk, g, hd));
        Rope.Apply(dqkv, Nqkv, 0, H, hd, hd, N, c.Positions, c.Cos, c.Sin, interleaved: false, inverse: true);
        Rope.Apply(dqkv, Nqkv, Nq, KV, hd, hd, N, c.Positions, c.Cos, c.Sin, interleaved: false, inverse: true);
        Dense.BackwardWeight(dqkv.AsSpan(0, N * Nqkv), xn.AsSpan(0, N * d), c.GFused(wq, wv), bq is null ? default : c.GFused(bq, bv!), N, Nqkv, d);
        Dense.BackwardInput(dqkv.AsSpan(0, N * Nqkv), c.Fused(wq, wv), dxn.AsSpan(0, N * d), N, Nqkv, d, accumulate: false);
    }
}

/// <summary>Multi-head latent attention (DeepSeek-V2 §2.1 / V3 §2.1.1), naive form (per-head k, v materialised).
/// One fused GEMM computes [q_a | kv_a] (or [q | kv_a]) from x; interleaved RoPE on q_pe and the shared k_pe.</summary>
public sealed class MlaLayer : AttentionLayer
{
    readonly TrainContext c;
    readonly DeepseekV3Config cfg;
    readonly ParamSlice? wqa, qaNorm, wqb, wq;
    readonly ParamSlice wkva, kvNorm, wkvb, wo;
    readonly int H, qkd, nope, rd, r, vd, qr, Na, qOff, Nkvb;
    readonly float scale;
    // saved: A [BT, Na] = x·[Wq_a|Wkv_a]ᵀ (q_pe, k_pe roped in place); qan [BT, qr]; q [BT, H·qkd] (q LoRA); kvn [BT, r];
    // kvb [BT, H·(nope+vd)]; K [BT, H·qkd]; att [BT, H·vd]; lse [B, H, T]; rstd of q_a and kv norms [BT]
    float[]? A, qan, q, kvn, kvb, K, att, lse, rstdQ, rstdKv;
    float[]? datt, dq, dK, dkvb, dA, dkvn, dqan;

    public MlaLayer(TrainContext c, DeepseekV3Config cfg, string p)
    {
        this.c = c; this.cfg = cfg;
        H = cfg.NumAttentionHeads; qkd = cfg.QkHeadDim; nope = cfg.QkNopeHeadDim; rd = cfg.QkRopeHeadDim; r = cfg.KvLoraRank; vd = cfg.VHeadDim;
        int d = cfg.HiddenSize;
        var a = c.Arena;
        if (cfg.QLoraRank is int rank)
        {
            qr = rank;
            wqa = a.Add(p + ".q_a_proj.weight", [qr, d]);
            wkva = a.Add(p + ".kv_a_proj_with_mqa.weight", [r + rd, d]);
            qaNorm = a.Add(p + ".q_a_layernorm.weight", [qr]);
            wqb = a.Add(p + ".q_b_proj.weight", [H * qkd, qr]);
            qOff = qr;
        }
        else
        {
            wq = a.Add(p + ".q_proj.weight", [H * qkd, d]);
            wkva = a.Add(p + ".kv_a_proj_with_mqa.weight", [r + rd, d]);
            qOff = H * qkd;
        }
        Na = qOff + r + rd;
        kvNorm = a.Add(p + ".kv_a_layernorm.weight", [r]);
        Nkvb = H * (nope + vd);
        wkvb = a.Add(p + ".kv_b_proj.weight", [Nkvb, r]);
        wo = a.Add(p + ".o_proj.weight", [d, H * vd]);
        scale = Mla.SoftmaxScale(cfg);
    }

    public ParamSlice OutProjection => wo;
    ParamSlice First => wqa ?? wq!;
    bool Lora => wqa is not null;

    public override void Forward(float[] xn, float[] y)
    {
        int N = c.BT, d = c.D, Nq = H * qkd;
        Buf.Ensure(ref A, (long)N * Na); Buf.Ensure(ref kvn, (long)N * r); Buf.Ensure(ref kvb, (long)N * Nkvb);
        Buf.Ensure(ref K, (long)N * Nq); Buf.Ensure(ref att, (long)N * H * vd); Buf.Ensure(ref lse, (long)N * H); Buf.Ensure(ref rstdKv, N);
        Dense.Forward(xn.AsSpan(0, N * d), c.Fused(First, wkva), default, A.AsSpan(0, N * Na), N, Na, d);
        float[] qbuf; int ldq;
        if (Lora)
        {
            Buf.Ensure(ref qan, (long)N * qr); Buf.Ensure(ref q, (long)N * Nq); Buf.Ensure(ref rstdQ, N);
            Norm.RmsForward(A, Na, 0, c.Arena.Data, qan, qr, 0, rstdQ, N, qr, c.Eps, qaNorm!.Offset);
            Dense.Forward(qan.AsSpan(0, N * qr), c.W(wqb!), default, q.AsSpan(0, N * Nq), N, Nq, qr);
            qbuf = q; ldq = Nq;
        }
        else { qbuf = A; ldq = Na; }
        Norm.RmsForward(A, Na, qOff, c.Arena.Data, kvn, r, 0, rstdKv, N, r, c.Eps, kvNorm.Offset);
        Rope.Apply(qbuf, ldq, nope, H, qkd, rd, N, c.Positions, c.Cos, c.Sin, interleaved: true, inverse: false);
        Rope.Apply(A, Na, qOff + r, 1, rd, rd, N, c.Positions, c.Cos, c.Sin, interleaved: true, inverse: false);
        Dense.Forward(kvn.AsSpan(0, N * r), c.W(wkvb), default, kvb.AsSpan(0, N * Nkvb), N, Nkvb, r);
        var Kb = K; var kvbb = kvb; var Ab = A;
        WorkerPool.Shared.ForEach(N, i =>
        {
            for (int h = 0; h < H; h++)
            {
                kvbb.AsSpan(i * Nkvb + h * (nope + vd), nope).CopyTo(Kb.AsSpan(i * Nq + h * qkd, nope));
                Ab.AsSpan(i * Na + qOff + r, rd).CopyTo(Kb.AsSpan(i * Nq + h * qkd + nope, rd));
            }
        });
        Kernels.Attention.Forward(c.B, c.T, H, new(qbuf, ldq, 0, 1, qkd), new(K, Nq, 0, 1, qkd), new(kvb, Nkvb, nope, 1, vd, nope + vd),
            new(att, H * vd, 0, 1, vd), lse, scale, c.DocStart);
        Dense.Forward(att.AsSpan(0, N * H * vd), c.W(wo), default, y.AsSpan(0, N * d), N, d, H * vd);
    }

    public override void Backward(float[] xn, float[] dy, float[] dxn)
    {
        int N = c.BT, d = c.D, Nq = H * qkd, Nv = H * vd;
        Buf.Ensure(ref datt, (long)N * Nv); Buf.Ensure(ref dK, (long)N * Nq); Buf.Ensure(ref dkvb, (long)N * Nkvb);
        Buf.Ensure(ref dA, (long)N * Na); Buf.Ensure(ref dkvn, (long)N * r);
        Dense.BackwardWeight(dy.AsSpan(0, N * d), att.AsSpan(0, N * Nv), c.GW(wo), default, N, d, Nv);
        Dense.BackwardInput(dy.AsSpan(0, N * d), c.W(wo), datt.AsSpan(0, N * Nv), N, d, Nv, accumulate: false);
        float[] qbuf, dqbuf; int ldq;
        dA.AsSpan(0, N * Na).Clear();
        if (Lora) { Buf.Ensure(ref dq, (long)N * Nq); dq.AsSpan(0, N * Nq).Clear(); qbuf = q!; dqbuf = dq; ldq = Nq; }
        else { qbuf = A!; dqbuf = dA; ldq = Na; }
        dK.AsSpan(0, N * Nq).Clear(); dkvb.AsSpan(0, N * Nkvb).Clear();
        Kernels.Attention.Backward(c.B, c.T, H, new(qbuf, ldq, 0, 1, qkd), new(K!, Nq, 0, 1, qkd), new(kvb!, Nkvb, nope, 1, vd, nope + vd),
            new(att!, Nv, 0, 1, vd), new(datt, Nv, 0, 1, vd), lse!, scale, c.DocStart,
            new(dqbuf, ldq, 0, 1, qkd), new(dK, Nq, 0, 1, qkd), new(dkvb, Nkvb, nope, 1, vd, nope + vd));
        // dK → k_nope part of dkvb, and Σ_h k_pe part → dA's k_pe columns
        var dKb = dK; var dkvbb = dkvb; var dAb = dA;
        WorkerPool.Shared.ForEach(N, i =>
        {
            var dpe = dAb.AsSpan(i * Na + qOff + r, rd);
            for (int h = 0; h < H; h++)
            {
                dKb.AsSpan(i * Nq + h * qkd, nope).CopyTo(dkvbb.AsSpan(i * Nkvb + h * (nope + vd), nope));
                TensorPrimitives.Add(dpe, dKb.AsSpan(i * Nq + h * qkd + nope, rd), dpe);
            }
        });
        Rope.Apply(dA, Na, qOff + r, 1, rd, rd, N, c.Positions, c.Cos, c.Sin, interleaved: true, inverse: true);
        Rope.Apply(dqbuf, ldq, nope, H, qkd, rd, N, c.Positions, c.Cos, c.Sin, interleaved: true, inverse: true);
        Dense.BackwardWeight(dkvb.AsSpan(0, N * Nkvb), kvn.AsSpan(0, N * r), c.GW(wkvb), default, N, Nkvb, r);
        Dense.BackwardInput(dkvb.AsSpan(0, N * Nkvb), c.W(wkvb), dkvn.AsSpan(0, N * r), N, Nkvb, r, accumulate: false);
        Norm.RmsBackward(dkvn, r, 0, A!, Na, qOff, c.Arena.Data, kvNorm.Offset, rstdKv!, dA, Na, qOff, c.Arena.Grad, kvNorm.Offset, N, r, accumulateDx: false);
        if (Lora)
        {
            Buf.Ensure(ref dqan, (long)N * qr);
            Dense.BackwardWeight(dq!.AsSpan(0, N * Nq), qan.AsSpan(0, N * qr), c.GW(wqb!), default, N, Nq, qr);
            Dense.BackwardInput(dq.AsSpan(0, N * Nq), c.W(wqb!), dqan.AsSpan(0, N * qr), N, Nq, qr, accumulate: false);
            Norm.RmsBackward(dqan, qr, 0, A!, Na, 0, c.Arena.Data, qaNorm!.Offset, rstdQ!, dA, Na, 0, c.Arena.Grad, qaNorm.Offset, N, qr, accumulateDx: false);
        }
        Dense.BackwardWeight(dA.AsSpan(0, N * Na), xn.AsSpan(0, N * d), c.GFused(First, wkva), default, N, Na, d);
        Dense.BackwardInput(dA.AsSpan(0, N * Na), c.Fused(First, wkva), dxn.AsSpan(0, N * d), N, Na, d, accumulate: false);
    }
}
