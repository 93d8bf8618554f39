// The fast inference path: weights in their stored types (memory-mapped where possible), quantized matmul kernels,
// a worker pool, absorbed MLA over a latent cache, MoE that groups the batch's rows by expert, and run-state buffers
// allocated once so the token loop allocates nothing. A forward takes a batch of rows — a prompt chunk of one
// sequence, one new token of each of several sequences, or a mix — and is tested against Transformer (the oracle).
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Inference;

public sealed record InferenceOptions
{
    /// <summary>Worker threads (`-t N`).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Rows one forward takes at most (longer prompts are split into chunks of this size).</summary>
    public int MaxBatch { get; init; } = 64;
    /// <summary>Longest sequence a SequenceState may hold; bounds the rope table and attention scratch.</summary>
    public int MaxContext { get; init; } = 4096;
    /// <summary>Store the KV cache in f16 instead of f32.</summary>
    public bool F16Cache { get; init; }
    /// <summary>
    /// MLA prefill switches to the naive form (k_nope and v expanded from the cached latents by one batched
    /// kv_b_proj product, attention in head dims) when a batch holds at least this many rows of one sequence
    /// whose context is at most NaiveMlaMaxContext; decode steps always run absorbed. 0 disables it.
    /// </summary>
    public int NaiveMlaMinRows { get; init; } = 16;
    public int NaiveMlaMaxContext { get; init; } = 4096;
    /// <summary>
    /// GQA prefill: a batch holding at least this many rows of one sequence runs attention per head as two GEMMs
    /// over the cached keys (CausalHeadAttention) instead of one dot per (row, key). 0 disables it.
    /// </summary>
    public int ChunkAttentionMinRows { get; init; } = 16;
    /// <summary>MoE prefill: from this many rows, whole experts run on separate threads (each single-threaded). 0 disables it.</summary>
    public int ExpertParallelMinRows { get; init; } = 16;
    /// <summary>Load the multi-token-prediction module (for speculative decoding) when the checkpoint has one.</summary>
    public bool LoadMtp { get; init; } = true;
}

/// <summary>One row of a batch: a token at a position of a sequence; WantLogits asks for its logits row.</summary>
public readonly record struct BatchRow(int Token, int Position, SequenceState Sequence, bool WantLogits = true);

public sealed partial class InferenceModel : IDisposable
{
    public ModelConfig Config { get; }
    public InferenceOptions Options { get; }
    public WorkerPool Pool { get; }
    readonly ITensorSource source;
    readonly WeightMatrix embedding, output;
    readonly float[] finalNorm;
    readonly Layer[] layers;
    readonly MtpHead? mtp;
    readonly RopeTable rope;
    readonly float[] ropeCos, ropeSin;           // [MaxContext, rope_dim/2]
    readonly Scratch s;

    int D => Config.HiddenSize;
    int V => Config.VocabSize;
    float Eps => (float)Config.RmsNormEps;
    public int MaxContext => Options.MaxContext;

