// Rule rewards (R1 §2.2.2: accuracy + format; no learned reward model), composable with weights, plus two optional
// length terms. A group of completions of one prompt is scored together (the Kimi length term is group-relative).
//   accuracy     1 if the answer after </think> verifies, else 0
//   format       1 if the completion has the strict shape <think>…</think><answer>…</answer> (R1Format.IsWellFormed)
//   overlong     DAPO's soft overlong punishment (DAPO eq. 13), with L_max = MaxCompletionLength, L_cache = OverlongBuffer:
//                0 if |y| ≤ L_max − L_cache;  ((L_max − L_cache) − |y|) / L_cache if L_max − L_cache < |y| ≤ L_max;  −1 beyond
//   kimi_length  Kimi k1.5's length reward (§2.3.3) over the group: λ = 0.5 − (len − min_len) / (max_len − min_len);
//                λ for correct answers, min(0, λ) for wrong ones; 0 for all when every length is equal
// Lengths are CompletionTokens (tokens); when a caller gives 0 tokens for the whole group, characters are used.
using System.Globalization;

namespace SharpSeek.Reasoning;

/// <summary>One completion to score. CompletionTokens: generated tokens (0 = unknown, use characters).</summary>
public sealed record RewardInput(Problem Problem, string Completion, int CompletionTokens = 0);

public sealed record RewardTerm(string Name, double Weight);

/// <summary>Per-term values (unweighted) and the weighted total.</summary>
public sealed record RewardScores(double Total, IReadOnlyDictionary<string, double> Terms);

/// <summary>A reward config naming an unknown reward, a duplicate, a bad weight or bad length settings.</summary>
public sealed class RewardConfigException(string message) : ArgumentException(message);

public sealed record RewardConfig
{
    /// <summary>
    /// Weighted terms. Default accuracy 1 + format 0.1: R1 uses both rule rewards without publishing weights; 0.1 for
    /// the format is TinyZero's format score, small so that a well-formed wrong answer is worth far less than a right one.
    /// </summary>
    public IReadOnlyList<RewardTerm> Terms { get; init; } = [new("accuracy", 1), new("format", 0.1)];
    /// <summary>L_max of the overlong term: the rollout's max completion length in tokens.</summary>
    public int MaxCompletionLength { get; init; } = 256;
    /// <summary>L_cache of the overlong term: the soft-penalty zone before L_max (DAPO: 4096 of 20480; here a quarter).</summary>
    public int OverlongBuffer { get; init; } = 64;

    public static readonly IReadOnlyList<string> Known = ["accuracy", "format", "overlong", "kimi_length"];

    /// <summary>"accuracy=1,format=0.1,overlong" (a name alone has weight 1).</summary>
    public static RewardConfig Parse(string spec, int maxCompletionLength = 256, int? overlongBuffer = null)
    {
        var terms = new List<RewardTerm>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            string name = (eq < 0 ? part : part[..eq]).Trim();
            double w = 1;
            if (eq >= 0 && !double.TryParse(part[(eq + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out w))
                throw new RewardConfigException($"reward '{name}': weight '{part[(eq + 1)..].Trim()}' is not a number (write name=weight, e.g. format=0.1)");
            terms.Add(new RewardTerm(name, w));
        }
        var config = new RewardConfig { Terms = terms, MaxCompletionLength = maxCompletionLength, OverlongBuffer = overlongBuffer ?? Math.Max(1, maxCompletionLength / 4) };
        config.Validate();
        return config;
    }

    public void Validate()
    {
        if (Terms.Count == 0) throw new RewardConfigException("the reward config has no terms; use e.g. accuracy=1,format=0.1");
        var seen = new HashSet<string>();
        foreach (var t in Terms)
        {
            if (!Known.Contains(t.Name))
                throw new RewardConfigException($"unknown reward '{t.Name}'; known rewards: {string.Join(", ", Known)}");
            if (!seen.Add(t.Name)) throw new RewardConfigException($"reward '{t.Name}' is listed twice; give it once with the summed weight");
            if (!double.IsFinite(t.Weight)) throw new RewardConfigException($"reward '{t.Name}' has weight {t.Weight}; use a finite number");
        }
        if (seen.Contains("overlong") && (MaxCompletionLength < 1 || OverlongBuffer < 1 || OverlongBuffer > MaxCompletionLength))
            throw new RewardConfigException($"overlong: need 1 ≤ OverlongBuffer ({OverlongBuffer}) ≤ MaxCompletionLength ({MaxCompletionLength})");
    }
}

public static class Rewards
{
    public static double Accuracy(Problem problem, string completion)
    {
        var answer = R1Format.Parse(completion).Answer;
        if (answer is null) return 0;
        try { return problem.Check(answer) ? 1 : 0; }
        catch (Exception e) when (e is FormatException or ArithmeticException or ArgumentException or OverflowException) { return 0; }
    }

    public static double Format(string completion) => R1Format.IsWellFormed(completion) ? 1 : 0;

    /// <summary>DAPO's soft overlong punishment for a completion of <paramref name="length"/> tokens.</summary>
    public static double Overlong(int length, int maxLength, int buffer)
    {
        int free = maxLength - buffer;
        if (length <= free) return 0;
        if (length <= maxLength) return (double)(free - length) / buffer;
        return -1;
    }

    /// <summary>Kimi k1.5's group length reward: lengths and correctness of one prompt's completions.</summary>
    public static double[] KimiLength(IReadOnlyList<int> lengths, IReadOnlyList<bool> correct)
    {
        var r = new double[lengths.Count];
        if (lengths.Count == 0) return r;
        int min = lengths.Min(), max = lengths.Max();
        if (max == min) return r;
        for (int i = 0; i < r.Length; i++)
        {
            double lambda = 0.5 - (double)(lengths[i] - min) / (max - min);
            r[i] = correct[i] ? lambda : Math.Min(0, lambda);
        }
        return r;
    }

    /// <summary>Scores a group (the completions of one prompt; single completions are a group of one).</summary>
    public static RewardScores[] Score(RewardConfig config, IReadOnlyList<RewardInput> group)
    {
        config.Validate();
        int n = group.Count;
        var acc = group.Select(g => Accuracy(g.Problem, g.Completion)).ToArray();
        bool tokens = group.Any(g => g.CompletionTokens > 0);
        var lengths = group.Select(g => tokens ? g.CompletionTokens : g.Completion.Length).ToArray();
        double[]? kimi = config.Terms.Any(t => t.Name == "kimi_length") ? KimiLength(lengths, acc.Select(a => a > 0).ToArray()) : null;
        var result = new RewardScores[n];
        for (int i = 0; i < n; i++)
        {
            var terms = new Dictionary<string, double>();
            double total = 0;
            foreach (var t in config.Terms)
            {
                double v = t.Name switch
                {
                    "accuracy" => acc[i],
                    "format" => Format(group[i].Completion),
                    "overlong" => Overlong(lengths[i], config.MaxCompletionLength, config.OverlongBuffer),
                    "kimi_length" => kimi![i],
                    _ => throw new RewardConfigException($"unknown reward '{t.Name}'"),
                };
                terms[t.Name] = v;
                total += t.Weight * v;
            }
            result[i] = new RewardScores(total, terms);
        }
        return result;
    }
}
