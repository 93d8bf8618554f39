// Split patterns of the pre-tokenizer. Known GPT-2 / Llama-3 / Qwen2 / DeepSeek-V3 regexes get a hand-written
// code-point matcher (same leftmost-first backtracking semantics, no Regex); anything else goes to CodePointRegex.
// Tests run every fast pattern against the general regex translation of the same source.
using System.Runtime.CompilerServices;
using SharpSeek.Tokenizers.Unicode;

namespace SharpSeek.Tokenizers.PreTokenization;

public abstract class SplitPattern
{
    /// <summary>The pattern text as written in tokenizer.json.</summary>
    public required string Source { get; init; }

    /// <summary>Appends every non-empty leftmost-first match in <paramref name="s"/>, in order.</summary>
    public abstract void FindMatches(ReadOnlySpan<char> s, List<(int Start, int Length)> matches);

    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    public const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string DeepSeekDigits = @"\p{N}{1,3}";
    public const string DeepSeekCjk = "[一-龥぀-ゟ゠-ヿ]+";
    public const string DeepSeekMain = @"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>A regex pattern: the fast matcher when the source is a known one, else the general translation.</summary>
    public static SplitPattern FromRegex(string source, bool allowFast = true)
    {
        // tokenizer.json files write \r\n inside classes either escaped or as raw characters; compare canonically.
        var canonical = source.Replace("\r", @"\r").Replace("\n", @"\n");
        if (allowFast)
        {
            SplitPattern? fast = canonical switch
            {
                Gpt2 => new Gpt2Pattern { Source = source },
                Qwen2 => new Cl100kPattern(1) { Source = source },
                Llama3 => new Cl100kPattern(3) { Source = source },
                DeepSeekDigits => new NumberRunPattern(1, 3) { Source = source },
                DeepSeekCjk => new DeepSeekCjkPattern { Source = source },
                DeepSeekMain => new DeepSeekMainPattern { Source = source },
                _ => null,
            };
            if (fast != null) return fast;
        }
        return new CodePointRegex(source);
    }

    public static SplitPattern FromLiteral(string literal) => new LiteralPattern { Source = literal };
}

/// <summary>A literal string pattern (<c>{"String": ...}</c>).</summary>
sealed class LiteralPattern : SplitPattern
{
    public override void FindMatches(ReadOnlySpan<char> s, List<(int Start, int Length)> matches)
    {
        if (Source.Length == 0) return;
        int i = 0;
        while (i <= s.Length - Source.Length)
        {
            int k = s[i..].IndexOf(Source, StringComparison.Ordinal);
            if (k < 0) break;
            matches.Add((i + k, Source.Length));
            i += k + Source.Length;
        }
    }
}

/// <summary>Base of the hand-written matchers: try a match at each code point, leftmost first.</summary>
abstract class PositionalPattern : SplitPattern
{
    /// <summary>Length in UTF-16 units of the match starting exactly at <paramref name="i"/>, or 0.</summary>
    protected abstract int MatchAt(ReadOnlySpan<char> s, int i);

    public override void FindMatches(ReadOnlySpan<char> s, List<(int Start, int Length)> matches)
    {
        int i = 0;
        while (i < s.Length)
        {
            int len = MatchAt(s, i);
            if (len > 0) { matches.Add((i, len)); i += len; }
            else i += char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static bool Is(ReadOnlySpan<char> s, int i, CpFlags mask) => i < s.Length && (CodePoints.At(s, i, out _) & mask) != 0;

    /// <summary>End of the run of code points with any of <paramref name="mask"/> starting at i.</summary>
    protected static int RunOf(ReadOnlySpan<char> s, int i, CpFlags mask)
    {
        while (i < s.Length)
        {
            var f = CodePoints.At(s, i, out int w);
            if ((f & mask) == 0) break;
            i += w;
        }
        return i;
    }

    /// <summary>End of the run of code points with none of <paramref name="mask"/> starting at i.</summary>
    protected static int RunOfNone(ReadOnlySpan<char> s, int i, CpFlags mask)
    {
        while (i < s.Length)
        {
            var f = CodePoints.At(s, i, out int w);
            if ((f & mask) != 0) break;
            i += w;
        }
        return i;
    }

    protected static int CrLfRun(ReadOnlySpan<char> s, int i)
    {
        while (i < s.Length && (s[i] == '\r' || s[i] == '\n')) i++;
        return i;
    }

    /// <summary>The whitespace alternatives <c>[\s*[\r\n]+|]\s+(?!\S)|\s+</c> at i (all whitespace is BMP).</summary>
    protected static int Whitespace(ReadOnlySpan<char> s, int i, bool newlineAlternative)
    {
        if (!Is(s, i, CpFlags.Space)) return 0;
        int e = i;
        while (e < s.Length && (CodePoints.At(s, e, out _) & CpFlags.Space) != 0) e++;
        if (newlineAlternative)
        {
            // \s*[\r\n]+ : greedy \s* backs off to the last \r or \n of the run.
            for (int k = e - 1; k >= i; k--)
                if (s[k] == '\r' || s[k] == '\n') return k + 1 - i;
        }
        if (e == s.Length) return e - i;       // \s+(?!\S) at end of text
        if (e - 1 > i) return e - 1 - i;       // \s+(?!\S) leaves the last space to the next word
        return e - i;                          // \s+
    }

    /// <summary>Case-insensitive <c>'s|'t|'re|'ve|'m|'ll|'d</c> (ASCII case folding).</summary>
    protected static int Contraction(ReadOnlySpan<char> s, int i, bool ignoreCase)
    {
        if (s[i] != '\'' || i + 1 >= s.Length) return 0;
        char a = s[i + 1], b = i + 2 < s.Length ? s[i + 2] : '\0';
        if (ignoreCase) { a = Lower(a); b = Lower(b); }
        switch (a)
        {
            case 's' or 't' or 'm' or 'd': return 2;
            case 'r' or 'v': return b == 'e' ? 3 : 0;
            case 'l': return b == 'l' ? 3 : 0;
            default: return 0;
        }
        static char Lower(char c) => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
    }
}

/// <summary><c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c> (GPT-2, ByteLevel use_regex).</summary>
sealed class Gpt2Pattern : PositionalPattern
{
    const CpFlags LNS = CpFlags.Letter | CpFlags.Number | CpFlags.Space;

    protected override int MatchAt(ReadOnlySpan<char> s, int i)
    {
        int len = Contraction(s, i, ignoreCase: false);
        if (len > 0) return len;
        int j = s[i] == ' ' ? i + 1 : i;
        if (j < s.Length)
        {
            var f = CodePoints.At(s, j, out _);
            if ((f & CpFlags.Letter) != 0) return RunOf(s, j, CpFlags.Letter) - i;
            if ((f & CpFlags.Number) != 0) return RunOf(s, j, CpFlags.Number) - i;
            if ((f & LNS) == 0) return RunOfNone(s, j, LNS) - i;
        }
        return Whitespace(s, i, newlineAlternative: false);
    }
}

/// <summary>
/// The cl100k-style pattern of Qwen2 (<c>\p{N}</c>) and Llama-3 (<c>\p{N}{1,3}</c>):
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,k}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
/// </summary>
sealed class Cl100kPattern(int maxDigits) : PositionalPattern
{
    const CpFlags LNS = CpFlags.Letter | CpFlags.Number | CpFlags.Space;

