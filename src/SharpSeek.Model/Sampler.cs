// Token choice from one row of logits: greedy, or seeded temperature → top-k → top-p sampling.
// (The serving engine composes richer stages; this is the minimal, deterministic sampler of the model core.)
using SharpSeek.Tensors;

namespace SharpSeek.Model;

public sealed record SamplingOptions
{
    /// <summary>0 means greedy (argmax).</summary>
    public float Temperature { get; init; } = 0;
    /// <summary>Keep the k most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set whose probability reaches p; 1 keeps all.</summary>
    public float TopP { get; init; } = 1;
    public int Seed { get; init; }

    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be ≥ 0 (0 = greedy)");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top-k must be ≥ 0 (0 = off)");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1]");
    }
}

public sealed class Sampler
{
    readonly SamplingOptions options;
    readonly Random random;

    public Sampler(SamplingOptions options)
    {
        options.Validate();
        this.options = options;
        random = new Random(options.Seed);
    }

    public static int Argmax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>logits: [vocab] → token id.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (options.Temperature == 0) return Argmax(logits);
        var probs = new float[logits.Length];
        for (int i = 0; i < probs.Length; i++) probs[i] = logits[i] / options.Temperature;
        Ops.Softmax(probs, probs);

        // candidates sorted by probability, descending (ties by id)
        var order = Enumerable.Range(0, probs.Length).ToArray();
        Array.Sort(order, (a, b) => probs[b] != probs[a] ? probs[b].CompareTo(probs[a]) : a.CompareTo(b));
        int keep = options.TopK > 0 ? Math.Min(options.TopK, order.Length) : order.Length;
        if (options.TopP < 1)
        {
            double cumulative = 0;
            for (int j = 0; j < keep; j++)
            {
                cumulative += probs[order[j]];
                if (cumulative >= options.TopP) { keep = j + 1; break; }
            }
        }
        double total = 0;
        for (int j = 0; j < keep; j++) total += probs[order[j]];
        double r = random.NextDouble() * total;
        for (int j = 0; j < keep; j++)
        {
            r -= probs[order[j]];
            if (r <= 0) return order[j];
        }
        return order[keep - 1];
    }
}
