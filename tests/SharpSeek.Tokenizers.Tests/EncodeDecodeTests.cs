// Round trips, streaming decode, special tokens, the two BPE merge loops, and NFC/NFKC tables.
using System.Text;
using SharpSeek.Tokenizers.Unicode;
using NormalizationForm = SharpSeek.Tokenizers.Unicode.NormalizationForm;
using Xunit;

namespace SharpSeek.Tokenizers.Tests;

public class EncodeDecodeTests
{
    public static TheoryData<string> Names() => new() { "deepseek_v3", "qwen3", "llama3_style" };

    [Theory]
    [MemberData(nameof(Names))]
    public void DecodeOfEncodeIsIdentityOnValidText(string name)
    {
        var tok = TestData.Get(name);
        foreach (var (tag, text) in TestData.Corpus.Value)
        {
            var valid = Tokenizer.Sanitize(text);
            // Qwen normalizes to NFC, so its round trip is NFC(x); the others return x itself.
            var expected = name == "qwen3" ? UnicodeNormalizer.Normalize(valid, NormalizationForm.Nfc) : valid;
            // llama3_style sets clean_up_tokenization_spaces (as Meta's config does), so its decode is cleaned up.
            if (name == "llama3_style") expected = Tokenizer.CleanUpTokenizationSpaces(expected);
            Assert.True(expected == tok.Decode(tok.Encode(valid)), $"{name}/{tag}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void RoundTripAndStreamingOnRandomStrings(string name)
    {
        var tok = TestData.Get(name);
        var texts = System.Text.Json.JsonDocument.Parse(File.ReadAllText(SharpSeek.Tests.Fixtures.Path("tokenizers", "fuzz.json")))
            .RootElement.EnumerateArray().Select(e => TestData.JsonString(e.GetRawText()));
        foreach (var text in texts)
        {
            var ids = tok.Encode(text);
            var expected = name == "qwen3" ? UnicodeNormalizer.Normalize(text, NormalizationForm.Nfc) : text;
            if (name == "llama3_style") expected = Tokenizer.CleanUpTokenizationSpaces(expected);
            Assert.Equal(expected, tok.Decode(ids));
            var dec = tok.NewStreamingDecoder();
            var sb = new StringBuilder();
            foreach (var id in ids) sb.Append(dec.Push(id));
            sb.Append(dec.Flush());
            var streamed = name == "llama3_style" ? Tokenizer.CleanUpTokenizationSpaces(sb.ToString()) : sb.ToString();
            Assert.Equal(tok.Decode(ids), streamed);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StreamingDecodeNeverSplitsACharacterAndConcatenatesToDecode(string name)
    {
        var tok = TestData.Get(name);
        foreach (var (tag, text) in TestData.Corpus.Value)
        {
            var ids = tok.Encode(text);
            var dec = tok.NewStreamingDecoder();
            var sb = new StringBuilder();
            foreach (var id in ids)
            {
                var piece = dec.Push(id);
                Assert.False(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), $"{tag}: half a surrogate pair");
                sb.Append(piece);
            }
            sb.Append(dec.Flush());
            var full = tok.Decode(ids);
            if (name == "llama3_style") Assert.Equal(full, Tokenizer.CleanUpTokenizationSpaces(sb.ToString()));
            else Assert.Equal(full, sb.ToString());
        }
    }

    [Fact]
    public void StreamingHoldsBackPartialUtf8()
    {
        var tok = TestData.Get("qwen3");
        // 😀 is F0 9F 98 80: byte tokens arrive one at a time
        var byteIds = "\U0001F600"u8.ToArray().Select(b => tok.TokenToId(BpeModel.ByteToChar[b].ToString())!.Value).ToArray();
        var dec = tok.NewStreamingDecoder();
        Assert.Equal("", dec.Push(byteIds[0]));
        Assert.Equal("", dec.Push(byteIds[1]));
        Assert.Equal("", dec.Push(byteIds[2]));
        Assert.Equal("😀", dec.Push(byteIds[3]));
        // an incomplete character flushed at the end becomes U+FFFD, as Decode does
        Assert.Equal("", dec.Push(byteIds[0]));
        Assert.Equal("\uFFFD", dec.Flush());
        Assert.Equal("\uFFFD", tok.Decode([byteIds[0]]));
        // an invalid byte is emitted right away (no waiting for a continuation that cannot come)
        var ff = tok.TokenToId(BpeModel.ByteToChar[0xFF].ToString())!.Value;
        Assert.Equal("\uFFFD", dec.Push(ff));
    }

    [Fact]
    public void SpecialTokensAreAddedOnlyWhenAsked()
    {
        var ds = TestData.Get("deepseek_v3");
        Assert.Equal(0, ds.BosId);
        Assert.Equal(1, ds.EosId);
        var plain = ds.Encode("Hello");
        // tokenizer_config add_bos_token=true (transformers' LlamaTokenizerFast adds BOS; tokenizer.json's ByteLevel post-processor does not)
        Assert.Equal([0, .. plain], ds.Encode("Hello", addSpecialTokens: true));
        var llama = TestData.Get("llama3_style");
        Assert.Equal([llama.BosId!.Value, .. llama.Encode("Hello")], llama.Encode("Hello", addSpecialTokens: true));
        var qwen = TestData.Get("qwen3");
        Assert.Null(qwen.BosId);
        Assert.Equal(qwen.Encode("Hello"), qwen.Encode("Hello", addSpecialTokens: true));
        Assert.Equal("<|im_end|>", qwen.IdToToken(qwen.EosId!.Value));
        Assert.Equal("Hello", ds.Decode(ds.Encode("Hello", addSpecialTokens: true), skipSpecialTokens: true));
    }

    [Fact]
    public void VocabSizesAndTokenLookups()
    {
        Assert.Equal(128815, TestData.Get("deepseek_v3").VocabSize);
        Assert.Equal(151669, TestData.Get("qwen3").VocabSize);
        var ds = TestData.Get("deepseek_v3");
        Assert.Equal(128803, ds.TokenToId("<｜User｜>"));
        Assert.Equal("<｜tool▁sep｜>", ds.IdToToken(ds.TokenToId("<｜tool▁sep｜>")!.Value));
        Assert.Null(ds.TokenToId("definitely not a token"));
        Assert.Null(ds.IdToToken(-1));
        Assert.Null(ds.IdToToken(10_000_000));
    }

    [Fact]
    public void MergeLoopsAgree()
    {
        // MergeSmall (flat array) and MergeLarge (heap) on the same byte sequences, including long runs.
        var tok = TestData.Get("deepseek_v3");
        var model = tok.Model;
        var words = TestData.Corpus.Value.Select(c => Tokenizer.Sanitize(c.Text)).Concat(["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", new string(' ', 300), "internationalization"]);
        foreach (var w in words)
        {
            var bytes = Encoding.UTF8.GetBytes(w);
            var ids = bytes.Select(b => model!.Vocab[BpeModel.ByteToChar[b].ToString()]).ToArray();
            var a = (int[])ids.Clone();
            var b = (int[])ids.Clone();
            int na = model!.MergeSmall(a), nb = model.MergeLarge(b);
            Assert.Equal(a[..na], b[..nb]);
        }
    }

    [Theory]
    [InlineData("e\u0301", "\u00e9", "\u00e9")]
    [InlineData("\u1100\u1161\u11a8", "\uac01", "\uac01")]              // Hangul L V T
    [InlineData("\ufb01", "\ufb01", "fi")]                               // compatibility ligature
    [InlineData("a\u0323\u0302", "\u1ead", "\u1ead")]                    // canonical reordering: dot below before circumflex
    [InlineData("\u212b", "\u00c5", "\u00c5")]                           // singleton (Angstrom sign)
    [InlineData("\U0001D573", "\U0001D573", "H")]                        // astral compatibility (math fraktur)
    [InlineData("plain ascii", "plain ascii", "plain ascii")]
    public void NormalizationForms(string input, string nfc, string nfkc)
    {
        Assert.Equal(nfc, UnicodeNormalizer.Normalize(input, NormalizationForm.Nfc));
        Assert.Equal(nfkc, UnicodeNormalizer.Normalize(input, NormalizationForm.Nfkc));
    }

    [Fact]
    public void LoneSurrogatesBecomeReplacementCharacter()
    {
        var tok = TestData.Get("qwen3");
        Assert.Equal(tok.Encode("x\uFFFDy\uFFFD"), tok.Encode("x\uD800y\uDC00"));
        Assert.Equal("x\uFFFDy", tok.Decode(tok.Encode("x\uD800y")));
    }
}

public class ConcurrencyTests
{
    [Fact]
    public void ParallelEncodesOfSeveralTokenizersAgreeWithSerial()
    {
        var names = new[] { "deepseek_v3", "qwen3", "trained" };
        var texts = TestData.Corpus.Value.Select(c => c.Text).ToArray();
        var serial = names.ToDictionary(n => n, n => texts.Select(t => TestData.Get(n).Encode(t)).ToArray());
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            var n = names[k % names.Length];
            int i = k / names.Length % texts.Length;
            Assert.Equal(serial[n][i], TestData.Get(n).Encode(texts[i]));
        });
    }
}
