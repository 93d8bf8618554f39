// The seam between the scheduler and the model: prefill one sequence, then decode one token for every active
// sequence in a single call. The scheduler never calls the model any other way, so a batched kernel (weights
// read once per step for all sequences) replaces TransformerStepModel.DecodeStep without touching the engine.
using SharpSeek.Model;

namespace SharpSeek.Engine;

/// <summary>One row of a decode step: the sequence's last token, appended to its own cache.</summary>
public readonly record struct DecodeItem(int Token, KvCache Cache);

public interface IStepModel
{
    int VocabSize { get; }
    /// <summary>Positions the model supports (max_position_embeddings).</summary>
    int ContextLength { get; }
    /// <summary>A cache for one sequence of at most <paramref name="capacity"/> tokens.</summary>
    KvCache NewCache(int capacity);
    /// <summary>Runs the prompt into an empty cache; writes the last position's logits [vocab].</summary>
    void Prefill(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits);
    /// <summary>Appends batch[b].Token to batch[b].Cache for every b; writes logits [B × vocab].</summary>
    void DecodeStep(ReadOnlySpan<DecodeItem> batch, Span<float> logits);
}

/// <summary>
/// The fp32 reference Transformer behind the seam. Until the batched forward exists, a step runs each sequence's
/// Forward, in parallel across cores when <see cref="ParallelSequences"/> (Forward keeps no shared scratch).
/// </summary>
public sealed class TransformerStepModel(Transformer model) : IStepModel
{
    public Transformer Model { get; } = model;
    public int VocabSize => Model.Config.VocabSize;
    public int ContextLength => Model.Config.MaxPositionEmbeddings;
    public bool ParallelSequences { get; init; } = true;

    public KvCache NewCache(int capacity) => Model.NewCache(capacity);

    public void Prefill(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits)
    {
        var all = Model.Forward(tokens, cache);                          // [T, vocab]
        all.AsSpan((tokens.Length - 1) * VocabSize, VocabSize).CopyTo(logits);
    }

    public void DecodeStep(ReadOnlySpan<DecodeItem> batch, Span<float> logits)
    {
        int v = VocabSize;
        if (!ParallelSequences || batch.Length == 1)
        {
            for (int b = 0; b < batch.Length; b++)
                Model.Forward([batch[b].Token], batch[b].Cache).AsSpan(0, v).CopyTo(logits.Slice(b * v, v));
            return;
        }
        var items = batch.ToArray();
        var rows = new float[items.Length][];
        Parallel.For(0, items.Length, b => rows[b] = Model.Forward([items[b].Token], items[b].Cache));
        for (int b = 0; b < items.Length; b++) rows[b].AsSpan(0, v).CopyTo(logits.Slice(b * v, v));
    }
}
