// Reads tokenizer.json (+ tokenizer_config.json) into the components of a Tokenizer. Every unsupported or malformed
// element is a TokenizerException naming its JSON path: a tokenizer we do not understand must not give silent wrong ids.
using System.Text.Json;
using SharpSeek.Tokenizers.PreTokenization;
using SharpSeek.Tokenizers.Unicode;

namespace SharpSeek.Tokenizers;

/// <summary>What tokenizer.json's `post_processor` does to ids when special tokens are requested.</summary>
public sealed record PostProcessor(IReadOnlyList<int> Prefix, IReadOnlyList<int> Suffix)
{
    public static readonly PostProcessor None = new([], []);
    public bool AddsSpecialTokens => Prefix.Count > 0 || Suffix.Count > 0;
}

/// <summary>How ids become text: byte-level (GPT-2 byte table) or the HF default of tokens joined by spaces.</summary>
public enum DecoderKind { ByteLevel, JoinWithSpace }

internal sealed class TokenizerParts
{
    public required BpeModel Model;
    public required List<AddedToken> AddedTokens;
    public Normalizer? Normalizer;
    public PreTokenizer? PreTokenizer;
    public PostProcessor PostProcessor = PostProcessor.None;
    public DecoderKind Decoder = DecoderKind.ByteLevel;
    // from tokenizer_config.json
    public string? BosToken, EosToken, ChatTemplate;
    public bool AddBosToken, AddEosToken, CleanUpTokenizationSpaces;
    public List<string> AdditionalSpecialTokens = [];
}

internal static class TokenizerJson
{
    public static TokenizerParts Load(string tokenizerJsonPath, string? configPath)
    {
        JsonDocument doc;
        try
        {
            using var fs = File.OpenRead(tokenizerJsonPath);
            doc = JsonDocument.Parse(fs, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{tokenizerJsonPath} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}", null, e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new TokenizerException($"{tokenizerJsonPath}: expected a JSON object", "$");
            var model = Req(root, "model", "$");
            var added = ReadAddedTokens(root);
            var parts = new TokenizerParts { Model = ReadModel(model, "$.model"), AddedTokens = added };
            parts.Normalizer = ReadNormalizer(Opt(root, "normalizer"), "$.normalizer");
            parts.PreTokenizer = ReadPreTokenizer(Opt(root, "pre_tokenizer"), "$.pre_tokenizer");
            parts.Decoder = ReadDecoder(Opt(root, "decoder"), "$.decoder");
            parts.PostProcessor = ReadPostProcessor(Opt(root, "post_processor"), "$.post_processor", parts.Model, added);
            if (parts.Decoder == DecoderKind.ByteLevel && parts.PreTokenizer is not { IsByteLevel: true })
                throw new TokenizerException("only byte-level BPE is supported: the pre_tokenizer must contain a ByteLevel step", "$.pre_tokenizer");
            if (configPath != null && File.Exists(configPath)) ReadConfig(configPath, parts);
            return parts;
        }
    }

    // ------------------------------------------------------------------ helpers

