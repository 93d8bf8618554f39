// Lookup: which of some values are in a short list of needed numbers — the decision a Countdown-3 search makes after
// every value of the pair (`so 91. Needed 19, 57, 2? No.`), practised on its own. Run 4's model answered that Yes/No
// from the line's position instead of from the numbers (R1-RECIPE §7), so half the candidates are in the list and the
// others mostly near misses: the digits reversed or rotated, a digit added or dropped in front, ±1, ±10 (or any number).
// Numbers stay in [0, 200] like the search's. The trace decides each candidate by comparing it with every need digit
// by digit (`162 vs 126: 1=1, 6!=2, no.`, as the Countdown-3 search does since run 7): run 6 wrote the one-token
// decision (`so 162. Needed 26, 126? No.`), which the model did not learn (R1-RECIPE §7).
using System.Text;

namespace SharpSeek.Reasoning.Tasks;

public sealed record LookupProblem(IReadOnlyList<int> Needed, IReadOnlyList<int> Values)
    : Problem("lookup", $"Needed {string.Join(", ", Needed)}. Which of {string.Join(", ", Values)} are needed?", AnswerOf(Needed, Values))
{
    public override string Key => $"lookup:{string.Join(",", Needed)}|{string.Join(",", Values)}";

    /// <summary>The needed values in the order given, comma-separated, or "none".</summary>
    public static string AnswerOf(IReadOnlyList<int> needed, IReadOnlyList<int> values)
    {
        var hits = values.Where(needed.Contains).ToList();
        return hits.Count == 0 ? "none" : string.Join(", ", hits);
    }

    /// <summary>Accepts the list in the order given (spaces free) or "none" / "None".</summary>
    public override bool Check(string answer) => Normal(answer) == Normal(Answer);

    public override string? VoteKey(string answer) => Normal(answer);

    static string Normal(string s) =>
        string.Join(",", Answers.Unbox(s).Trim().TrimEnd('.').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
}

public sealed class LookupTask(int maxValue = 200) : ReasoningTask
{
    public override string Name => "lookup";

    public override Problem Draw(DetRandom rng)
    {
        int nNeeded = rng.Next(1, 4), nValues = rng.Next(3, 6);
        var needed = new List<int>();
        while (needed.Count < nNeeded)
        {
            int v = Number(rng);
            if (v > 0 && !needed.Contains(v)) needed.Add(v);
        }
        var values = new List<int>();
        while (values.Count < nValues)
        {
            int v = rng.Next(0, 1) == 0 ? rng.Pick(needed) : NearMiss(rng.Pick(needed), rng);
            if (!values.Contains(v)) values.Add(v);
        }
        return new LookupProblem(needed, values);
    }

    // a number of 1–3 digits: 2 digits half the time, 1 or 3 a quarter each (Countdown's needs and values are mostly 2 digits)
    int Number(DetRandom rng) => rng.Next(0, 3) switch { 0 => rng.Next(0, 9), 3 => rng.Next(100, maxValue), _ => rng.Next(10, 99) };

    int NearMiss(int n, DetRandom rng)
    {
        var s = n.ToString();
        int v = rng.Next(0, 6) switch
        {
            0 => int.Parse(new string(s.Reverse().ToArray())),          // 26 → 62
            1 => s.Length > 1 ? int.Parse(s[1..]) : n + 100,             // 126 → 26, 7 → 107
            2 => n < 100 ? 100 + n : n % 100,                             // 26 → 126, 126 → 26
            3 => n + (rng.Next(0, 1) == 0 ? 1 : -1),
            4 => n + (rng.Next(0, 1) == 0 ? 10 : -10),
            5 => Number(rng),
            _ => int.Parse(s[^1] + s[..^1]),                              // 126 → 612 (rotated)
        };
        return v < 0 || v > maxValue ? Number(rng) : v;
    }

    public override Trace Think(Problem problem, DetRandom rng)
    {
        var p = (LookupProblem)problem;
        string list = string.Join(", ", p.Needed);
        var sb = new StringBuilder();
        foreach (int v in p.Values)
        {
            sb.Append($"so {v}. Needed {list}?\n");
            foreach (int n in p.Needed) sb.Append(CountdownTask.CompareDigits(v, n)).Append('\n');
            sb.Append(p.Needed.Contains(v) ? "Yes.\n" : "No.\n");
        }
        sb.Append($"So needed: {p.Answer}.");
        return new Trace(sb.ToString(), p.Answer);
    }
}
