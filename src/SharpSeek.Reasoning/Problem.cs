// A verifiable problem: the user prompt, a reference answer, a canonical key (what the split hashes and what
// de-duplication compares), and its verifier. Each task's problems are records deriving from this one.
namespace SharpSeek.Reasoning;

public abstract record Problem(string Task, string Prompt, string Answer)
{
    /// <summary>Canonical form: equal keys = the same problem (e.g. "add:379,4821" for both orders of 379 + 4821).</summary>
    public abstract string Key { get; }

    /// <summary>The verifier: is <paramref name="answer"/> (the text inside &lt;answer&gt;…&lt;/answer&gt;) correct?</summary>
    public abstract bool Check(string answer);

    /// <summary>
    /// cons@k groups answers by this key (equal keys = the same answer); null = unusable, casts no vote.
    /// Default: the exact number when the answer is one, else the whitespace-collapsed, lower-cased text.
    /// </summary>
    public virtual string? VoteKey(string answer) => Answers.NumberKey(answer) ?? Answers.TextKey(answer);

    public Split Split => Splits.Of(Key);
}

/// <summary>Helpers shared by the verifiers.</summary>
public static class Answers
{
    /// <summary>"5", "x = 5", "\boxed{5}", "5." → the number; null when the answer is not a single number.</summary>
    public static Rational? Number(string? answer, string? variable = null)
    {
        if (answer is null) return null;
        var s = Unbox(answer.Trim());
        if (variable is not null)
        {
            var t = s.TrimStart();
            if (t.StartsWith(variable, StringComparison.Ordinal) && t[variable.Length..].TrimStart().StartsWith('='))
                s = t[variable.Length..].TrimStart()[1..];
        }
        s = s.Trim();
        if (s.EndsWith('.')) s = s[..^1];
        return Rational.TryParse(s, out var v) ? v : null;
    }

    public static string? NumberKey(string? answer) => Number(answer)?.ToString();

    public static string? TextKey(string? answer)
    {
        if (answer is null) return null;
        var s = string.Join(' ', Unbox(answer).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
        return s.Length == 0 ? null : s;
    }

    /// <summary>\boxed{X} → X (datasets and models trained on them often wrap final answers so).</summary>
    public static string Unbox(string s)
    {
        s = s.Trim();
        if (s.StartsWith("\\boxed{", StringComparison.Ordinal) && s.EndsWith('}')) return s[7..^1].Trim();
        if (s.StartsWith("$", StringComparison.Ordinal) && s.EndsWith('$') && s.Length >= 2) return Unbox(s.Trim('$'));
        return s;
    }
}