    static JsonElement Req(JsonElement obj, string name, string path)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new TokenizerException($"expected an object, found {obj.ValueKind}", path);
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw new TokenizerException($"missing required field '{name}'", path);
        return v;
    }

    static JsonElement? Opt(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    static string Str(JsonElement obj, string name, string path)
    {
        var v = Req(obj, name, path);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new TokenizerException($"'{name}' must be a string, found {v.ValueKind}", $"{path}.{name}");
    }

    static bool Bool(JsonElement obj, string name, bool fallback, string path)
    {
        var v = Opt(obj, name);
        if (v is null) return fallback;
        return v.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerException($"'{name}' must be a boolean, found {v.Value.ValueKind}", $"{path}.{name}"),
        };
    }

    static JsonElement Arr(JsonElement obj, string name, string path)
    {
        var v = Req(obj, name, path);
        return v.ValueKind == JsonValueKind.Array ? v : throw new TokenizerException($"'{name}' must be an array, found {v.ValueKind}", $"{path}.{name}");
    }

    // ------------------------------------------------------------------ model

    static BpeModel ReadModel(JsonElement m, string path)
    {
        var type = Opt(m, "type")?.GetString() ?? "BPE";
        if (type != "BPE") throw new TokenizerException($"unsupported model type '{type}' (only BPE is implemented)", path + ".type");
        if (Opt(m, "dropout") is { ValueKind: JsonValueKind.Number } d && d.GetDouble() != 0)
            throw new TokenizerException("BPE dropout is not supported", path + ".dropout");
        if (Bool(m, "byte_fallback", false, path)) throw new TokenizerException("byte_fallback BPE is not supported", path + ".byte_fallback");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (Opt(m, affix) is { ValueKind: JsonValueKind.String } s && s.GetString()!.Length > 0)
                throw new TokenizerException($"'{affix}' is not supported for byte-level BPE", $"{path}.{affix}");

        var vocabEl = Req(m, "vocab", path);
        if (vocabEl.ValueKind != JsonValueKind.Object) throw new TokenizerException("'vocab' must be an object of token → id", path + ".vocab");
        var vocab = new Dictionary<string, int>(200_000);
        foreach (var p in vocabEl.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw new TokenizerException($"id of token '{p.Name}' must be a non-negative integer", $"{path}.vocab[\"{p.Name}\"]");
            vocab[p.Name] = id;
        }

        var mergesEl = Arr(m, "merges", path);
        var merges = new List<(string, string)>(mergesEl.GetArrayLength());
        int r = 0;
        foreach (var e in mergesEl.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.String)
            {
                // legacy "a b" form: split at the first space (tokens of byte-level BPE never contain a raw space)
                var s = e.GetString()!;
                int sp = s.IndexOf(' ');
                if (sp <= 0 || sp == s.Length - 1) throw new TokenizerException($"merge '{s}' is not of the form \"left right\"", $"{path}.merges[{r}]");
                merges.Add((s[..sp], s[(sp + 1)..]));
            }
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2
                     && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
                merges.Add((e[0].GetString()!, e[1].GetString()!));
            else throw new TokenizerException("a merge must be \"left right\" or [\"left\", \"right\"]", $"{path}.merges[{r}]");
            r++;
        }
        var unk = Opt(m, "unk_token")?.GetString();
        return new BpeModel(vocab, merges, Bool(m, "ignore_merges", false, path), unk);
    }

    static List<AddedToken> ReadAddedTokens(JsonElement root)
    {
        var list = new List<AddedToken>();
        if (Opt(root, "added_tokens") is not { } arr) return list;
        if (arr.ValueKind != JsonValueKind.Array) throw new TokenizerException("'added_tokens' must be an array", "$.added_tokens");
        int i = 0;
        foreach (var t in arr.EnumerateArray())
        {
            var path = $"$.added_tokens[{i++}]";
            var idEl = Req(t, "id", path);
            if (!idEl.TryGetInt32(out int id) || id < 0) throw new TokenizerException("'id' must be a non-negative integer", path + ".id");
            list.Add(new AddedToken(id, Str(t, "content", path), Bool(t, "special", false, path), Bool(t, "lstrip", false, path),
                Bool(t, "rstrip", false, path), Bool(t, "single_word", false, path), Bool(t, "normalized", false, path)));
        }
        return list;
    }

    // ------------------------------------------------------------------ normalizer

    static Normalizer? ReadNormalizer(JsonElement? el, string path)
    {
        if (el is not { } n) return null;
        var type = Str(n, "type", path);
        switch (type)
        {
            case "NFC": return new UnicodeFormNormalizer(NormalizationForm.Nfc);
            case "NFD": return new UnicodeFormNormalizer(NormalizationForm.Nfd);
            case "NFKC": return new UnicodeFormNormalizer(NormalizationForm.Nfkc);
            case "NFKD": return new UnicodeFormNormalizer(NormalizationForm.Nfkd);
            case "Lowercase": return new LowercaseNormalizer();
            case "Strip": return new StripNormalizer(Bool(n, "strip_left", true, path), Bool(n, "strip_right", true, path));
            case "Prepend": return new PrependNormalizer(Str(n, "prepend", path));
            case "Replace":
                {
                    var (lit, rx) = ReadPattern(Req(n, "pattern", path), path + ".pattern");
                    try { return new ReplaceNormalizer(lit, rx, Str(n, "content", path)); }
                    catch (TokenizerException e) { throw new TokenizerException(e.Message, path + ".pattern", e); }
                }
            case "Sequence":
                {
                    var steps = new List<Normalizer>();
                    int i = 0;
                    foreach (var s in Arr(n, "normalizers", path).EnumerateArray())
                    {
                        var step = ReadNormalizer(s, $"{path}.normalizers[{i++}]");
                        if (step != null) steps.Add(step);
                    }
                    return steps.Count == 0 ? null : new SequenceNormalizer(steps);
                }
            default:
                throw new TokenizerException($"unsupported normalizer type '{type}'", path + ".type");
        }
    }

    static (string? Literal, string? Regex) ReadPattern(JsonElement p, string path)
    {
        if (Opt(p, "String") is { ValueKind: JsonValueKind.String } s) return (s.GetString(), null);
        if (Opt(p, "Regex") is { ValueKind: JsonValueKind.String } r) return (null, r.GetString());
        throw new TokenizerException("pattern must be {\"String\": ...} or {\"Regex\": ...}", path);
    }

    // ------------------------------------------------------------------ pre-tokenizer

    static PreTokenizer? ReadPreTokenizer(JsonElement? el, string path)
    {
        if (el is not { } p) return null;
        var type = Str(p, "type", path);
        switch (type)
        {
            case "Sequence":
                {
                    var steps = new List<PreTokenizer>();
                    int i = 0;
                    foreach (var s in Arr(p, "pretokenizers", path).EnumerateArray())
                    {
                        var step = ReadPreTokenizer(s, $"{path}.pretokenizers[{i++}]");
                        if (step != null) steps.Add(step);
                    }
                    return new SequencePreTokenizer(steps);
                }
            case "Split":
                {
                    var (lit, rx) = ReadPattern(Req(p, "pattern", path), path + ".pattern");
                    var behaviorName = Str(p, "behavior", path);
                    if (!Enum.TryParse<SplitBehavior>(behaviorName, ignoreCase: false, out var behavior))
                        throw new TokenizerException($"unknown split behavior '{behaviorName}' (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)", path + ".behavior");
                    SplitPattern pattern;
                    try { pattern = lit != null ? SplitPattern.FromLiteral(lit) : SplitPattern.FromRegex(rx!); }
                    catch (TokenizerException e) { throw new TokenizerException(e.Message, path + ".pattern.Regex", e); }
                    return new SplitPreTokenizer(pattern, behavior, Bool(p, "invert", false, path));
                }
            case "ByteLevel":
                return new ByteLevelPreTokenizer(Bool(p, "add_prefix_space", true, path), Bool(p, "use_regex", true, path));
            case "Digits":
                return new DigitsPreTokenizer(Bool(p, "individual_digits", false, path));
            default:
                throw new TokenizerException($"unsupported pre_tokenizer type '{type}'", path + ".type");
        }
    }

    // ------------------------------------------------------------------ decoder, post-processor

    static DecoderKind ReadDecoder(JsonElement? el, string path)
    {
        if (el is not { } d) return DecoderKind.JoinWithSpace;
        var type = Str(d, "type", path);
        switch (type)
        {
            case "ByteLevel": return DecoderKind.ByteLevel;
            case "Sequence":
                {
                    int i = 0, byteLevel = 0;
                    foreach (var s in Arr(d, "decoders", path).EnumerateArray())
                    {
                        var kind = ReadDecoder(s, $"{path}.decoders[{i++}]");
                        if (kind == DecoderKind.ByteLevel) byteLevel++;
                    }
                    if (byteLevel != 1 || i != 1)
                        throw new TokenizerException("only a Sequence holding exactly one ByteLevel decoder is supported", path + ".decoders");
                    return DecoderKind.ByteLevel;
                }
            default:
                throw new TokenizerException($"unsupported decoder type '{type}'", path + ".type");
        }
    }

    static PostProcessor ReadPostProcessor(JsonElement? el, string path, BpeModel model, List<AddedToken> added)
    {
        if (el is not { } p) return PostProcessor.None;
        var type = Str(p, "type", path);
        switch (type)
        {
            case "ByteLevel": return PostProcessor.None; // only trims offsets; ids unchanged
            case "Sequence":
                {
                    var pre = new List<int>();
                    var suf = new List<int>();
                    int i = 0;
                    foreach (var s in Arr(p, "processors", path).EnumerateArray())
                    {
                        var pp = ReadPostProcessor(s, $"{path}.processors[{i++}]", model, added);
                        pre.AddRange(pp.Prefix);
                        suf.InsertRange(0, pp.Suffix);
                    }
                    return new PostProcessor(pre, suf);
                }
            case "TemplateProcessing":
                {
                    var specialIds = new Dictionary<string, int[]>();
                    if (Opt(p, "special_tokens") is { ValueKind: JsonValueKind.Object } st)
                        foreach (var kv in st.EnumerateObject())
                        {
                            var ids = Arr(kv.Value, "ids", $"{path}.special_tokens[\"{kv.Name}\"]");
                            specialIds[kv.Name] = ids.EnumerateArray().Select(x => x.GetInt32()).ToArray();
                        }
                    var pre = new List<int>();
                    var suf = new List<int>();
                    bool seenA = false;
                    int i = 0;
                    foreach (var item in Arr(p, "single", path).EnumerateArray())
                    {
                        var ip = $"{path}.single[{i++}]";
                        if (Opt(item, "Sequence") is { } seq)
                        {
                            var id = Str(seq, "id", ip + ".Sequence");
                            if (id != "A") throw new TokenizerException($"single template refers to sequence '{id}'", ip);
                            seenA = true;
                        }
                        else if (Opt(item, "SpecialToken") is { } sp)
                        {
                            var name = Str(sp, "id", ip + ".SpecialToken");
                            int[] ids = specialIds.TryGetValue(name, out var x) ? x
                                : added.FirstOrDefault(a => a.Content == name) is { } at ? [at.Id]
                                : model.Vocab.TryGetValue(name, out int v) ? [v]
                                : throw new TokenizerException($"special token '{name}' is neither in special_tokens nor in the vocab", ip);
                            (seenA ? suf : pre).AddRange(ids);
                        }
                        else throw new TokenizerException("template item must be a Sequence or a SpecialToken", ip);
                    }
                    return new PostProcessor(pre, suf);
                }
            default:
                throw new TokenizerException($"unsupported post_processor type '{type}'", path + ".type");
        }
    }

    // ------------------------------------------------------------------ tokenizer_config.json

    static void ReadConfig(string path, TokenizerParts parts)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new TokenizerException($"{path} is not valid JSON (line {e.LineNumber + 1}): {e.Message}", null, e); }
        using (doc)
        {
            var c = doc.RootElement;
            if (c.ValueKind != JsonValueKind.Object) throw new TokenizerException($"{path}: expected a JSON object", "$");
            parts.BosToken = TokenString(c, "bos_token");
            parts.EosToken = TokenString(c, "eos_token");
            parts.AddBosToken = Bool(c, "add_bos_token", false, "$");
            parts.AddEosToken = Bool(c, "add_eos_token", false, "$");
            parts.CleanUpTokenizationSpaces = Bool(c, "clean_up_tokenization_spaces", false, "$");
            if (Opt(c, "additional_special_tokens") is { ValueKind: JsonValueKind.Array } extra)
                foreach (var e in extra.EnumerateArray())
                    if (e.ValueKind == JsonValueKind.String) parts.AdditionalSpecialTokens.Add(e.GetString()!);
                    else if (e.ValueKind == JsonValueKind.Object && Opt(e, "content") is { } ct) parts.AdditionalSpecialTokens.Add(ct.GetString()!);
            switch (Opt(c, "chat_template"))
            {
                case { ValueKind: JsonValueKind.String } s: parts.ChatTemplate = s.GetString(); break;
                case { ValueKind: JsonValueKind.Array } a:
                    // list of {name, template}: use "default"
                    foreach (var t in a.EnumerateArray())
                        if (Opt(t, "name")?.GetString() == "default") parts.ChatTemplate = Opt(t, "template")?.GetString();
                    break;
            }
        }
    }

    static string? TokenString(JsonElement c, string name) => Opt(c, name) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Object } o => Opt(o, "content")?.GetString(),
        _ => null,
    };
}
