// The general pre-tokenizer regex: translates a tokenizer.json (Oniguruma-flavoured) pattern into a .NET Regex whose
// character classes match whole code points. .NET matches UTF-16 units, so \p{L} alone would never match an astral
// letter and [^\p{L}] would match half an emoji; here every class becomes (?:[BMP part]|high[low-range]|...).
// Slower than the hand-written matchers in SplitPattern.cs, and their oracle in the tests.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SharpSeek.Tokenizers.Unicode;

namespace SharpSeek.Tokenizers.PreTokenization;

public sealed class CodePointRegex : SplitPattern
{
    readonly Regex _regex;

    /// <summary>The translated .NET pattern (for diagnostics).</summary>
    public string Translated { get; }

    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public CodePointRegex(string source)
    {
        Source = source;
        try
        {
            Translated = new Translator(source).Translate();
            _regex = new Regex(Translated, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new TokenizerException($"cannot compile pre-tokenizer regex {source}: {e.Message}", null, e);
        }
    }

    public override void FindMatches(ReadOnlySpan<char> s, List<(int Start, int Length)> matches)
    {
        foreach (var m in _regex.EnumerateMatches(s))
            if (m.Length > 0) matches.Add((m.Index, m.Length));
    }

    // ---------------------------------------------------------------- code point sets

    /// <summary>A set of code points as sorted, disjoint, inclusive ranges.</summary>
    internal sealed class CpSet
    {
        public readonly List<(int Lo, int Hi)> Ranges = [];

        public static CpSet Of(params (int, int)[] ranges) { var s = new CpSet(); foreach (var r in ranges) s.Add(r.Item1, r.Item2); return s.Normalize(); }

        public void Add(int lo, int hi) => Ranges.Add((lo, hi));

        public CpSet Normalize()
        {
            Ranges.Sort();
            var merged = new List<(int, int)>();
            foreach (var (lo, hi) in Ranges)
            {
                if (merged.Count > 0 && lo <= merged[^1].Item2 + 1)
                    merged[^1] = (merged[^1].Item1, Math.Max(merged[^1].Item2, hi));
                else merged.Add((lo, hi));
            }
            Ranges.Clear();
            Ranges.AddRange(merged);
            return this;
        }

        public CpSet Union(CpSet other) { var s = new CpSet(); s.Ranges.AddRange(Ranges); s.Ranges.AddRange(other.Ranges); return s.Normalize(); }

        public CpSet Complement()
        {
            var s = new CpSet();
            int next = 0;
            foreach (var (lo, hi) in Ranges)
            {
                if (lo > next) s.Add(next, lo - 1);
                next = hi + 1;
            }
            if (next <= 0x10FFFF) s.Add(next, 0x10FFFF);
            return s;
        }

        static readonly Dictionary<string, CpSet> Cache = [];

        /// <summary>All code points satisfying <paramref name="pred"/> (scans the whole code space once per key).</summary>
        public static CpSet Where(string key, Func<int, bool> pred)
        {
            lock (Cache)
            {
                if (Cache.TryGetValue(key, out var cached)) return cached;
                var s = new CpSet();
                int start = -1;
                for (int cp = 0; cp <= 0x110000; cp++)
                {
                    bool inSet = cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) && pred(cp);
                    if (inSet && start < 0) start = cp;
                    else if (!inSet && start >= 0) { s.Add(start, cp - 1); start = -1; }
                }
                return Cache[key] = s;
            }
        }

        /// <summary>Emits a .NET sub-pattern matching exactly one code point of the set.</summary>
        public string Emit()
        {
            var bmp = new StringBuilder();
            var astral = new List<string>();
            foreach (var (lo0, hi0) in Ranges)
            {
                // BMP part (surrogate code points excluded: input text is sanitized to well-formed UTF-16).
                foreach (var (lo, hi) in new[] { (lo0, Math.Min(hi0, 0xD7FF)), (Math.Max(lo0, 0xE000), Math.Min(hi0, 0xFFFF)) })
                    if (lo <= hi) { bmp.Append(Esc(lo)); if (hi > lo) bmp.Append('-').Append(Esc(hi)); }
                int alo = Math.Max(lo0, 0x10000), ahi = hi0;
                if (alo > ahi) continue;
                int h1 = 0xD800 + ((alo - 0x10000) >> 10), l1 = 0xDC00 + ((alo - 0x10000) & 0x3FF);
                int h2 = 0xD800 + ((ahi - 0x10000) >> 10), l2 = 0xDC00 + ((ahi - 0x10000) & 0x3FF);
                if (h1 == h2) astral.Add($"{Esc(h1)}[{Esc(l1)}-{Esc(l2)}]");
                else
                {
                    astral.Add($"{Esc(h1)}[{Esc(l1)}-\\uDFFF]");
                    if (h2 - h1 > 1) astral.Add($"[{Esc(h1 + 1)}-{Esc(h2 - 1)}][\\uDC00-\\uDFFF]");
                    astral.Add($"{Esc(h2)}[\\uDC00-{Esc(l2)}]");
                }
            }
            if (bmp.Length == 0 && astral.Count == 0) return "(?!)";
            if (astral.Count == 0) return "[" + bmp + "]";
            // the lookahead lets a BMP character fail the astral alternatives at once instead of trying each
            var astralPart = "(?=[\\uD800-\\uDBFF])(?:" + string.Join("|", astral) + ")";
            return bmp.Length == 0 ? "(?:" + astralPart + ")" : "(?:[" + bmp + "]|" + astralPart + ")";
        }

        static string Esc(int c) => $"\\u{c:X4}";
    }