    InferenceModel(ITensorSource source, ModelConfig config, InferenceOptions options)
    {
        this.source = source;
        Config = config;
        Options = options with { MaxContext = Math.Min(options.MaxContext, config.MaxPositionEmbeddings) };
        if (Options.MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxBatch must be ≥ 1");
        var w = new WeightLoader(source, config);
        int d = config.HiddenSize, v = config.VocabSize;
        embedding = w.Matrix("model.embed_tokens.weight", "vocab_size, hidden_size", v, d);
        output = config.TieWordEmbeddings ? embedding : w.Projection("lm_head.weight", "vocab_size, hidden_size", v, d);
        finalNorm = w.Norm("model.norm", "hidden_size", d);
        layers = new Layer[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = Layer.Load(w, config, i);
        if (config is DeepseekV3Config { NumNextnPredictLayers: > 0 } mc && options.LoadMtp)
            mtp = MtpHead.Load(w, mc, config.NumHiddenLayers, output);

        int ropeDim = config is DeepseekV3Config ds ? ds.QkRopeHeadDim : ((LlamaConfig)config).AttentionHeadDim;
        rope = RopeTable.Create(ropeDim, config.RopeTheta, config.RopeScaling);
        ropeCos = new float[MaxContext * ropeDim / 2];
        ropeSin = new float[MaxContext * ropeDim / 2];
        for (int p = 0; p < MaxContext; p++)
            rope.CosSin(p, ropeCos.AsSpan(p * ropeDim / 2, ropeDim / 2), ropeSin.AsSpan(p * ropeDim / 2, ropeDim / 2));
        Pool = new WorkerPool(Math.Max(1, options.Threads));
        s = new Scratch(this);
    }

    /// <summary>A model over any tensor source (it takes ownership: disposing the model disposes the source).</summary>
    public static InferenceModel FromSource(ITensorSource source, ModelConfig config, InferenceOptions? options = null)
    {
        config.Validate();
        return new InferenceModel(source, config, options ?? new InferenceOptions());
    }

    public static InferenceModel Load(string path, InferenceOptions? options = null)
    {
        var (source, config) = TensorSources.Open(path);
        try { return new InferenceModel(source, config, options ?? new InferenceOptions()); }
        catch { source.Dispose(); throw; }
    }

    public SequenceState NewSequence(int capacity)
    {
        if (capacity < 1 || capacity > MaxContext)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"sequence capacity must be in 1..{MaxContext} (InferenceOptions.MaxContext / max_position_embeddings)");
        var attns = layers.Select(l => l.Attention).ToList();
        if (mtp is not null) attns.Add(mtp.Layer.Attention);     // the MTP block's cache is the last slot
        return new SequenceState(capacity, attns.Select(a => a.KeyWidth).ToArray(), attns.Select(a => a.ValueWidth).ToArray(), Options.F16Cache);
    }

    /// <summary>
    /// Runs the rows (positions must continue each sequence: a row's position = its sequence's Length at that point,
    /// rows of the same sequence in order). Writes the logits of rows with WantLogits, in order, into logits [m, vocab].
    /// Returns m. Batches larger than MaxBatch are run in chunks. `hidden` (optional, [m, hidden]) receives the
    /// final-normed hidden states of those rows (what the MTP module reads).
    /// </summary>
    public int Forward(ReadOnlySpan<BatchRow> rows, Span<float> logits, Span<float> hidden = default)
    {
        Validate(rows, logits, s => s.Length);
        int written = 0;
        for (int start = 0; start < rows.Length; start += Options.MaxBatch)
        {
            var chunk = rows.Slice(start, Math.Min(Options.MaxBatch, rows.Length - start));
            written += ForwardChunk(chunk, logits[(written * V)..], hidden.IsEmpty ? default : hidden[(written * D)..]);
        }
        return written;
    }

    void Validate(ReadOnlySpan<BatchRow> rows, Span<float> logits, Func<SequenceState, int> length)
    {
        int want = 0;
        foreach (var r in rows)
        {
            if ((uint)r.Token >= (uint)V) throw new ArgumentOutOfRangeException(nameof(rows), r.Token, $"token id {r.Token} is out of range for vocab_size {V}");
            if (r.Position < 0 || r.Position >= r.Sequence.Capacity)
                throw new ArgumentException($"context overflow: position {r.Position} is past the sequence's capacity of {r.Sequence.Capacity} tokens");
            if (r.WantLogits) want++;
        }
        if (logits.Length < (long)want * V) throw new ArgumentException($"logits holds {logits.Length} floats; {want} rows × vocab {V} are needed");
        // positions must extend each sequence contiguously
        for (int i = 0; i < rows.Length; i++)
        {
            int expected = length(rows[i].Sequence);
            for (int j = 0; j < i; j++) if (ReferenceEquals(rows[j].Sequence, rows[i].Sequence)) expected++;
            if (rows[i].Position != expected)
                throw new ArgumentException($"row {i}: position {rows[i].Position} does not continue its sequence (expected {expected})");
        }
    }

    int ForwardChunk(ReadOnlySpan<BatchRow> rows, Span<float> logits, Span<float> hidden)
    {
        int n = rows.Length;
        var x = s.X.AsSpan(0, n * D);
        for (int i = 0; i < n; i++) embedding.Row(rows[i].Token, x.Slice(i * D, D));
        for (int l = 0; l < layers.Length; l++) layers[l].Forward(this, rows, l);
        foreach (var r in rows) r.Sequence.Length = Math.Max(r.Sequence.Length, r.Position + 1);
        return NormAndHead(rows, finalNorm, output, logits, hidden);
    }

    int NormAndHead(ReadOnlySpan<BatchRow> rows, float[] norm, WeightMatrix head, Span<float> logits, Span<float> hidden)
    {
        int m = 0;
        var x = s.X.AsSpan();
        var xn = s.Xn.AsSpan();
        for (int i = 0; i < rows.Length; i++)
            if (rows[i].WantLogits) { Ops.RmsNorm(x.Slice(i * D, D), norm, Eps, xn.Slice(m * D, D)); m++; }
        if (!hidden.IsEmpty) xn[..(m * D)].CopyTo(hidden);
        if (m > 0) head.MatMul(xn[..(m * D)], m, logits[..(m * V)], Pool);
        return m;
    }

    public bool HasMtp => mtp is not null;

    /// <summary>
    /// The MTP module over rows (Token = the next token t_{j+1}, Position = j, at MTP positions continuing
    /// sequence.MtpLength) with hidden [n, hidden] = the main model's final-normed states h_j. Writes logits
    /// (predicting t_{j+2}) of rows with WantLogits. n ≤ MaxBatch.
    /// </summary>
    public int ForwardMtp(ReadOnlySpan<BatchRow> rows, ReadOnlySpan<float> hidden, Span<float> logits)
    {
        if (mtp is null) throw new InvalidOperationException("this model has no MTP module (num_nextn_predict_layers is 0, or LoadMtp was off)");
        if (rows.Length > Options.MaxBatch) throw new ArgumentException($"ForwardMtp takes at most MaxBatch ({Options.MaxBatch}) rows");
        if (hidden.Length != rows.Length * D) throw new ArgumentException($"hidden has {hidden.Length} floats, expected {rows.Length}×{D}");
        Validate(rows, logits, s => s.MtpLength);
        mtp.Combine(this, rows, hidden);
        mtp.Layer.Forward(this, rows, layers.Length);
        foreach (var r in rows) r.Sequence.MtpLength = Math.Max(r.Sequence.MtpLength, r.Position + 1);
        return NormAndHead(rows, mtp.Norm, mtp.Head, logits, default);
    }

    /// <summary>Weight bytes one decode step of one token reads: every layer's active weights, the head, one embedding row.</summary>
    public long DecodeBytesPerToken => embedding.RowBytes + output.Bytes + layers.Sum(l => l.ActiveBytes);

    /// <summary>Bytes of weights as stored.</summary>
    public long WeightBytes => embedding.Bytes + (ReferenceEquals(output, embedding) ? 0 : output.Bytes) + layers.Sum(l => l.WeightBytes);

    public void Dispose()
    {
        Pool.Dispose();
        source.Dispose();
    }
}
