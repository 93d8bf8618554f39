// The hand-written pre-tokenizer matchers against the general code-point regex translation of the same pattern,
// on the corpus and on random strings built from characters that break tokenizers; plus split behaviors.
using SharpSeek.Tokenizers.PreTokenization;
using Xunit;

namespace SharpSeek.Tokenizers.Tests;

public class PreTokenizerTests
{
    public static TheoryData<string> KnownPatterns() => new()
    {
        SplitPattern.Gpt2, SplitPattern.Qwen2, SplitPattern.Llama3,
        SplitPattern.DeepSeekDigits, SplitPattern.DeepSeekCjk, SplitPattern.DeepSeekMain,
    };

    // letters (ASCII, Latin-1, Greek, astral math letters, CJK, kana), digits (ASCII, Arabic-Indic, astral), marks,
    // punctuation/symbols, emoji (astral, ZWJ, skin tones), every whitespace kind, apostrophes, controls, ſ, K.
    static readonly string[] Pool =
    [
        "a", "Z", "é", "ß", "Ω", "𝕳", "中", "龥", "ぁ", "ヿ", "ｶ", "한", "1", "٣", "𝟙", "½", "Ⅻ", "\u0301", "\u0903",
        ".", ",", "!", "'", "\"", "-", "_", "(", "[", "€", "∑", "©", "😀", "👍🏽", "\u200d", "🇫🇷",
        " ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u000b", "\u200b", "\ufeff", "\u0000",
        "'s", "'S", "'ll", "'Re", "'ve", "'m", "'d", "'t", "ſ",
    ];

    [Theory]
    [MemberData(nameof(KnownPatterns))]
    public void FastMatcherEqualsRegexTranslation(string source)
    {
        var fast = SplitPattern.FromRegex(source);
        var slow = SplitPattern.FromRegex(source, allowFast: false);
        Assert.IsNotType<CodePointRegex>(fast);
        Assert.IsType<CodePointRegex>(slow);
        var inputs = TestData.Corpus.Value.Select(c => Tokenizer.Sanitize(c.Text)).ToList();
        var rng = new Random(1234);
        for (int n = 0; n < 3000; n++)
        {
            int len = rng.Next(1, 24);
            inputs.Add(string.Concat(Enumerable.Range(0, len).Select(_ => Pool[rng.Next(Pool.Length)])));
        }
        var a = new List<(int, int)>();
        var b = new List<(int, int)>();
        foreach (var s in inputs)
        {
            a.Clear(); b.Clear();
            fast.FindMatches(s, a);
            slow.FindMatches(s, b);
            Assert.True(a.SequenceEqual(b), $"pattern {source}\ninput {Escape(s)}\nfast {string.Join(" ", a)}\nregex {string.Join(" ", b)}");
        }
    }

    static string Escape(string s) => string.Concat(s.Select(c => c < 0x20 || c > 0x7e ? $"\\u{(int)c:X4}" : c.ToString()));

    [Fact]
    public void RegexClassesMatchWholeAstralCodePoints()
    {
        // .NET's own \p{L} cannot see 𝕳 (U+1D573, a surrogate pair); the translation can, and never splits a pair.
        var re = new CodePointRegex(@"\p{L}+|[^\p{L}]");
        var m = new List<(int, int)>();
        re.FindMatches("a𝕳b😀", m);
        Assert.Equal([(0, 4), (4, 2)], m);
    }

    [Theory]
    [InlineData("Removed", "a|b||c", new[] { "a", "b", "c" })]
    [InlineData("Isolated", "a|b||c", new[] { "a", "|", "b", "|", "|", "c" })]
    [InlineData("MergedWithPrevious", "a|b||c", new[] { "a|", "b|", "|", "c" })]
    [InlineData("MergedWithNext", "a|b||c", new[] { "a", "|b", "|", "|c" })]
    [InlineData("Contiguous", "a|b||c", new[] { "a", "|", "b", "||", "c" })]
    public void SplitBehaviors(string behavior, string input, string[] expected)
    {
        var split = new SplitPreTokenizer(SplitPattern.FromLiteral("|"), Enum.Parse<SplitBehavior>(behavior), invert: false);
        var output = new List<Piece>();
        split.Split([new Piece(input, 0, input.Length)], output);
        Assert.Equal(expected, output.Select(p => p.ToString()));
    }

    [Fact]
    public void DigitsAreUnicodeNumbersAsInHuggingFace()
    {
        // HF: char::is_numeric; transformers.js: JavaScript's ASCII-only \d (golden rows with such digits are marked js_divergent)
        var output = new List<Piece>();
        new DigitsPreTokenizer(individual: true).Split([new Piece("a٣٤b12", 0, 6)], output);
        Assert.Equal(["a", "٣", "٤", "b", "1", "2"], output.Select(p => p.ToString()));
        output.Clear();
        new DigitsPreTokenizer(individual: false).Split([new Piece("a٣٤b12", 0, 6)], output);
        Assert.Equal(["a", "٣٤", "b", "12"], output.Select(p => p.ToString()));
    }

    [Fact]
    public void WhitespaceIsUnicodeWhiteSpaceAsInHuggingFace()
    {
        // HF's Oniguruma \s (and ours) contains U+0085 and not U+FEFF; JavaScript's is the other way round, so
        // transformers.js differs on these two characters (golden rows marked js_divergent).
        var qwen = TestData.Get("qwen3");
        Assert.Equal(["a", "\u0085", "\u0085b"], qwen.PreTokenize("a\u0085\u0085b"));   // JS: a | NEL NEL | b
        Assert.Equal(["a", "\ufeff\ufeff", "b"], qwen.PreTokenize("a\ufeff\ufeffb"));   // JS: a | BOM | BOM b
    }
}
