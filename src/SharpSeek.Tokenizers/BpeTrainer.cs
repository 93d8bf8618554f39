// Byte-level BPE trainer (the Hugging Face algorithm): pre-tokenize with DeepSeek-V3's splits, count words, start
// from the 256 byte tokens, repeatedly merge the most frequent adjacent pair (ties: smallest pair of ids) until the
// vocabulary is full. Writes a tokenizer.json + tokenizer_config.json that HF tokenizers / transformers.js load,
// with DeepSeek-style special tokens and the R1 chat template.
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SharpSeek.Tokenizers.PreTokenization;

namespace SharpSeek.Tokenizers;

/// <param name="VocabSize">Total vocabulary including the special tokens and the 256 byte tokens.</param>
/// <param name="MinFrequency">A pair seen fewer times than this is never merged (HF default 2).</param>
/// <param name="SpecialTokens">Added tokens, ids 0.. in this order; the first is BOS, the second EOS.</param>
/// <param name="IndividualDigits">Split every digit into its own pre-token first (HF `Digits` with individual_digits,
/// as Llama-1 and many math models do): numbers are then spelled digit by digit, which column arithmetic needs.</param>
public sealed record BpeTrainerOptions(int VocabSize, int MinFrequency = 2, IReadOnlyList<string>? SpecialTokens = null, bool IndividualDigits = false)
{
    /// <summary>DeepSeek-V3 / R1 special tokens (BOS, EOS, pad, then the chat and reasoning markers).</summary>
    public static readonly IReadOnlyList<string> DeepSeekSpecialTokens =
        ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"];

    public IReadOnlyList<string> Specials => SpecialTokens ?? DeepSeekSpecialTokens;

    public void Validate()
    {
        if (Specials.Count < 2) throw new ArgumentException("SpecialTokens needs at least BOS and EOS");
        if (VocabSize < Specials.Count + 256)
            throw new ArgumentException($"VocabSize {VocabSize} is below {Specials.Count + 256} (special tokens + 256 byte tokens); raise --vocab-size");
        if (MinFrequency < 1) throw new ArgumentException("MinFrequency must be at least 1");
    }
}

public sealed class TrainedBpe
{
    public required IReadOnlyList<string> SpecialTokens { get; init; }
    /// <summary>Model tokens in id order (ids start after the special tokens): 256 byte tokens, then merge results.</summary>
    public required IReadOnlyList<string> Tokens { get; init; }
    public required IReadOnlyList<(string Left, string Right)> Merges { get; init; }
    public bool IndividualDigits { get; init; }