    static CpSet Category(string name)
    {
        static bool Cat(int cp, params UnicodeCategory[] cats) => Array.IndexOf(cats, CharUnicodeInfo.GetUnicodeCategory(cp)) >= 0;
        return name switch
        {
            "L" or "Letter" => CpSet.Where("L", cp => (CodePoints.FromCategory(CharUnicodeInfo.GetUnicodeCategory(cp)) & CpFlags.Letter) != 0),
            "N" or "Number" => CpSet.Where("N", cp => (CodePoints.FromCategory(CharUnicodeInfo.GetUnicodeCategory(cp)) & CpFlags.Number) != 0),
            "M" or "Mark" => CpSet.Where("M", cp => (CodePoints.FromCategory(CharUnicodeInfo.GetUnicodeCategory(cp)) & CpFlags.Mark) != 0),
            "P" or "Punctuation" => CpSet.Where("P", cp => (CodePoints.FromCategory(CharUnicodeInfo.GetUnicodeCategory(cp)) & CpFlags.Punct) != 0),
            "S" or "Symbol" => CpSet.Where("S", cp => (CodePoints.FromCategory(CharUnicodeInfo.GetUnicodeCategory(cp)) & CpFlags.Symbol) != 0),
            "Z" or "Separator" => CpSet.Where("Z", cp => Cat(cp, UnicodeCategory.SpaceSeparator, UnicodeCategory.LineSeparator, UnicodeCategory.ParagraphSeparator)),
            "C" or "Other" => CpSet.Where("C", cp => Cat(cp, UnicodeCategory.Control, UnicodeCategory.Format, UnicodeCategory.PrivateUse, UnicodeCategory.OtherNotAssigned, UnicodeCategory.Surrogate)),
            "Lu" => CpSet.Where("Lu", cp => Cat(cp, UnicodeCategory.UppercaseLetter)),
            "Ll" => CpSet.Where("Ll", cp => Cat(cp, UnicodeCategory.LowercaseLetter)),
            "Lt" => CpSet.Where("Lt", cp => Cat(cp, UnicodeCategory.TitlecaseLetter)),
            "Lm" => CpSet.Where("Lm", cp => Cat(cp, UnicodeCategory.ModifierLetter)),
            "Lo" => CpSet.Where("Lo", cp => Cat(cp, UnicodeCategory.OtherLetter)),
            "Mn" => CpSet.Where("Mn", cp => Cat(cp, UnicodeCategory.NonSpacingMark)),
            "Mc" => CpSet.Where("Mc", cp => Cat(cp, UnicodeCategory.SpacingCombiningMark)),
            "Me" => CpSet.Where("Me", cp => Cat(cp, UnicodeCategory.EnclosingMark)),
            "Nd" => CpSet.Where("Nd", cp => Cat(cp, UnicodeCategory.DecimalDigitNumber)),
            "Nl" => CpSet.Where("Nl", cp => Cat(cp, UnicodeCategory.LetterNumber)),
            "No" => CpSet.Where("No", cp => Cat(cp, UnicodeCategory.OtherNumber)),
            "Pc" => CpSet.Where("Pc", cp => Cat(cp, UnicodeCategory.ConnectorPunctuation)),
            "Pd" => CpSet.Where("Pd", cp => Cat(cp, UnicodeCategory.DashPunctuation)),
            "Ps" => CpSet.Where("Ps", cp => Cat(cp, UnicodeCategory.OpenPunctuation)),
            "Pe" => CpSet.Where("Pe", cp => Cat(cp, UnicodeCategory.ClosePunctuation)),
            "Pi" => CpSet.Where("Pi", cp => Cat(cp, UnicodeCategory.InitialQuotePunctuation)),
            "Pf" => CpSet.Where("Pf", cp => Cat(cp, UnicodeCategory.FinalQuotePunctuation)),
            "Po" => CpSet.Where("Po", cp => Cat(cp, UnicodeCategory.OtherPunctuation)),
            "Sm" => CpSet.Where("Sm", cp => Cat(cp, UnicodeCategory.MathSymbol)),
            "Sc" => CpSet.Where("Sc", cp => Cat(cp, UnicodeCategory.CurrencySymbol)),
            "Sk" => CpSet.Where("Sk", cp => Cat(cp, UnicodeCategory.ModifierSymbol)),
            "So" => CpSet.Where("So", cp => Cat(cp, UnicodeCategory.OtherSymbol)),
            "Zs" => CpSet.Where("Zs", cp => Cat(cp, UnicodeCategory.SpaceSeparator)),
            "Cc" => CpSet.Where("Cc", cp => Cat(cp, UnicodeCategory.Control)),
            "Cf" => CpSet.Where("Cf", cp => Cat(cp, UnicodeCategory.Format)),
            "Han" => CpSet.Where("Han", IsHan),
            _ => throw new ArgumentException($"unsupported Unicode property \\p{{{name}}}"),
        };
    }

