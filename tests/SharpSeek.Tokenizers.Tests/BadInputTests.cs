// Malformed tokenizer.json files and bad ids: clear TokenizerException naming the JSON path, never a crash.
using SharpSeek.Tests;
using Xunit;

namespace SharpSeek.Tokenizers.Tests;

public class BadInputTests
{
    static readonly string ByteVocab = "{" + string.Join(",", Enumerable.Range(0, 256).Select(b => $"\"{Esc(BpeModel.ByteToChar[b])}\": {b}")) + ", \"ab\": 256}";
    static string Esc(char c) => c switch { '"' => "\\\"", '\\' => "\\\\", _ => c.ToString() };

    static string Minimal(string merges = "[\"a b\"]", string pre = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}",
        string decoder = "{\"type\": \"ByteLevel\"}", string extra = "") =>
        $"{{\"version\": \"1.0\", \"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": {pre}, \"post_processor\": null, " +
        $"\"decoder\": {decoder}, {extra} \"model\": {{\"type\": \"BPE\", \"vocab\": {ByteVocab}, \"merges\": {merges}}}}}";

    static TokenizerException LoadFails(string json)
    {
        var dir = Directory.CreateTempSubdirectory("sharpseek-tok-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "tokenizer.json"), json);
            return Assert.ThrowsAny<TokenizerException>(() => Tokenizer.Load(dir.FullName));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void MinimalTokenizerLoadsAndMerges()
    {
        var dir = Directory.CreateTempSubdirectory("sharpseek-tok-");
        File.WriteAllText(Path.Combine(dir.FullName, "tokenizer.json"), Minimal());
        var tok = Tokenizer.Load(dir.FullName);
        Assert.Equal([256, tok.TokenToId("c")!.Value], tok.Encode("abc"));
        Assert.Equal("abc", tok.Decode(tok.Encode("abc")));
        dir.Delete(true);
    }

    [Fact]
    public void TruncatedJson() => Assert.Contains("not valid JSON", LoadFails(Minimal()[..200]).Message);

    [Fact]
    public void NotAnObject() => Assert.Contains("expected a JSON object", LoadFails("[1, 2]").Message);

    [Fact]
    public void MissingModel() => Assert.Equal("$", LoadFails("{\"added_tokens\": []}").JsonPath);

    [Fact]
    public void MergeNamingUnknownToken()
    {
        var e = LoadFails(Minimal(merges: "[\"a b\", \"zz q\"]"));
        Assert.Equal("$.model.merges[1]", e.JsonPath);
        Assert.Contains("zz", e.Message);
    }

    [Fact]
    public void MergeProducingUnknownToken() => Assert.Equal("$.model.merges[0]", LoadFails(Minimal(merges: "[[\"b\", \"c\"]]")).JsonPath);

    [Fact]
    public void MalformedMerge() => Assert.Equal("$.model.merges[0]", LoadFails(Minimal(merges: "[42]")).JsonPath);

    [Fact]
    public void UnknownPreTokenizer()
    {
        var e = LoadFails(Minimal(pre: "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"ByteLevel\"}, {\"type\": \"Frobnicate\"}]}"));
        Assert.Equal("$.pre_tokenizer.pretokenizers[1].type", e.JsonPath);
    }

    [Fact]
    public void UnknownSplitBehavior()
    {
        var e = LoadFails(Minimal(pre: "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \"a\"}, \"behavior\": \"Sideways\", \"invert\": false}, {\"type\": \"ByteLevel\"}]}"));
        Assert.Equal("$.pre_tokenizer.pretokenizers[0].behavior", e.JsonPath);
    }

    [Fact]
    public void BadRegex()
    {
        var e = LoadFails(Minimal(pre: "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(unclosed\"}, \"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\"}]}"));
        Assert.Equal("$.pre_tokenizer.pretokenizers[0].pattern.Regex", e.JsonPath);
    }

    [Fact]
    public void UnknownDecoderAndNormalizer()
    {
        Assert.Equal("$.decoder.type", LoadFails(Minimal(decoder: "{\"type\": \"WordPiece\"}")).JsonPath);
        Assert.Equal("$.normalizer.type", LoadFails(Minimal(extra: "\"normalizer\": {\"type\": \"BertNormalizer\"},").Replace("\"normalizer\": null, ", "")).JsonPath);
    }

    [Fact]
    public void NonByteLevelModelIsRejected() =>
        Assert.Equal("$.pre_tokenizer", LoadFails(Minimal(pre: "{\"type\": \"Digits\", \"individual_digits\": true}")).JsonPath);

    [Fact]
    public void MissingFileOrFolder()
    {
        Assert.Throws<TokenizerException>(() => Tokenizer.Load("/nonexistent/tokenizer.json"));
        var dir = Directory.CreateTempSubdirectory("sharpseek-tok-");
        Assert.Contains("no tokenizer.json", Assert.Throws<TokenizerException>(() => Tokenizer.Load(dir.FullName)).Message);
        dir.Delete(true);
    }

    [Fact]
    public void DecodeRejectsIdsOutOfRange()
    {
        var tok = TestData.Get("qwen3");
        Assert.Contains("out of range", Assert.Throws<TokenizerException>(() => tok.Decode([1, tok.VocabSize])).Message);
        Assert.Throws<TokenizerException>(() => tok.Decode([-1]));
        Assert.Throws<TokenizerException>(() => tok.NewStreamingDecoder().Push(int.MaxValue));
    }
}
