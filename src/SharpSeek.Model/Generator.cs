// Plain autoregressive generation on the reference path: prefill the prompt, then one token per step.
namespace SharpSeek.Model;

public static class Generator
{
    /// <summary>Yields generated ids until maxTokens or a stop id; prompt + output must fit the context.</summary>
    public static IEnumerable<int> Generate(Transformer model, IReadOnlyList<int> prompt, int maxTokens, SamplingOptions sampling, ISet<int>? stopIds = null)
    {
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty; give at least one token");
        if (maxTokens < 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "max tokens must be ≥ 0");
        int context = model.Config.MaxPositionEmbeddings;
        if (prompt.Count > context)
            throw new ArgumentException($"the prompt has {prompt.Count} tokens, more than the model's context of {context} (max_position_embeddings)");
        int capacity = Math.Min(context, prompt.Count + maxTokens);
        var cache = model.NewCache(capacity);
        var sampler = new Sampler(sampling);
        var logits = model.Forward(prompt.ToArray(), cache);
        int v = model.Config.VocabSize;
        var last = logits.AsMemory((prompt.Count - 1) * v, v);
        for (int n = 0; n < maxTokens; n++)
        {
            int next = sampler.Sample(last.Span);
            yield return next;
            if (stopIds?.Contains(next) == true || cache.Length >= capacity) yield break;
            last = model.Forward([next], cache);
        }
    }
}