    static bool IsHan(int cp) => cp is >= 0x2E80 and <= 0x2FDF or 0x3005 or 0x3007 or >= 0x3021 and <= 0x3029
        or >= 0x3038 and <= 0x303B or >= 0x3400 and <= 0x4DBF or >= 0x4E00 and <= 0x9FFF or >= 0xF900 and <= 0xFAFF
        or >= 0x20000 and <= 0x3FFFF;

    static CpSet Whitespace => CpSet.Where("s", CodePoints.IsWhiteSpace);
    static CpSet Digit => Category("Nd");
    static CpSet Word => CpSet.Where("w", cp => (CodePoints.FromCategory(CharUnicodeInfo.GetUnicodeCategory(cp)) & (CpFlags.Letter | CpFlags.Mark)) != 0
        || CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation);

    // ---------------------------------------------------------------- translation

    sealed class Translator(string src)
    {
        int _i;
        readonly StringBuilder _out = new();

        public string Translate()
        {
            while (_i < src.Length)
            {
                char c = src[_i];
                switch (c)
                {
                    case '[': _out.Append(ParseClass().Emit()); break;
                    case '\\':
                        {
                            var set = ParseEscape(out int literal, out string? passthrough);
                            if (set != null) _out.Append(set.Emit());
                            else if (passthrough != null) _out.Append(passthrough);
                            else _out.Append(Literal(literal));
                            break;
                        }
                    case '.': _i++; _out.Append(CpSet.Of(('\n', '\n')).Complement().Emit()); break;
                    case '(' when _i + 1 < src.Length && src[_i + 1] == '?':
                        {
                            // group prefix: (?:  (?i:  (?=  (?!  (?<=  (?<!  (?<name>  (?i)
                            int end = src.IndexOfAny([':', '=', '!', '>', ')'], _i + 2);
                            if (end < 0) throw new ArgumentException("unterminated group");
                            _out.Append(src, _i, end + 1 - _i);
                            _i = end + 1;
                            break;
                        }
                    case '{':
                        {
                            int end = src.IndexOf('}', _i);
                            if (end < 0) throw new ArgumentException("unterminated quantifier");
                            _out.Append(src, _i, end + 1 - _i);
                            _i = end + 1;
                            break;
                        }
                    case '(' or ')' or '|' or '*' or '+' or '?' or '}' or '^' or '$':
                        _out.Append(c); _i++; break;
                    default:
                        {
                            int cp = char.ConvertToUtf32(src, _i);
                            _i += cp > 0xFFFF ? 2 : 1;
                            _out.Append(Literal(cp));
                            break;
                        }
                }
            }
            return _out.ToString();
        }

