// The public tokenizer: tokenizer.json byte-level BPE, exact to Hugging Face on ids.
// encode: sanitize → split added tokens (raw) → normalize → split added tokens (normalized) → pre-tokenize → BPE → specials.
// decode: ids → bytes (added tokens verbatim) → UTF-8 with U+FFFD for invalid sequences.
using System.Text;
using SharpSeek.Tokenizers.PreTokenization;

namespace SharpSeek.Tokenizers;

public sealed class Tokenizer
{
    readonly BpeModel _model;
    readonly Normalizer? _normalizer;
    readonly PreTokenizer? _preTokenizer;
    readonly AddedTokenMatcher _rawAdded, _normalizedAdded;
    readonly int[] _prefix, _suffix;
    readonly string?[] _idToToken;
    readonly byte[]?[] _idToBytes;        // decoded bytes of model tokens (null for added tokens / holes)
    readonly AddedToken?[] _idToAdded;
    readonly bool[] _skippable;          // special tokens dropped by skipSpecialTokens
    readonly bool _cleanUp;
    readonly DecoderKind _decoder;
    readonly Dictionary<string, int> _addedByContent = [];

    public int VocabSize { get; }
    public int? BosId { get; }
    public int? EosId { get; }
    public string? ChatTemplate { get; }
    public IReadOnlyList<AddedToken> AddedTokens { get; }
    /// <summary>The pre-tokenizer pipeline (exposed for tests and the benchmark).</summary>
    public PreTokenizer? PreTokenizer => _preTokenizer;

    /// <summary>
    /// Loads a tokenizer from a tokenizer.json file, or from a folder holding tokenizer.json; tokenizer_config.json
    /// beside it (when present) supplies bos/eos tokens, add_bos_token/add_eos_token and chat_template.
    /// </summary>
    public static Tokenizer Load(string fileOrDir)
    {
        string file = Directory.Exists(fileOrDir) ? Path.Combine(fileOrDir, "tokenizer.json") : fileOrDir;
        if (!File.Exists(file))
            throw new TokenizerException(Directory.Exists(fileOrDir) ? $"{fileOrDir} has no tokenizer.json" : $"{fileOrDir} does not exist");
        var config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json");
        return new Tokenizer(TokenizerJson.Load(file, config));
    }

    internal Tokenizer(TokenizerParts p)
    {
        _model = p.Model;
        _normalizer = p.Normalizer;
        _preTokenizer = p.PreTokenizer;
        _decoder = p.Decoder;
        _cleanUp = p.CleanUpTokenizationSpaces;
        AddedTokens = p.AddedTokens;
        foreach (var t in p.AddedTokens) _addedByContent.TryAdd(t.Content, t.Id);
        _rawAdded = new AddedTokenMatcher(p.AddedTokens.Where(t => !t.Normalized || _normalizer == null));
        // normalized=true tokens are matched on normalized text, so (as HF's AddedVocabulary) by their normalized content
        _normalizedAdded = new AddedTokenMatcher(p.AddedTokens.Where(t => t.Normalized && _normalizer != null)
            .Select(t => t with { Content = _normalizer!.Normalize(t.Content) }));

        int size = 0;
        foreach (var id in p.Model.Vocab.Values) size = Math.Max(size, id + 1);
        foreach (var t in p.AddedTokens) size = Math.Max(size, t.Id + 1);
        VocabSize = size;
        _idToToken = new string?[size];
        _idToBytes = new byte[]?[size];
        _idToAdded = new AddedToken?[size];
        _skippable = new bool[size];
        foreach (var (tok, id) in p.Model.Vocab)
        {
            _idToToken[id] = tok;
            _idToBytes[id] = TokenBytes(tok);
        }
        foreach (var t in p.AddedTokens)
        {
            _idToToken[t.Id] = t.Content;
            _idToBytes[t.Id] = null;
            _idToAdded[t.Id] = t;
            _skippable[t.Id] = t.Special;
        }
        foreach (var s in p.AdditionalSpecialTokens)
            if (TokenToId(s) is int sid) _skippable[sid] = true;

        ChatTemplate = p.ChatTemplate;
        BosId = p.BosToken != null ? TokenToId(p.BosToken) : null;
        EosId = p.EosToken != null ? TokenToId(p.EosToken) : null;
        var pre = new List<int>(p.PostProcessor.Prefix);
        var suf = new List<int>(p.PostProcessor.Suffix);
        // tokenizer_config's add_bos_token / add_eos_token, as transformers' LlamaTokenizerFast.update_post_processor
        // applies them, when tokenizer.json's own post-processor adds nothing (DeepSeek-V3 / R1 ship it so).
        if (!p.PostProcessor.AddsSpecialTokens)
        {
            if (p.AddBosToken && BosId is int b) pre.Add(b);
            if (p.AddEosToken && EosId is int e) suf.Add(e);
        }
        _prefix = [.. pre];
        _suffix = [.. suf];
    }

