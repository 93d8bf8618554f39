// A byte-level BPE tokenizer between Hugging Face's tokenizer.json (+ tokenizer_config.json) and GGUF's
// tokenizer.ggml.* keys, as llama.cpp's converter writes them (_set_vocab_gpt2 / gguf.SpecialVocab):
//   model "gpt2", pre (the pre-tokenizer's name in llama.cpp), tokens (one per id up to vocab_size; gaps are
//   "[PAD{id}]" of type UNUSED), token_type (NORMAL 1, CONTROL 3 for special added tokens, USER_DEFINED 4 for the
//   other added tokens, UNUSED 5), merges ("a b"), bos/eos/padding ids, add_bos/add_eos, and chat_template.
// Going back, the pre name selects the pre-tokenizer regexes of that family. Only the JSON is read here; the
// tokenizer itself is SharpSeek.Tokenizers.
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;

namespace SharpSeek.Model.Convert;

public static class GgufTokenizer
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    // llama.cpp pre-tokenizer names and the Hugging Face Split regexes that define them (from the released tokenizer.json files).
    const string Qwen2Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    const string Llama3Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    static readonly string[] DeepseekV3Regexes =
    [
        @"\p{N}{1,3}",
        "[一-龥぀-ゟ゠-ヿ]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    ];

    static readonly (string Pre, string[] Regexes)[] Pres =
    [
        ("qwen2", [Qwen2Regex]),
        ("llama-bpe", [Llama3Regex]),
        ("deepseek-v3", DeepseekV3Regexes),
    ];

    static string[] RegexesOf(string pre) => pre switch
    {
        "qwen2" or "deepseek-r1-qwen" or "qwen35" => [Qwen2Regex],
        "llama-bpe" or "llama3" or "smaug-bpe" => [Llama3Regex],
        "deepseek-v3" => DeepseekV3Regexes,
        _ => [],
    };

    static string DefaultPre(string arch) => arch switch { GgufConfig.Llama => "llama-bpe", GgufConfig.Deepseek2 => "deepseek-v3", _ => "qwen2" };

    /// <summary>True when `dir` holds a tokenizer.json this converter can carry.</summary>
    public static bool Present(string dir) => File.Exists(Path.Combine(dir, "tokenizer.json"));

    // ---------------------------------------------------------------- tokenizer.json → GGUF

    public static void Write(string dir, ModelConfig config, GgufWriter w, string arch)
    {
        string file = Path.Combine(dir, "tokenizer.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { MaxDepth = 64 });
        var root = doc.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.GetProperty("type").GetString() != "BPE")
            throw new CheckpointException(file, "model.type", $"{file}: only BPE tokenizers convert to GGUF (tokenizer.ggml.model gpt2)");
        var vocab = new Dictionary<int, string>();
        foreach (var kv in model.GetProperty("vocab").EnumerateObject()) vocab[kv.Value.GetInt32()] = kv.Name;
        var added = new Dictionary<int, bool>();   // id → special
        if (root.TryGetProperty("added_tokens", out var at))
            foreach (var t in at.EnumerateArray())
            {
                int id = t.GetProperty("id").GetInt32();
                vocab[id] = t.GetProperty("content").GetString()!;
                added[id] = t.TryGetProperty("special", out var sp) && sp.GetBoolean();
            }
        int size = Math.Max(config.VocabSize, vocab.Count == 0 ? 0 : vocab.Keys.Max() + 1);
        if (vocab.Keys.Any(id => id >= config.VocabSize))
            throw new CheckpointException(file, "vocab", $"{file}: token id {vocab.Keys.Max()} is beyond vocab_size {config.VocabSize} in config.json");
        var tokens = new string[size];
        var types = new int[size];
        for (int i = 0; i < size; i++)
        {
            if (!vocab.TryGetValue(i, out var tok)) { tokens[i] = $"[PAD{i}]"; types[i] = Unused; continue; }
            tokens[i] = tok;
            types[i] = added.TryGetValue(i, out bool special) ? (special || LooksSpecial(tok) ? Control : UserDefined) : Normal;
        }
        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var ms))
            foreach (var m in ms.EnumerateArray())
                merges.Add(m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!);

        w.Set("tokenizer.ggml.model", "gpt2");
        w.Set("tokenizer.ggml.pre", DetectPre(root, arch));
        w.Set("tokenizer.ggml.tokens", GgufValue.Strings(tokens));
        w.Set("tokenizer.ggml.token_type", GgufValue.Int32s(types));
        w.Set("tokenizer.ggml.merges", GgufValue.Strings(merges));

        var ids = vocab.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key, StringComparer.Ordinal);
        JsonElement cfg = default;
        string cfgFile = Path.Combine(dir, "tokenizer_config.json");
        using var cfgDoc = File.Exists(cfgFile) ? JsonDocument.Parse(File.ReadAllText(cfgFile)) : null;
        if (cfgDoc is not null) cfg = cfgDoc.RootElement;
        int? TokenId(string key)
        {
            if (cfgDoc is null || !cfg.TryGetProperty(key, out var v)) return null;
            string? content = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
                _ => null,
            };
            return content is not null && ids.TryGetValue(content, out int id) ? id : null;
        }
        if ((TokenId("bos_token") ?? ModelConfig.FirstId(config.BosTokenId)) is { } bos) w.Set("tokenizer.ggml.bos_token_id", (uint)bos);
        if ((TokenId("eos_token") ?? ModelConfig.FirstId(config.EosTokenId)) is { } eos) w.Set("tokenizer.ggml.eos_token_id", (uint)eos);
        if (TokenId("pad_token") is { } pad) w.Set("tokenizer.ggml.padding_token_id", (uint)pad);
        if (cfgDoc is null) return;
        if (cfg.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False)
            w.Set("tokenizer.ggml.add_bos_token", ab.GetBoolean());
        if (cfg.TryGetProperty("add_eos_token", out var ae) && ae.ValueKind is JsonValueKind.True or JsonValueKind.False)
            w.Set("tokenizer.ggml.add_eos_token", ae.GetBoolean());
        if (cfg.TryGetProperty("chat_template", out var ct))
        {
            if (ct.ValueKind == JsonValueKind.String) w.Set("tokenizer.chat_template", ct.GetString()!);
            else if (ct.ValueKind == JsonValueKind.Array)
                foreach (var named in ct.EnumerateArray())
                {
                    string name = named.GetProperty("name").GetString()!, template = named.GetProperty("template").GetString()!;
                    w.Set(name == "default" ? "tokenizer.chat_template" : $"tokenizer.chat_template.{name}", template);
                }
        }
    }

    /// <summary>llama.cpp's does_token_look_special: &lt;|…|&gt; and DeepSeek's full-width &lt;｜…｜&gt;.</summary>
    static bool LooksSpecial(string t) =>
        t.StartsWith("<|", StringComparison.Ordinal) && t.EndsWith("|>", StringComparison.Ordinal)
        || t.StartsWith("<｜", StringComparison.Ordinal) && t.EndsWith("｜>", StringComparison.Ordinal);

    /// <summary>The llama.cpp pre-tokenizer name for the Split regexes of tokenizer.json, else the family's default.</summary>
    public static string DetectPre(JsonElement root, string arch)
    {
        var regexes = new List<string>();
        if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object) CollectSplits(pre, regexes);
        foreach (var (name, known) in Pres)
            if (known.SequenceEqual(regexes)) return name;
        return DefaultPre(arch);
    }

    static void CollectSplits(JsonElement node, List<string> into)
    {
        if (node.TryGetProperty("type", out var t) && t.GetString() == "Split" && node.TryGetProperty("pattern", out var p)
            && p.TryGetProperty("Regex", out var r)) into.Add(r.GetString()!);
        if (node.TryGetProperty("pretokenizers", out var list))
            foreach (var child in list.EnumerateArray()) CollectSplits(child, into);
    }

    // ---------------------------------------------------------------- GGUF → tokenizer.json

    /// <summary>Rebuilds tokenizer.json and tokenizer_config.json from tokenizer.ggml.*; null when the file has no vocab.</summary>
    public static (string TokenizerJson, string TokenizerConfigJson)? Read(GgufFile f)
    {
        if (f.GetArray("tokenizer.ggml.tokens") is not { } tokArray) return null;
        string model = f.GetString("tokenizer.ggml.model") ?? "gpt2";
        if (model != "gpt2")
            throw new CheckpointException(f.Path, "tokenizer.ggml.model", $"{f.Path}: tokenizer model '{model}' cannot be rebuilt as tokenizer.json (only gpt2 byte-level BPE)");
        var tokens = tokArray.AsStrings();
        var types = f.GetArray("tokenizer.ggml.token_type")?.AsInt64s() ?? new long[tokens.Length];
        if (types.Length != tokens.Length)
            throw new CheckpointException(f.Path, "tokenizer.ggml.token_type", $"{f.Path}: {types.Length} token types for {tokens.Length} tokens");
        string arch = f.GetString("general.architecture") ?? "";
        string pre = f.GetString("tokenizer.ggml.pre") ?? DefaultPre(arch);
        var regexes = RegexesOf(pre);
        if (regexes.Length == 0) regexes = RegexesOf(DefaultPre(arch));

        var vocab = new JsonObject();
        var added = new JsonArray();
        for (int i = 0; i < tokens.Length; i++)
        {
            if (types[i] == Unused && tokens[i] == $"[PAD{i}]") continue;
            if (types[i] is Control or UserDefined)
                added.Add(new JsonObject
                {
                    ["id"] = i, ["content"] = tokens[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                    ["normalized"] = types[i] == UserDefined, ["special"] = types[i] == Control,
                });
            vocab[tokens[i]] = i;
        }
        var merges = new JsonArray();
        foreach (var m in f.GetArray("tokenizer.ggml.merges")?.AsStrings() ?? []) merges.Add(m);

        var preTokenizers = new JsonArray();
        foreach (var r in regexes)
            preTokenizers.Add(new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = r }, ["behavior"] = "Isolated", ["invert"] = false });
        preTokenizers.Add(new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false });

        long? bos = f.GetInt("tokenizer.ggml.bos_token_id"), eos = f.GetInt("tokenizer.ggml.eos_token_id"), pad = f.GetInt("tokenizer.ggml.padding_token_id");
        bool addBos = f.GetBool("tokenizer.ggml.add_bos_token") ?? false;
        string? Tok(long? id) => id is { } v && v >= 0 && v < tokens.Length ? tokens[v] : null;
        JsonNode postProcessor = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false };
        if (addBos && Tok(bos) is { } bosText)
            postProcessor = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = bosText, ["type_id"] = 0 } },
                                           new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = bosText, ["type_id"] = 0 } },
                                         new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                                         new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                ["special_tokens"] = new JsonObject { [bosText] = new JsonObject { ["id"] = bosText, ["ids"] = new JsonArray(bos!.Value), ["tokens"] = new JsonArray(bosText) } },
            };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = pre is "qwen2" or "deepseek-r1-qwen" or "qwen35" ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = preTokenizers },
            ["post_processor"] = postProcessor,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = pre == "llama-bpe",
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["add_bos_token"] = addBos,
            ["add_eos_token"] = f.GetBool("tokenizer.ggml.add_eos_token") ?? false,
            ["bos_token"] = Tok(bos),
            ["eos_token"] = Tok(eos),
            ["pad_token"] = Tok(pad),
            ["model_max_length"] = f.GetInt($"{arch}.context_length") ?? 4096,
        };
        if (f.GetString("tokenizer.chat_template") is { } template) config["chat_template"] = template;
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return (tokenizer.ToJsonString(options), config.ToJsonString(options));
    }
}
