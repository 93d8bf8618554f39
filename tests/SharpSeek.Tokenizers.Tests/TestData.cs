// Shared fixtures: the real tokenizers (loaded once per test run) and the golden files made by tools/tokenizers/make-golden.mjs.
using System.Text.Json;
using SharpSeek.Tests;
using SharpSeek.Tokenizers;

namespace SharpSeek.Tokenizers.Tests;

public static class TestData
{
    static readonly Dictionary<string, Lazy<Tokenizer>> Tokenizers = new[] { "deepseek_v3", "qwen3", "llama3_style", "trained", "exotic" }
        .ToDictionary(n => n, n => new Lazy<Tokenizer>(() => Tokenizer.Load(Fixtures.Path("tokenizers", n))));

    public static Tokenizer Get(string name) => Tokenizers[name].Value;

    public static readonly Lazy<JsonDocument> GoldenIds = new(() => JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizers", "golden_ids.json"))));
    public static readonly Lazy<JsonDocument> GoldenTemplates = new(() => JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizers", "golden_templates.json"))));
    public static readonly Lazy<List<(string Tag, string Text)>> Corpus = new(() =>
        JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizers", "corpus.json"))).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("tag").GetString()!, JsonString(e.GetProperty("text").GetRawText()))).ToList());

    /// <summary>Decodes a JSON string literal keeping lone surrogates (System.Text.Json refuses them; the corpus has some on purpose).</summary>
    public static string JsonString(string raw)
    {
        var sb = new System.Text.StringBuilder(raw.Length);
        for (int i = 1; i < raw.Length - 1; i++)
        {
            char c = raw[i];
            if (c != '\\') { sb.Append(c); continue; }
            char e = raw[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u': sb.Append((char)Convert.ToInt32(raw.Substring(i + 1, 4), 16)); i += 4; break;
                default: sb.Append(e); break;
            }
        }
        return sb.ToString();
    }

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
}