    /// <summary>
    /// The published DeepSeek-R1-Distill-Qwen chat template, verbatim (drops earlier reasoning; the reply opens with
    /// "&lt;think&gt;\n"; tool calls in DeepSeek's format).
    /// </summary>
    public const string R1ChatTemplate = "{% if not add_generation_prompt is defined -%}\n  {%- set add_generation_prompt = false -%}\n{%- endif -%}\n{%- set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') -%}\n{%- for message in messages -%}\n  {%- if message['role'] == 'system' -%}\n    {%- set ns.system_prompt = message['content'] -%}\n  {%- endif -%}\n{%- endfor -%}{{bos_token}}{{ns.system_prompt}}\n{%- for message in messages -%}\n  {%- if message['role'] == 'user' -%}\n    {%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}\n  {%- endif -%}\n  {%- if message['role'] == 'assistant' and message['tool_calls'] -%}\n    {%- set ns.is_tool = false -%}\n    {%- for tool in message['tool_calls']-%}\n      {%- if not ns.is_first -%}\n        {{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}\n        {%- set ns.is_first = true -%}\n      {%- else -%}\n        {{'\\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}\n      {%- endif -%}\n    {%- endfor -%}\n    {{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}\n  {%- endif -%}\n  {%- if message['role'] == 'assistant' and message['content'] is not none -%}\n    {%- if ns.is_tool -%}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}\n      {%- set ns.is_tool = false -%}\n    {%- else -%}\n      {%- set content = message['content'] -%}\n      {%- if '</think>' in content -%}\n        {%- set content = content.split('</think>')[-1] -%}\n      {%- endif -%}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}\n    {%- endif -%}\n  {%- endif -%}\n  {%- if message['role'] == 'tool' -%}\n    {%- set ns.is_tool = true -%}\n    {%- if ns.is_output_first -%}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}\n      {%- set ns.is_output_first = false -%}\n      {%- else -%}{{'\\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}\n    {%- endif -%}\n  {%- endif -%}\n{%- endfor -%}\n{%- if ns.is_tool -%}{{'<｜tool▁outputs▁end｜>'}}\n{%- endif -%}\n{%- if add_generation_prompt and not ns.is_tool -%}{{'<｜Assistant｜><think>\\n'}}\n{%- endif %}";

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="dir"/> (created if needed).</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        var opts = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var fs = File.Create(Path.Combine(dir, "tokenizer.json")))
        using (var w = new Utf8JsonWriter(fs, opts))
            WriteTokenizerJson(w);
        using (var fs = File.Create(Path.Combine(dir, "tokenizer_config.json")))
        using (var w = new Utf8JsonWriter(fs, opts))
        {
            w.WriteStartObject();
            w.WriteString("bos_token", SpecialTokens[0]);
            w.WriteString("eos_token", SpecialTokens[1]);
            w.WriteString("pad_token", SpecialTokens.Count > 2 ? SpecialTokens[2] : SpecialTokens[1]);
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            w.WriteNumber("model_max_length", 131072);
            w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            w.WriteString("chat_template", R1ChatTemplate);
            w.WriteEndObject();
        }
    }

    void WriteTokenizerJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        for (int i = 0; i < SpecialTokens.Count; i++)
        {
            w.WriteStartObject();
            w.WriteNumber("id", i);
            w.WriteString("content", SpecialTokens[i]);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("normalized", false);
            w.WriteBoolean("special", i < 3); // as DeepSeek: BOS/EOS/pad special; chat and <think> markers are not skipped on decode
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNull("normalizer");
        // pre_tokenizer: DeepSeek-V3's three splits, then ByteLevel without its own regex
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        if (IndividualDigits)
        {
            w.WriteStartObject();
            w.WriteString("type", "Digits");
            w.WriteBoolean("individual_digits", true);
            w.WriteEndObject();
        }
        foreach (var rx in new[] { SplitPattern.DeepSeekDigits, SplitPattern.DeepSeekCjk, SplitPattern.DeepSeekMain })
        {
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", rx);
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
        }
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", true);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        // post_processor: BOS + sequence
        w.WriteStartObject("post_processor");
        w.WriteString("type", "TemplateProcessing");
        w.WriteStartArray("single");
        WriteSpecialItem(w, SpecialTokens[0], 0);
        WriteSequenceItem(w, "A", 0);
        w.WriteEndArray();
        w.WriteStartArray("pair");
        WriteSpecialItem(w, SpecialTokens[0], 0);
        WriteSequenceItem(w, "A", 0);
        WriteSpecialItem(w, SpecialTokens[0], 1);
        WriteSequenceItem(w, "B", 1);
        w.WriteEndArray();
        w.WriteStartObject("special_tokens");
        w.WriteStartObject(SpecialTokens[0]);
        w.WriteString("id", SpecialTokens[0]);
        w.WriteStartArray("ids"); w.WriteNumberValue(0); w.WriteEndArray();
        w.WriteStartArray("tokens"); w.WriteStringValue(SpecialTokens[0]); w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("decoder");
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", true);
        w.WriteBoolean("trim_offsets", true);
        w.WriteBoolean("use_regex", true);
        w.WriteEndObject();
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteNull("continuing_subword_prefix");
        w.WriteNull("end_of_word_suffix");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", false);
        w.WriteStartObject("vocab");
        for (int i = 0; i < Tokens.Count; i++) w.WriteNumber(Tokens[i], SpecialTokens.Count + i);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        foreach (var (l, r) in Merges)
        {
            w.WriteStartArray();
            w.WriteStringValue(l);
            w.WriteStringValue(r);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteSpecialItem(Utf8JsonWriter w, string id, int typeId)
    {
        w.WriteStartObject();
        w.WriteStartObject("SpecialToken");
        w.WriteString("id", id);
        w.WriteNumber("type_id", typeId);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteSequenceItem(Utf8JsonWriter w, string id, int typeId)
    {
        w.WriteStartObject();
        w.WriteStartObject("Sequence");
        w.WriteString("id", id);
        w.WriteNumber("type_id", typeId);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}

public static class BpeTrainer
{
    /// <summary>Trains on <paramref name="texts"/> (each a document; special-token strings inside are kept as one token).</summary>
    public static TrainedBpe Train(IEnumerable<string> texts, BpeTrainerOptions options, Action<int, int>? progress = null)
    {
        options.Validate();
        var specials = options.Specials;

        // 1. word counts: DeepSeek-V3 pre-tokenization of each document, special-token strings cut out
        var pre = new SequencePreTokenizer([
            .. options.IndividualDigits ? new PreTokenizer[] { new DigitsPreTokenizer(true) } : [],
            new SplitPreTokenizer(SplitPattern.FromRegex(SplitPattern.DeepSeekDigits), SplitBehavior.Isolated, false),
            new SplitPreTokenizer(SplitPattern.FromRegex(SplitPattern.DeepSeekCjk), SplitBehavior.Isolated, false),
            new SplitPreTokenizer(SplitPattern.FromRegex(SplitPattern.DeepSeekMain), SplitBehavior.Isolated, false),
        ]);
        var matcher = new AddedTokenMatcher(specials.Select((s, i) => new AddedToken(i, s, true)));
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var segs = new List<Segment>();
        var pieces = new List<Piece>();
        foreach (var raw in texts)
        {
            var text = Tokenizer.Sanitize(raw);
            segs.Clear();
            matcher.Split(text, segs);
            foreach (var seg in segs)
            {
                if (seg.Token != null) continue;
                pieces.Clear();
                pre.Split([new Piece(text, seg.Start, seg.Length)], pieces);
                foreach (var p in pieces)
                {
                    var w = p.ToString();
                    wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;
                }
            }
        }

        // 2. symbols: the 256 byte tokens (ids 0..255 here; the file shifts them after the special tokens)
        var tokens = new List<string>(options.VocabSize);
        var tokenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++) { tokens.Add(BpeModel.ByteToChar[b].ToString()); tokenIds[tokens[b]] = b; }
        var words = new List<int[]>(wordCounts.Count);
        var counts = new List<long>(wordCounts.Count);
        foreach (var (w, c) in wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            words.Add(Encoding.UTF8.GetBytes(w).Select(b => (int)b).ToArray());
            counts.Add(c);
        }

        // 3. pair statistics
        var pairCount = new Dictionary<long, long>();
        var pairWords = new Dictionary<long, HashSet<int>>();
        static long Key(int a, int b) => ((long)a << 32) | (uint)b;
        void AddPair(long key, int word, long delta)
        {
            pairCount[key] = pairCount.GetValueOrDefault(key) + delta;
            if (delta > 0)
            {
                if (!pairWords.TryGetValue(key, out var set)) pairWords[key] = set = [];
                set.Add(word);
            }
        }
        for (int wi = 0; wi < words.Count; wi++)
        {
            var w = words[wi];
            for (int i = 0; i + 1 < w.Length; i++) AddPair(Key(w[i], w[i + 1]), wi, counts[wi]);
        }
        // max-heap by (count, then smallest pair); entries re-validated against pairCount when popped
        var heap = new PriorityQueue<long, (long NegCount, long Pair)>();
        foreach (var (k, c) in pairCount) heap.Enqueue(k, (-c, k));

        var merges = new List<(string, string)>();
        int target = options.VocabSize - specials.Count;
        while (tokens.Count < target && heap.TryDequeue(out long pair, out var pri))
        {
            long current = pairCount.GetValueOrDefault(pair);
            if (current != -pri.NegCount) { if (current > 0) heap.Enqueue(pair, (-current, pair)); continue; }
            if (current < options.MinFrequency) break;
            int a = (int)(pair >> 32), b = (int)(uint)pair;
            var merged = tokens[a] + tokens[b];
            if (!tokenIds.TryGetValue(merged, out int m))
            {
                m = tokens.Count;
                tokens.Add(merged);
                tokenIds[merged] = m;
            }
            merges.Add((tokens[a], tokens[b]));
            progress?.Invoke(tokens.Count, target);

            // 4. apply the merge in every word holding the pair: retract the word's pairs, merge, add them back
            var touched = new HashSet<long>();
            var nw = new List<int>();
            foreach (int wi in pairWords[pair])
            {
                var w = words[wi];
                long c = counts[wi];
                nw.Clear();
                for (int i = 0; i < w.Length;)
                {
                    if (i + 1 < w.Length && w[i] == a && w[i + 1] == b) { nw.Add(m); i += 2; }
                    else nw.Add(w[i++]);
                }
                if (nw.Count == w.Length) continue; // stale entry: the pair left this word earlier
                for (int i = 0; i + 1 < w.Length; i++) { long k = Key(w[i], w[i + 1]); AddPair(k, wi, -c); touched.Add(k); }
                for (int i = 0; i + 1 < nw.Count; i++) { long k = Key(nw[i], nw[i + 1]); AddPair(k, wi, c); touched.Add(k); }
                words[wi] = nw.ToArray();
            }
            pairWords.Remove(pair);
            pairCount.Remove(pair);
            foreach (var k in touched)
            {
                long c = pairCount.GetValueOrDefault(k);
                if (c > 0) heap.Enqueue(k, (-c, k));
            }
        }
        return new TrainedBpe { SpecialTokens = specials.ToList(), Tokens = tokens, Merges = merges, IndividualDigits = options.IndividualDigits };
    }
}
