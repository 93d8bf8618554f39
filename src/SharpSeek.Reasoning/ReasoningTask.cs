// A task family: draws random problems, keeps the ones that fall in the requested split (see Splits), and writes a
// cold-start reasoning trace for a problem. Generation is deterministic in (split, count, seed).
namespace SharpSeek.Reasoning;

public abstract class ReasoningTask
{
    /// <summary>Name used by `eval --task`, the cold-start file and the GRPO prompt set.</summary>
    public abstract string Name { get; }

    /// <summary>One random candidate (it may repeat, and it may belong to any split).</summary>
    public abstract Problem Draw(DetRandom rng);

    /// <summary>
    /// One random candidate in <paramref name="split"/>, or null to try again. The default draws and filters; a task
    /// whose draws are costly (Countdown solves each one) overrides it to filter before the costly part.
    /// </summary>
    protected virtual Problem? DrawIn(DetRandom rng, Split split)
    {
        var p = Draw(rng);
        return p.Split == split ? p : null;
    }

    /// <summary>
    /// A correct solution of p written out: the reasoning (the text between &lt;think&gt; and &lt;/think&gt;) and the
    /// final answer — the cold-start SFT data. Deterministic in rng.
    /// </summary>
    public abstract Trace Think(Problem p, DetRandom rng);

    /// <summary>
    /// <paramref name="count"/> distinct problems of <paramref name="split"/>, deterministic in the seed. Throws when the
    /// split's share of the problem space is too small to hold that many distinct problems.
    /// </summary>
    public IReadOnlyList<Problem> Generate(Split split, int count, int seed)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be ≥ 0");
        var rng = new DetRandom(seed ^ Name.GetHashCodeStable());
        var seen = new HashSet<string>();
        var list = new List<Problem>(count);
        long budget = 2000L * count + 100_000;
        while (list.Count < count)
        {
            if (--budget < 0)
                throw new InvalidOperationException($"task {Name}: found only {list.Count} distinct {split} problems of the {count} asked; ask for fewer or widen the task's ranges");
            var p = DrawIn(rng, split);
            if (p is not null && seen.Add(p.Key)) list.Add(p);
        }
        return list;
    }
}

/// <summary>A worked solution: Reasoning goes inside &lt;think&gt;, Answer inside &lt;answer&gt;.</summary>
public sealed record Trace(string Reasoning, string Answer);

static class StableHash
{
    /// <summary>FNV-1a over UTF-16 units: a string hash that is the same in every process (string.GetHashCode is not).</summary>
    public static int GetHashCodeStable(this string s)
    {
        uint h = 2166136261;
        foreach (char c in s) { h ^= c; h *= 16777619; }
        return (int)h;
    }
}
