// Ids and decodes against transformers.js (golden_ids.json, from tools/tokenizers/make-golden.mjs): every corpus string must match.
using Xunit;
using Xunit.Abstractions;

namespace SharpSeek.Tokenizers.Tests;

public class GoldenIdsTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names() => new() { "deepseek_v3", "qwen3", "llama3_style", "trained", "exotic" };

    [Theory]
    [MemberData(nameof(Names))]
    public void EncodeMatchesReferenceOnWholeCorpus(string name)
    {
        var tok = TestData.Get(name);
        var corpus = TestData.Corpus.Value;
        var cases = TestData.GoldenIds.Value.RootElement.GetProperty("tokenizers").GetProperty(name).GetProperty("cases");
        int total = 0, same = 0;
        var failures = new List<string>();
        int i = 0;
        foreach (var c in cases.EnumerateArray())
        {
            var (tag, text) = corpus[i++];
            Assert.Equal(tag, c.GetProperty("tag").GetString());
            if (c.TryGetProperty("js_divergent", out _)) continue; // U+0085 / U+FEFF, non-ASCII digits: see PreTokenizerTests
            total++;
            var expected = TestData.Ints(c.GetProperty("ids"));
            var actual = tok.Encode(text);
            if (expected.SequenceEqual(actual)) same++;
            else failures.Add($"{tag}: expected [{string.Join(",", expected.Take(40))}] got [{string.Join(",", actual.Take(40))}]");
            if (c.TryGetProperty("ids_special", out var sp))
                Assert.Equal(TestData.Ints(sp), tok.Encode(text, addSpecialTokens: true));
        }
        output.WriteLine($"{name}: {same}/{total} corpus strings identical to transformers.js");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EncodeMatchesReferenceOnRandomStrings(string name)
    {
        // 400 seeded random strings of tokenizer-breaking pieces (tests/fixtures/tokenizers/fuzz.json)
        var tok = TestData.Get(name);
        var texts = System.Text.Json.JsonDocument.Parse(File.ReadAllText(SharpSeek.Tests.Fixtures.Path("tokenizers", "fuzz.json")))
            .RootElement.EnumerateArray().Select(e => TestData.JsonString(e.GetRawText())).ToList();
        var rows = TestData.GoldenIds.Value.RootElement.GetProperty("tokenizers").GetProperty(name).GetProperty("fuzz");
        int i = 0, same = 0;
        var failures = new List<string>();
        foreach (var r in rows.EnumerateArray())
        {
            var expected = TestData.Ints(r);
            var actual = tok.Encode(texts[i]);
            if (expected.SequenceEqual(actual)) same++;
            else failures.Add($"#{i}: {System.Text.Json.JsonSerializer.Serialize(texts[i])}");
            i++;
        }
        output.WriteLine($"{name}: {same}/{i} random strings identical to transformers.js");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void DecodeMatchesReference(string name)
    {
        var tok = TestData.Get(name);
        var rows = TestData.GoldenIds.Value.RootElement.GetProperty("tokenizers").GetProperty(name).GetProperty("decode");
        foreach (var r in rows.EnumerateArray())
        {
            var ids = TestData.Ints(r.GetProperty("ids"));
            Assert.Equal(r.GetProperty("text").GetString(), tok.Decode(ids));
            Assert.Equal(r.GetProperty("text_skip").GetString(), tok.Decode(ids, skipSpecialTokens: true));
        }
    }
}