    protected override int MatchAt(ReadOnlySpan<char> s, int i)
    {
        int len = Contraction(s, i, ignoreCase: true);
        if (len > 0) return len;
        var f = CodePoints.At(s, i, out int w);
        if ((f & CpFlags.Letter) != 0) return RunOf(s, i, CpFlags.Letter) - i;
        if ((f & (CpFlags.CrLf | CpFlags.Number)) == 0 && Is(s, i + w, CpFlags.Letter))
            return RunOf(s, i + w, CpFlags.Letter) - i;
        if ((f & CpFlags.Number) != 0)
        {
            int e = i, n = 0;
            while (n < maxDigits && e < s.Length && (CodePoints.At(s, e, out int wd) & CpFlags.Number) != 0) { e += wd; n++; }
            return e - i;
        }
        int j = s[i] == ' ' ? i + 1 : i;
        if (j < s.Length && (CodePoints.At(s, j, out _) & LNS) == 0)
            return CrLfRun(s, RunOfNone(s, j, LNS)) - i;
        return Whitespace(s, i, newlineAlternative: true);
    }
}

/// <summary><c>\p{N}{min,max}</c>.</summary>
sealed class NumberRunPattern(int min, int max) : PositionalPattern
{
    protected override int MatchAt(ReadOnlySpan<char> s, int i)
    {
        int e = i, n = 0;
        while (n < max && e < s.Length && (CodePoints.At(s, e, out int w) & CpFlags.Number) != 0) { e += w; n++; }
        return n >= min ? e - i : 0;
    }
}

/// <summary><c>[一-龥぀-ゟ゠-ヿ]+</c> (DeepSeek: CJK unified U+4E00–U+9FA5, hiragana, katakana).</summary>
sealed class DeepSeekCjkPattern : PositionalPattern
{
    static bool In(char c) => c is >= '\u4E00' and <= '\u9FA5' or >= '\u3040' and <= '\u30FF';

    protected override int MatchAt(ReadOnlySpan<char> s, int i)
    {
        int e = i;
        while (e < s.Length && In(s[e])) e++;
        return e - i;
    }

    public override void FindMatches(ReadOnlySpan<char> s, List<(int Start, int Length)> matches)
    {
        int i = 0;
        while (i < s.Length)
        {
            int k = s[i..].IndexOfAnyInRange('\u3040', '\u9FA5');
            if (k < 0) return;
            i += k;
            int len = MatchAt(s, i);
            if (len > 0) { matches.Add((i, len)); i += len; } else i++;
        }
    }
}

/// <summary>
/// DeepSeek-V3's main split: <c>[!"#$%&amp;'()*+,\-./:;&lt;=&gt;?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
/// ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
/// </summary>
sealed class DeepSeekMainPattern : PositionalPattern
{
    const CpFlags LM = CpFlags.Letter | CpFlags.Mark;
    const CpFlags PS = CpFlags.Punct | CpFlags.Symbol;

    static bool AsciiPunct(char c) => c is >= '!' and <= '/' or >= ':' and <= '@' or >= '[' and <= '`' or >= '{' and <= '~';
    static bool AsciiLetter(char c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';

    protected override int MatchAt(ReadOnlySpan<char> s, int i)
    {
        char c = s[i];
        if (AsciiPunct(c) && i + 1 < s.Length && AsciiLetter(s[i + 1]))
        {
            int e = i + 1;
            while (e < s.Length && AsciiLetter(s[e])) e++;
            return e - i;
        }
        var f = CodePoints.At(s, i, out int w);
        if ((f & LM) != 0) return RunOf(s, i, LM) - i;
        if ((f & (CpFlags.CrLf | CpFlags.Letter | PS)) == 0 && Is(s, i + w, LM)) return RunOf(s, i + w, LM) - i;
        int j = c == ' ' ? i + 1 : i;
        if (Is(s, j, PS)) return CrLfRun(s, RunOf(s, j, PS)) - i;
        return Whitespace(s, i, newlineAlternative: true);
    }
}
