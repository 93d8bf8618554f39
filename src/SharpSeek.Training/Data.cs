// Training data: token shards (uint32 ids with a small self-describing header), tokenizing text/JSONL into shards
// with the project tokenizer (EOS between documents), and a deterministic loader: the concatenated stream is cut
// into T+1-token windows, shuffled per epoch by seed, and sample i of the run is a pure function of (seed, i) — so a
// resumed run reads exactly the batches the uninterrupted run would have.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using SharpSeek.Tokenizers;

namespace SharpSeek.Training;

/// <summary>A data file that cannot be used; the message names the file and what is wrong.</summary>
public sealed class DataFormatException(string file, string message) : Exception($"{file}: {message}")
{
    public string File { get; } = file;
}

/// <summary>Shard = 32-byte header ("SSTOKENS", u32 version 1, u32 vocab_size, u64 token count, u64 0) + u32 LE ids.</summary>
public static class TokenShard
{
    public const int HeaderSize = 32;
    static ReadOnlySpan<byte> Magic => "SSTOKENS"u8;

    public static void Write(string path, ReadOnlySpan<int> ids, int vocabSize)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), (uint)vocabSize);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), (ulong)ids.Length);
        foreach (var id in ids)
            if ((uint)id >= (uint)vocabSize) throw new ArgumentException($"token id {id} is out of range for vocab_size {vocabSize}");
        string full = Path.GetFullPath(path), temp = full + $".{Guid.NewGuid():N}.tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(header);
                f.Write(MemoryMarshal.AsBytes(ids));
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch { try { File.Delete(temp); } catch (IOException) { } throw; }
    }

    /// <summary>Reads and validates a shard; ids must be below vocabSize when given.</summary>
    public static int[] Read(string path, int? vocabSize = null)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "data shard not found");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderSize || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new DataFormatException(path, "not a SharpSeek token shard (missing the SSTOKENS header); make shards with `sharpseek data`");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != 1) throw new DataFormatException(path, $"token shard version {version} is not supported (expected 1)");
        uint vocab = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        if ((ulong)(bytes.Length - HeaderSize) != count * 4)
            throw new DataFormatException(path, $"header says {count} tokens but the file holds {(bytes.Length - HeaderSize) / 4.0} (truncated or corrupt)");
        if (vocabSize is int v && vocab > v)
            throw new DataFormatException(path, $"shard was tokenized for vocab_size {vocab}, the model has {v}: use the model's tokenizer");
        var ids = MemoryMarshal.Cast<byte, int>(bytes.AsSpan(HeaderSize)).ToArray();
        int limit = vocabSize ?? (int)vocab;
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)limit) throw new DataFormatException(path, $"token {i} has id {(uint)ids[i]}, out of range for vocab_size {limit}");
        return ids;
    }

    /// <summary>Tokenizes text files (one document each) or JSONL (one document per line, field `field`) into shards of
    /// at most shardTokens ids, EOS after every document. Returns the shard paths.</summary>
    public static IReadOnlyList<string> Tokenize(Tokenizer tok, IEnumerable<string> inputs, string outDir, string field = "text",
        int shardTokens = 1 << 24, Action<long>? progress = null)
    {
        int eos = tok.EosId ?? throw new ArgumentException("the tokenizer has no EOS token to separate documents");
        var shards = new List<string>();
        var buf = new List<int>();
        long total = 0;
        void Flush()
        {
            if (buf.Count == 0) return;
            string path = Path.Combine(outDir, $"shard_{shards.Count:D5}.bin");
            Write(path, CollectionsMarshal.AsSpan(buf), tok.VocabSize);
            shards.Add(path);
            buf.Clear();
        }
        foreach (var input in inputs)
        {
            if (!File.Exists(input)) throw new DataFormatException(input, "input file not found");
            IEnumerable<string> docs = input.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
                ? File.ReadLines(input).Select((line, n) => (line, n)).Where(x => x.line.Trim().Length > 0).Select(x => JsonlText(input, x.line, x.n, field))
                : [File.ReadAllText(input)];
            foreach (var doc in docs)
            {
                tok.EncodeInto(doc, buf);
                buf.Add(eos);
                total = checked(total + 1);
                progress?.Invoke(buf.Count);
                if (buf.Count >= shardTokens) Flush();
            }
        }
        Flush();
        return shards;
    }

    static string JsonlText(string file, string line, int n, string field)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String)
                return v.GetString()!;
        }
        catch (JsonException e) { throw new DataFormatException(file, $"line {n + 1} is not valid JSON: {e.Message}"); }
        throw new DataFormatException(file, $"line {n + 1} has no string field \"{field}\" (choose the field with --field)");
    }
}

/// <summary>Deterministic batches from token shards: windows of T+1 tokens, one seeded permutation per epoch.</summary>
public sealed class DataLoader
{
    readonly int[] tokens;
    readonly int T;
    readonly ulong seed;
    readonly int? eos;
    readonly bool docMask;
    int cachedEpoch = -1;
    int[] perm = [];

    public long Windows { get; }
    public long TokenCount => tokens.Length;

    public DataLoader(IReadOnlyList<string> shards, int seqLen, int vocabSize, ulong seed, int? eosId = null, bool documentMasking = false)
    {
        if (shards.Count == 0) throw new ArgumentException("no data shards given");
        tokens = shards.SelectMany(s => TokenShard.Read(s, vocabSize)).ToArray();
        T = seqLen; this.seed = seed; eos = eosId; docMask = documentMasking;
        Windows = (tokens.Length - 1) / T;
        if (Windows < 1) throw new DataFormatException(shards[0], $"the data holds {tokens.Length} tokens, fewer than one sequence of seq_len + 1 = {T + 1}");
        if (Windows > int.MaxValue) throw new NotSupportedException("more than 2^31 windows");
        if (docMask && eos is null) throw new ArgumentException("document masking needs the EOS id");
    }

    /// <summary>B windows starting at run-wide sample index `first` (epochs follow one another).</summary>
    public Batch Get(long first, int B)
    {
        var inputs = new int[B * T];
        var targets = new int[B * T];
        int[]? docStart = docMask ? new int[B * T] : null;
        for (int b = 0; b < B; b++)
        {
            long i = first + b;
            int epoch = (int)(i / Windows);
            int w = Permutation(epoch)[(int)(i % Windows)];
            tokens.AsSpan(w * T, T).CopyTo(inputs.AsSpan(b * T, T));
            tokens.AsSpan(w * T + 1, T).CopyTo(targets.AsSpan(b * T, T));
            if (docStart is null) continue;
            int s = 0;
            for (int t = 0; t < T; t++)
            {
                docStart[b * T + t] = s;
                if (inputs[b * T + t] == eos) s = t + 1;
            }
        }
        return new Batch(B, T, inputs, targets, docStart);
    }

    int[] Permutation(int epoch)
    {
        if (epoch == cachedEpoch) return perm;
        var p = new int[Windows];
        for (int i = 0; i < p.Length; i++) p[i] = i;
        var rng = new SplitMix64(seed * 0x9E3779B97F4A7C15UL + (ulong)epoch);
        for (int i = p.Length - 1; i > 0; i--) { int j = (int)(rng.Next() % (ulong)(i + 1)); (p[i], p[j]) = (p[j], p[i]); }
        cachedEpoch = epoch; perm = p;
        return p;
    }
}
