// Evaluation metrics as pure functions (R1 §3 evaluation protocol): pass@1 averaged over k samples per problem,
// cons@k (majority vote over the extracted answers), greedy accuracy, mean response length; plus the unbiased
// pass@k estimator of Chen et al. (2021).
namespace SharpSeek.Reasoning;

public static class Metrics
{
    /// <summary>pass@1 = mean over problems of (correct samples / samples): R1's "pass@1 averaged over k samples".</summary>
    public static double PassAt1(IReadOnlyList<IReadOnlyList<bool>> correct)
    {
        if (correct.Count == 0) return 0;
        double sum = 0;
        foreach (var c in correct)
        {
            if (c.Count == 0) throw new ArgumentException("a problem has no samples");
            sum += (double)c.Count(x => x) / c.Count;
        }
        return sum / correct.Count;
    }

    /// <summary>Unbiased pass@k from n samples of which c are correct: 1 − C(n−c, k) / C(n, k).</summary>
    public static double PassAtK(int n, int c, int k)
    {
        if (k < 1 || k > n || c < 0 || c > n) throw new ArgumentException($"pass@k needs 1 ≤ k ≤ n and 0 ≤ c ≤ n (n={n}, c={c}, k={k})");
        if (n - c < k) return 1;
        double fail = 1;                                   // Π_{i=n−c+1}^{n} (1 − k/i), the numerically stable form
        for (int i = n - c + 1; i <= n; i++) fail *= 1 - (double)k / i;
        return 1 - fail;
    }

    /// <summary>The most frequent non-null key; ties go to the key seen first. Null when no key is non-null.</summary>
    public static string? MajorityVote(IReadOnlyList<string?> keys)
    {
        var counts = new Dictionary<string, int>();
        var order = new List<string>();
        foreach (var k in keys)
        {
            if (k is null) continue;
            if (counts.TryAdd(k, 1)) order.Add(k); else counts[k]++;
        }
        string? best = null;
        foreach (var k in order) if (best is null || counts[k] > counts[best]) best = k;
        return best;
    }

    /// <summary>
    /// cons@k for one problem: vote over the answers' VoteKeys; the winning key's first answer is verified. Answers
    /// that are null (no &lt;answer&gt;) or unparseable cast no vote; no votes = wrong.
    /// </summary>
    public static (string? Majority, bool Correct) Consensus(Problem problem, IReadOnlyList<string?> answers)
    {
        var keys = answers.Select(a => a is null ? null : problem.VoteKey(a)).ToList();
        var winner = MajorityVote(keys);
        if (winner is null) return (null, false);
        var representative = answers[keys.IndexOf(winner)]!;
        return (representative, problem.Check(representative));
    }

    public static double ConsAtK(IReadOnlyList<Problem> problems, IReadOnlyList<IReadOnlyList<string?>> answers)
    {
        if (problems.Count != answers.Count) throw new ArgumentException($"{problems.Count} problems but {answers.Count} answer lists");
        if (problems.Count == 0) return 0;
        int ok = 0;
        for (int i = 0; i < problems.Count; i++) if (Consensus(problems[i], answers[i]).Correct) ok++;
        return (double)ok / problems.Count;
    }

    /// <summary>Fraction of true values (greedy accuracy: one greedy completion per problem).</summary>
    public static double Accuracy(IReadOnlyList<bool> correct) => correct.Count == 0 ? 0 : (double)correct.Count(x => x) / correct.Count;

    public static double MeanLength(IEnumerable<int> lengths)
    {
        long sum = 0; int n = 0;
        foreach (var l in lengths) { sum += l; n++; }
        return n == 0 ? 0 : (double)sum / n;
    }
}