    static byte[] TokenBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!BpeModel.CharToByte.TryGetValue(token[i], out bytes[i]))
                return Encoding.UTF8.GetBytes(token); // not a byte-level token: its own UTF-8, as HF's ByteLevel decoder does
        }
        return bytes;
    }

    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out int a) ? a : _model.Vocab.TryGetValue(token, out int id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)VocabSize ? _idToToken[id] : null;

    // ------------------------------------------------------------------ encode

    /// <summary>Token ids of <paramref name="text"/>; BOS/EOS (per post_processor or tokenizer_config) only when asked.</summary>
    /// <remarks>Lone surrogates are replaced by U+FFFD first (the bytes transformers.js produces for them; HF Python rejects them).</remarks>
    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>(text.Length / 3 + 8);
        if (addSpecialTokens) ids.AddRange(_prefix);
        EncodeInto(text, ids);
        if (addSpecialTokens) ids.AddRange(_suffix);
        return [.. ids];
    }

    [ThreadStatic] static List<Segment>? t_segments, t_segments2;
    [ThreadStatic] static List<Piece>? t_pieces, t_pieces2;

    /// <summary>Appends the ids of <paramref name="text"/> (no special tokens added) to <paramref name="ids"/>.</summary>
    public void EncodeInto(string text, List<int> ids)
    {
        text = Sanitize(text);
        var segs = t_segments ??= new(16);
        segs.Clear();
        _rawAdded.Split(text, segs);
        // Copy: nested use of the thread-static list below would clobber it.
        var outer = segs.ToArray();
        foreach (var seg in outer)
        {
            if (seg.Token != null) { ids.Add(seg.Token.Id); continue; }
            var section = seg.Start == 0 && seg.Length == text.Length ? text : text.Substring(seg.Start, seg.Length);
            if (_normalizer != null) section = _normalizer.Normalize(section);
            if (_normalizedAdded.Count == 0) { EncodeSection(section, 0, section.Length, ids); continue; }
            var inner = t_segments2 ??= new(16);
            inner.Clear();
            _normalizedAdded.Split(section, inner);
            foreach (var s2 in inner)
            {
                if (s2.Token != null) ids.Add(s2.Token.Id);
                else EncodeSection(section, s2.Start, s2.Length, ids);
            }
        }
    }

    void EncodeSection(string s, int start, int length, List<int> ids)
    {
        if (length == 0) return;
        var input = t_pieces ??= new(64);
        var output = t_pieces2 ??= new(256);
        input.Clear();
        output.Clear();
        input.Add(new Piece(s, start, length));
        if (_preTokenizer != null) _preTokenizer.Split(input, output);
        else output.AddRange(input);
        var cache = _model.ThreadCache();
        foreach (var p in output) _model.Encode(p.Span, ids, cache);
    }

    /// <summary>Pre-tokenized pieces of <paramref name="text"/> (after normalization; no added-token handling).</summary>
    public List<string> PreTokenize(string text)
    {
        text = Sanitize(text);
        if (_normalizer != null) text = _normalizer.Normalize(text);
        var output = new List<Piece>();
        if (_preTokenizer != null) _preTokenizer.Split([new Piece(text, 0, text.Length)], output);
        else output.Add(new Piece(text, 0, text.Length));
        return output.Select(p => p.ToString()).ToList();
    }

    /// <summary>Number of pre-tokens of <paramref name="text"/> (no allocation per piece; for profiling).</summary>
    internal int CountPieces(string text)
    {
        var input = t_pieces ??= new(64);
        var output = t_pieces2 ??= new(256);
        input.Clear();
        output.Clear();
        input.Add(new Piece(text, 0, text.Length));
        if (_preTokenizer != null) _preTokenizer.Split(input, output);
        return output.Count;
    }

    /// <summary>Replaces unpaired UTF-16 surrogates by U+FFFD; returns the same string when it is well formed.</summary>
    public static string Sanitize(string text)
    {
        int i = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return text;
        char[]? buf = null;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            buf ??= text.ToCharArray();
            buf[i] = '\uFFFD';
        }
        return buf == null ? text : new string(buf);
    }

    // ------------------------------------------------------------------ decode

    /// <summary>Text of <paramref name="ids"/>. Invalid UTF-8 from partial tokens becomes U+FFFD; ids outside [0, VocabSize) throw.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var sb = new StringBuilder(ids.Length * 4);
        var bytes = new List<byte>(ids.Length * 4);
        for (int k = 0; k < ids.Length; k++)
        {
            int id = ids[k];
            if ((uint)id >= (uint)VocabSize || _idToToken[id] == null)
                throw new TokenizerException($"token id {id} at position {k} is out of range (vocab size {VocabSize})");
            if (skipSpecialTokens && _skippable[id]) continue;
            if (_decoder == DecoderKind.JoinWithSpace)
            {
                if (sb.Length > 0) sb.Append(' ');
                sb.Append(_idToToken[id]);
                continue;
            }
            if (_idToAdded[id] is { } added)
            {
                FlushBytes(bytes, sb);
                sb.Append(added.Content);
            }
            else bytes.AddRange(_idToBytes[id]!);
        }
        FlushBytes(bytes, sb);
        var text = sb.ToString();
        return _cleanUp ? CleanUpTokenizationSpaces(text) : text;
    }

    static void FlushBytes(List<byte> bytes, StringBuilder sb)
    {
        if (bytes.Count == 0) return;
        sb.Append(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
        bytes.Clear();
    }

    internal BpeModel Model => _model;
    internal byte[]? BytesOf(int id) => _idToBytes[id];
    internal AddedToken? AddedOf(int id) => _idToAdded[id];
    internal bool IsSkippable(int id) => _skippable[id];
    internal bool ValidId(int id) => (uint)id < (uint)VocabSize && _idToToken[id] != null;
    internal DecoderKind DecoderKind => _decoder;

    /// <summary>transformers' clean_up_tokenization (applied when tokenizer_config says clean_up_tokenization_spaces).</summary>
    public static string CleanUpTokenizationSpaces(string s) => s
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");

    /// <summary>A decoder for token-by-token output that never emits part of a UTF-8 character.</summary>
    public StreamingDecoder NewStreamingDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);
}