        static string Literal(int cp)
        {
            if (cp > 0xFFFF) return "(?:" + Regex.Escape(char.ConvertFromUtf32(cp)) + ")";
            if (cp < 0x80) return char.IsAsciiLetterOrDigit((char)cp) ? ((char)cp).ToString() : $"\\x{cp:X2}";
            return $"\\u{cp:X4}";
        }

        /// <summary>After a backslash: a class (\p, \s, ...), a literal code point, or an anchor to pass through.</summary>
        CpSet? ParseEscape(out int literal, out string? passthrough)
        {
            literal = -1; passthrough = null;
            _i++; // backslash
            if (_i >= src.Length) throw new ArgumentException("pattern ends with a backslash");
            char e = src[_i++];
            switch (e)
            {
                case 'p' or 'P':
                    {
                        string name;
                        if (_i < src.Length && src[_i] == '{')
                        {
                            int end = src.IndexOf('}', _i);
                            if (end < 0) throw new ArgumentException("unterminated \\p{");
                            name = src[(_i + 1)..end];
                            _i = end + 1;
                        }
                        else name = src[_i++].ToString();
                        bool neg = e == 'P';
                        if (name.StartsWith('^')) { neg = !neg; name = name[1..]; }
                        var set = Category(name);
                        return neg ? set.Complement() : set;
                    }
                case 's': return Whitespace;
                case 'S': return Whitespace.Complement();
                case 'd': return Digit;
                case 'D': return Digit.Complement();
                case 'w': return Word;
                case 'W': return Word.Complement();
                case 'r': literal = '\r'; return null;
                case 'n': literal = '\n'; return null;
                case 't': literal = '\t'; return null;
                case 'f': literal = '\f'; return null;
                case 'v': literal = '\v'; return null;
                case 'a': literal = '\a'; return null;
                case 'e': literal = 0x1B; return null;
                case '0': literal = 0; return null;
                case 'x':
                    if (_i < src.Length && src[_i] == '{')
                    {
                        int end = src.IndexOf('}', _i);
                        literal = Convert.ToInt32(src[(_i + 1)..end], 16);
                        _i = end + 1;
                    }
                    else { literal = Convert.ToInt32(src.Substring(_i, 2), 16); _i += 2; }
                    return null;
                case 'u': literal = Convert.ToInt32(src.Substring(_i, 4), 16); _i += 4; return null;
                case 'A' or 'z' or 'Z' or 'b' or 'B' or 'G':
                    passthrough = "\\" + e; return null;
                default:
                    if (char.IsAsciiLetterOrDigit(e)) throw new ArgumentException($"unsupported escape \\{e}");
                    literal = e; return null;
            }
        }

        /// <summary>Parses [...] (with ^, ranges, escapes and nested classes) into a set.</summary>
        CpSet ParseClass()
        {
            _i++; // [
            bool neg = false;
            if (_i < src.Length && src[_i] == '^') { neg = true; _i++; }
            var set = new CpSet();
            bool first = true;
            while (true)
            {
                if (_i >= src.Length) throw new ArgumentException("unterminated character class");
                char c = src[_i];
                if (c == ']' && !first) { _i++; break; }
                first = false;
                int lo;
                if (c == '[') { set = set.Union(ParseClass()); continue; }
                if (c == '\\')
                {
                    var inner = ParseEscape(out lo, out var pass);
                    if (pass != null) throw new ArgumentException($"{pass} inside a character class");
                    if (inner != null) { set = set.Union(inner); continue; }
                }
                else { lo = char.ConvertToUtf32(src, _i); _i += lo > 0xFFFF ? 2 : 1; }
                int hi = lo;
                if (_i + 1 < src.Length && src[_i] == '-' && src[_i + 1] != ']')
                {
                    _i++;
                    if (src[_i] == '\\') { if (ParseEscape(out hi, out _) != null) throw new ArgumentException("class escape as range end"); }
                    else { hi = char.ConvertToUtf32(src, _i); _i += hi > 0xFFFF ? 2 : 1; }
                }
                set.Add(lo, hi);
            }
            set.Normalize();
            return neg ? set.Complement() : set;
        }
    }
}
