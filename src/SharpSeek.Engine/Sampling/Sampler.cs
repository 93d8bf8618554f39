// Token choice as a chain of small stages over one sequence's logits (llama.cpp's sampler chain):
//   penalties (repetition, presence, frequency) → temperature → top-k → top-p → min-p → draw (seeded).
// Greedy (temperature 0) takes the argmax after penalties. Log-probabilities are those of the model's raw
// distribution (before penalties and temperature), as OpenAI reports them.
// One SequenceSampler per sequence: its buffers are allocated once, so a step allocates nothing.

namespace SharpSeek.Engine.Sampling;

/// <summary>One alternative: token id and its natural-log probability.</summary>
public readonly record struct TokenLogprob(int Id, float Logprob);

/// <summary>The chosen token's log-probability and the most likely alternatives at that position.</summary>
public sealed record LogprobInfo(int Id, float Logprob, TokenLogprob[] Top);

/// <summary>The working set a stage narrows: candidate ids with their (scaled) logits, sorted descending once a stage needs order.</summary>
public sealed class Candidates
{
    public readonly int[] Ids;
    public readonly float[] Logits;
    public int Count;
    public bool Sorted;

    public Candidates(int vocab) { Ids = new int[vocab]; Logits = new float[vocab]; }

    public void Reset(ReadOnlySpan<float> logits)
    {
        logits.CopyTo(Logits);
        for (int i = 0; i < logits.Length; i++) Ids[i] = i;
        Count = logits.Length;
        Sorted = false;
    }

    public void SortDescending()
    {
        if (Sorted) return;
        // keys negated so Array.Sort's ascending order is descending probability; ties keep lower id first
        for (int i = 0; i < Count; i++) Logits[i] = -Logits[i];
        Array.Sort(Logits, Ids, 0, Count);
        for (int i = 0; i < Count; i++) Logits[i] = -Logits[i];
        Sorted = true;
    }
}

public abstract class SamplerStage
{
    public abstract void Apply(Candidates c);
}

/// <summary>logits / T.</summary>
public sealed class TemperatureStage(float temperature) : SamplerStage
{
    public override void Apply(Candidates c)
    {
        float inv = 1f / temperature;
        for (int i = 0; i < c.Count; i++) c.Logits[i] *= inv;
    }
}

/// <summary>Keeps the k largest logits.</summary>
public sealed class TopKStage(int k) : SamplerStage
{
    public override void Apply(Candidates c)
    {
        if (k >= c.Count) return;
        c.SortDescending();
        c.Count = k;
    }
}

/// <summary>Keeps the smallest prefix (by probability) whose mass reaches p.</summary>
public sealed class TopPStage(float p) : SamplerStage
{
    public override void Apply(Candidates c)
    {
        c.SortDescending();
        double max = c.Logits[0], sum = 0;
        for (int i = 0; i < c.Count; i++) sum += Math.Exp(c.Logits[i] - max);
        double target = p * sum, cumulative = 0;
        for (int i = 0; i < c.Count; i++)
        {
            cumulative += Math.Exp(c.Logits[i] - max);
            if (cumulative >= target) { c.Count = i + 1; return; }
        }
    }
}

/// <summary>Drops tokens with probability below minP × the top probability (logit below max + ln minP).</summary>
public sealed class MinPStage(float minP) : SamplerStage
{
    public override void Apply(Candidates c)
    {
        c.SortDescending();
        float threshold = c.Logits[0] + MathF.Log(minP);
        int keep = 1;
        while (keep < c.Count && c.Logits[keep] >= threshold) keep++;
        c.Count = keep;
    }
}

public sealed class SequenceSampler
{
    readonly SamplingParams p;
    readonly Random random;
    readonly Candidates candidates;
    readonly SamplerStage[] stages;
    readonly float[] adjusted;                    // [vocab] logits after penalties
    readonly float[] scratch;                     // [vocab] log-softmax for logprobs
    readonly Dictionary<int, int> generatedCounts = new();
    readonly HashSet<int> seen = new();           // prompt + generated, for the repetition penalty

    public SequenceSampler(SamplingParams parameters, int vocab, ReadOnlySpan<int> prompt)
    {
        p = parameters;
        random = new Random(parameters.Seed ?? Random.Shared.Next());
        candidates = new Candidates(vocab);
        adjusted = new float[vocab];
        scratch = parameters.Logprobs ? new float[vocab] : [];
        if (p.RepetitionPenalty != 1) foreach (var t in prompt) seen.Add(t);
        var list = new List<SamplerStage>();
        if (p.Temperature > 0)
        {
            list.Add(new TemperatureStage(p.Temperature));
            if (p.TopK > 0) list.Add(new TopKStage(p.TopK));
            if (p.TopP < 1) list.Add(new TopPStage(p.TopP));
            if (p.MinP > 0) list.Add(new MinPStage(p.MinP));
        }
        stages = [.. list];
    }

    /// <summary>Chooses the next token from logits [vocab] and records it for the penalties.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        logits.CopyTo(adjusted);
        ApplyPenalties(adjusted);
        int token;
        if (p.Temperature == 0) token = Argmax(adjusted);
        else
        {
            candidates.Reset(adjusted);
            foreach (var stage in stages) stage.Apply(candidates);
            token = Draw(candidates);
        }
        generatedCounts[token] = generatedCounts.GetValueOrDefault(token) + 1;
        if (p.RepetitionPenalty != 1) seen.Add(token);
        return token;
    }

    void ApplyPenalties(Span<float> l)
    {
        if (p.RepetitionPenalty != 1)
            foreach (var t in seen) l[t] = l[t] > 0 ? l[t] / p.RepetitionPenalty : l[t] * p.RepetitionPenalty;
        if (p.PresencePenalty != 0 || p.FrequencyPenalty != 0)
            foreach (var (t, n) in generatedCounts) l[t] -= p.PresencePenalty + n * p.FrequencyPenalty;
    }

    int Draw(Candidates c)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < c.Count; i++) max = Math.Max(max, c.Logits[i]);
        double total = 0;
        for (int i = 0; i < c.Count; i++) total += Math.Exp(c.Logits[i] - max);
        double r = random.NextDouble() * total;
        for (int i = 0; i < c.Count; i++)
        {
            r -= Math.Exp(c.Logits[i] - max);
            if (r <= 0) return c.Ids[i];
        }
        return c.Ids[c.Count - 1];
    }

    public static int Argmax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>Log-probability of <paramref name="token"/> under the raw logits, with the top alternatives.</summary>
    public LogprobInfo Logprobs(ReadOnlySpan<float> logits, int token)
    {
        var lp = scratch.Length == logits.Length ? scratch : new float[logits.Length];
        LogSoftmax(logits, lp);
        int n = p.TopLogprobs;
        var top = new TokenLogprob[n];
        int filled = 0;
        for (int i = 0; i < lp.Length && n > 0; i++)
        {
            // insertion into a small sorted array: n ≤ 20
            if (filled < n) filled++;
            else if (lp[i] <= top[n - 1].Logprob) continue;
            int j = filled - 1;
            while (j > 0 && top[j - 1].Logprob < lp[i]) { top[j] = top[j - 1]; j--; }
            top[j] = new TokenLogprob(i, lp[i]);
        }
        return new LogprobInfo(token, lp[token], top);
    }

    public static void LogSoftmax(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = float.NegativeInfinity;
        foreach (var v in x) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in x) sum += Math.Exp(v - max);
        float lse = max + (float)Math.Log(sum);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] - lse;
    }
}
