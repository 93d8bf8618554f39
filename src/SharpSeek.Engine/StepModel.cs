// The seam between the scheduler and the model: one call per scheduler step runs every sequence that has work —
// the prompts of newly admitted sequences and the last token of every running one — and returns one logits row
// per sequence. The scheduler never calls the model any other way, so the batched fast path (weights read once per
// step for all rows) and the fp32 reference drop in behind the same interface.
using SharpSeek.Model;
using SharpSeek.Model.Inference;

namespace SharpSeek.Engine;

/// <summary>One sequence's KV cache, opaque to the scheduler (each step model keeps its own kind).</summary>
public interface ISequenceCache
{
    /// <summary>Tokens cached so far (the position of the next token).</summary>
    int Length { get; }
    int Capacity { get; }
}

/// <summary>
/// One sequence's work in a step: tokens to append to its cache — a prompt or a chunk of one (Prompt true), or the
/// last sampled token. The logits row is that of the item's last token (unused for a non-final prompt chunk).
/// </summary>
public readonly record struct StepItem(ReadOnlyMemory<int> Tokens, ISequenceCache Cache, bool Prompt = false);

/// <summary>
/// KV rows of consecutive tokens copied out of a cache (prefix caching): every layer's keys then values, in the
/// model's <see cref="IStepModel.KvLayout"/>. Absorbed MLA rows are latent + rope key only, so blocks are small.
/// </summary>
public sealed record KvBlock(int Tokens, string Layout, byte[] Data);

public interface IStepModel
{
    int VocabSize { get; }
    /// <summary>Positions the model supports.</summary>
    int ContextLength { get; }
    /// <summary>A cache for one sequence of at most <paramref name="capacity"/> tokens.</summary>
    ISequenceCache NewCache(int capacity);
    /// <summary>Appends items[b].Tokens to items[b].Cache for every b; writes the logits of each item's last token [B × vocab].</summary>
    void Step(ReadOnlySpan<StepItem> items, Span<float> logits);
    /// <summary>The layout of exported KV rows ("f32 32/8,32/8"); null = this model cannot export them (no prefix caching).</summary>
    string? KvLayout => null;
    /// <summary>Copies rows [start, start+count) of every layer out of the cache.</summary>
    KvBlock ExportKv(ISequenceCache cache, int start, int count) => throw new NotSupportedException();
    /// <summary>Writes the block's rows at positions start.. (start ≤ Length) and sets Length to their end.</summary>
    void ImportKv(ISequenceCache cache, int start, KvBlock block) => throw new NotSupportedException();
}

/// <summary>
/// The fast inference path: one InferenceModel.Forward over all sequences' rows per step (weights read once per
/// step), quantized weights, worker pool. Not thread-safe: only the scheduler thread calls it.
/// </summary>
public sealed class FastStepModel(InferenceModel model) : IStepModel, IDisposable
{
    sealed class Sequence(SequenceState state) : ISequenceCache
    {
        public readonly SequenceState State = state;
        public int Length => State.Length;
        public int Capacity => State.Capacity;
    }

    BatchRow[] rows = new BatchRow[16];

    public InferenceModel Model { get; } = model;
    public int VocabSize => Model.Config.VocabSize;
    public int ContextLength => Model.MaxContext;

    public ISequenceCache NewCache(int capacity) => new Sequence(Model.NewSequence(capacity));

    public string? KvLayout => layout ??= Model.NewSequence(1).Layout;
    string? layout;

    public KvBlock ExportKv(ISequenceCache cache, int start, int count)
    {
        var s = ((Sequence)cache).State;
        var data = new byte[count * s.BytesPerToken];
        s.CopyRowsTo(start, count, data);
        return new KvBlock(count, KvLayout!, data);
    }

    public void ImportKv(ISequenceCache cache, int start, KvBlock block)
    {
        if (block.Layout != KvLayout) throw new ArgumentException($"a KV block of layout '{block.Layout}' cannot go into a '{KvLayout}' cache");
        ((Sequence)cache).State.CopyRowsFrom(start, block.Data);
    }

    public void Step(ReadOnlySpan<StepItem> items, Span<float> logits)
    {
        int n = 0;
        foreach (var it in items) n += it.Tokens.Length;
        if (rows.Length < n) rows = new BatchRow[Math.Max(n, rows.Length * 2)];
        int r = 0;
        foreach (var it in items)
        {
            var s = ((Sequence)it.Cache).State;
            var tokens = it.Tokens.Span;
            for (int i = 0; i < tokens.Length; i++) rows[r++] = new BatchRow(tokens[i], s.Length + i, s, WantLogits: i == tokens.Length - 1);
        }
        Model.Forward(rows.AsSpan(0, n), logits);
    }

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The fp32 reference Transformer behind the seam (the oracle): a step runs each sequence's Forward, in parallel
/// across cores when <see cref="ParallelSequences"/> (Forward keeps no shared scratch).
/// </summary>
public sealed class TransformerStepModel(Transformer model) : IStepModel
{
    sealed class Sequence(KvCache cache) : ISequenceCache
    {
        public readonly KvCache Cache = cache;
        public int Length => Cache.Length;
        public int Capacity => Cache.Capacity;
    }

    public Transformer Model { get; } = model;
    public int VocabSize => Model.Config.VocabSize;
    public int ContextLength => Model.Config.MaxPositionEmbeddings;
    public bool ParallelSequences { get; init; } = true;

    public ISequenceCache NewCache(int capacity) => new Sequence(Model.NewCache(capacity));

    public string? KvLayout => layout ??= Model.NewCache(1).Layout;
    string? layout;

    public KvBlock ExportKv(ISequenceCache cache, int start, int count)
    {
        var c = ((Sequence)cache).Cache;
        var data = new byte[count * c.BytesPerToken];
        c.CopyRowsTo(start, count, data);
        return new KvBlock(count, KvLayout!, data);
    }

    public void ImportKv(ISequenceCache cache, int start, KvBlock block)
    {
        if (block.Layout != KvLayout) throw new ArgumentException($"a KV block of layout '{block.Layout}' cannot go into a '{KvLayout}' cache");
        ((Sequence)cache).Cache.CopyRowsFrom(start, block.Data);
    }

    public void Step(ReadOnlySpan<StepItem> items, Span<float> logits)
    {
        int v = VocabSize;
        var work = items.ToArray();
        var rows = new float[work.Length][];
        void Run(int b)
        {
            var all = Model.Forward(work[b].Tokens.Span, ((Sequence)work[b].Cache).Cache);   // [T, vocab]
            rows[b] = all[^v..];
        }
        if (ParallelSequences && work.Length > 1) Parallel.For(0, work.Length, Run);
        else for (int b = 0; b < work.Length; b++) Run(b);
        for (int b = 0; b < work.Length; b++) rows[b].CopyTo(logits.Slice(b * v, v));
    }
}
