// The seam between the scheduler and the model: prefill one sequence, then decode one token for every active
// sequence in a single call. The scheduler never calls the model any other way, so the batched fast path
// (weights read once per step for all sequences) and the fp32 reference drop in behind the same interface.
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

/// <summary>One row of a decode step: the sequence's last token, appended to its own cache.</summary>
public readonly record struct DecodeItem(int Token, ISequenceCache Cache);

public interface IStepModel
{
    int VocabSize { get; }
    /// <summary>Positions the model supports.</summary>
    int ContextLength { get; }
    /// <summary>A cache for one sequence of at most <paramref name="capacity"/> tokens.</summary>
    ISequenceCache NewCache(int capacity);
    /// <summary>Runs the prompt into an empty cache; writes the last position's logits [vocab].</summary>
    void Prefill(ReadOnlySpan<int> tokens, ISequenceCache cache, Span<float> logits);
    /// <summary>Appends batch[b].Token to batch[b].Cache for every b; writes logits [B × vocab].</summary>
    void DecodeStep(ReadOnlySpan<DecodeItem> batch, Span<float> logits);
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

    public void Prefill(ReadOnlySpan<int> tokens, ISequenceCache cache, Span<float> logits)
    {
        var s = ((Sequence)cache).State;
        var prompt = new BatchRow[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) prompt[i] = new BatchRow(tokens[i], s.Length + i, s, WantLogits: i == tokens.Length - 1);
        Model.Forward(prompt, logits);
    }

    public void DecodeStep(ReadOnlySpan<DecodeItem> batch, Span<float> logits)
    {
        if (rows.Length < batch.Length) rows = new BatchRow[Math.Max(batch.Length, rows.Length * 2)];
        for (int b = 0; b < batch.Length; b++)
        {
            var s = ((Sequence)batch[b].Cache).State;
            rows[b] = new BatchRow(batch[b].Token, s.Length, s);
        }
        Model.Forward(rows.AsSpan(0, batch.Length), logits);
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

    public void Prefill(ReadOnlySpan<int> tokens, ISequenceCache cache, Span<float> logits)
    {
        var all = Model.Forward(tokens, ((Sequence)cache).Cache);          // [T, vocab]
        all.AsSpan((tokens.Length - 1) * VocabSize, VocabSize).CopyTo(logits);
    }

    public void DecodeStep(ReadOnlySpan<DecodeItem> batch, Span<float> logits)
    {
        int v = VocabSize;
        if (!ParallelSequences || batch.Length == 1)
        {
            for (int b = 0; b < batch.Length; b++)
                Model.Forward([batch[b].Token], ((Sequence)batch[b].Cache).Cache).AsSpan(0, v).CopyTo(logits.Slice(b * v, v));
            return;
        }
        var items = batch.ToArray();
        var rows = new float[items.Length][];
        Parallel.For(0, items.Length, b => rows[b] = Model.Forward([items[b].Token], ((Sequence)items[b].Cache).Cache));
        for (int b = 0; b < items.Length; b++) rows[b].AsSpan(0, v).CopyTo(logits.Slice(b * v, v));
    }
}
