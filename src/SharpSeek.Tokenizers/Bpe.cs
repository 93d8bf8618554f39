// Byte-level BPE model: a pre-token's UTF-8 bytes start as 256 byte tokens and the lowest-ranked adjacent pair is
// merged (ties: leftmost) until no merge applies — exactly the HF tokenizers / transformers.js order.
// Two merge loops: MergeSmall (rank cache over a flat array, O(n²) worst) and MergeLarge (heap + linked list,
// O(n log n)); a test runs both over the same words. Results are cached per pre-token string.
using System.Buffers;
using System.Text;

namespace SharpSeek.Tokenizers;

public sealed class BpeModel
{
    /// <summary>GPT-2's byte → printable character table (bytes that are printable keep their own code point).</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();
    public static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, (byte)b)).ToDictionary(t => t.c, t => t.Item2);

    static char[] BuildByteToChar()
    {
        var t = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            t[b] = printable ? (char)b : (char)(256 + n++);
        }
        return t;
    }

    readonly Dictionary<string, int> _vocab;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    readonly Dictionary<long, long> _merges;   // (left << 32 | right) → (rank << 32 | merged id)
    readonly int[] _byteToId = new int[256];
    /// <summary>Per-thread pre-token → ids cache (no locks on the hot path; each thread warms its own).</summary>
    internal sealed class Cache
    {
        public readonly Dictionary<string, int[]> Map;
        public readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> BySpan;
        public readonly BpeModel Owner;

        public Cache(BpeModel owner)
        {
            Owner = owner;
            Map = new Dictionary<string, int[]>(4096, SpanStringComparer.Instance);
            BySpan = Map.GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    [ThreadStatic] static Cache? t_cache;

    /// <summary>This thread's cache for this model (fetch once per text, pass to <see cref="Encode(ReadOnlySpan{char}, List{int}, Cache)"/>).</summary>
    internal Cache ThreadCache()
    {
        var c = t_cache;
        if (c is null || !ReferenceEquals(c.Owner, this)) t_cache = c = new Cache(this);
        return c;
    }

    public bool IgnoreMerges { get; }
    public int? UnkId { get; }
    public IReadOnlyDictionary<string, int> Vocab => _vocab;
    public int MergeCount => _merges.Count;

    /// <summary>Maximum pre-token length (UTF-16 units) kept in the cache; maximum cache entries before it is cleared.</summary>
    public const int CacheMaxKey = 256, CacheMaxEntries = 1 << 20;

    /// <param name="vocab">token → id (byte-level strings).</param>
    /// <param name="merges">pairs in rank order; both sides and their concatenation must be in the vocab.</param>
    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, bool ignoreMerges, string? unkToken)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        IgnoreMerges = ignoreMerges;
        if (unkToken != null)
        {
            if (!vocab.TryGetValue(unkToken, out int u)) throw new TokenizerException($"unk_token '{unkToken}' is not in the vocab", "$.model.unk_token");
            UnkId = u;
        }
        for (int b = 0; b < 256; b++)
            _byteToId[b] = vocab.TryGetValue(ByteToChar[b].ToString(), out int id) ? id : -1;
        _merges = new Dictionary<long, long>(merges.Count);
        for (int r = 0; r < merges.Count; r++)
        {
            var (l, rt) = merges[r];
            if (!vocab.TryGetValue(l, out int a))
                throw new TokenizerException($"merge {r} names token '{l}' which is not in the vocab", $"$.model.merges[{r}]");
            if (!vocab.TryGetValue(rt, out int b))
                throw new TokenizerException($"merge {r} names token '{rt}' which is not in the vocab", $"$.model.merges[{r}]");
            if (!vocab.TryGetValue(l + rt, out int m))
                throw new TokenizerException($"merge {r} produces '{l + rt}' which is not in the vocab", $"$.model.merges[{r}]");
            _merges.TryAdd(((long)a << 32) | (uint)b, ((long)r << 32) | (uint)m); // first occurrence wins, as in HF
        }
    }

    /// <summary>Appends the ids of one pre-token (a UTF-16 span; its UTF-8 bytes are the BPE input).</summary>
    public void Encode(ReadOnlySpan<char> piece, List<int> output) => Encode(piece, output, ThreadCache());

    internal void Encode(ReadOnlySpan<char> piece, List<int> output, Cache cache)
    {
        if (piece.IsEmpty) return;
        if (cache.BySpan.TryGetValue(piece, out var cached))
        {
            if (cached.Length == 1) output.Add(cached[0]);
            else output.AddRange(cached);
            return;
        }
        var ids = EncodeUncached(piece);
        if (piece.Length < CacheMaxKey)
        {
            if (cache.Map.Count >= CacheMaxEntries) cache.Map.Clear();
            cache.BySpan.TryAdd(piece, ids);
        }
        output.AddRange(ids);
    }

    int[] EncodeUncached(ReadOnlySpan<char> piece)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rented = null;
        Span<byte> bytes = maxBytes <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            int n = Encoding.UTF8.GetBytes(piece, bytes);
            bytes = bytes[..n];
            if (IgnoreMerges)
            {
                char[]? rc = null;
                Span<char> chars = n <= 1024 ? stackalloc char[1024] : (rc = ArrayPool<char>.Shared.Rent(n));
                for (int i = 0; i < n; i++) chars[i] = ByteToChar[bytes[i]];
                bool found = _vocabBySpan.TryGetValue(chars[..n], out int whole);
                if (rc != null) ArrayPool<char>.Shared.Return(rc);
                if (found) return [whole];
            }
            var sym = new int[n];
            for (int i = 0; i < n; i++)
            {
                int id = _byteToId[bytes[i]];
                if (id < 0)
                {
                    if (UnkId is int u) id = u;
                    else throw new TokenizerException($"byte 0x{bytes[i]:X2} has no token in the vocab and there is no unk_token");
                }
                sym[i] = id;
            }
            int count = n <= 256 ? MergeSmall(sym) : MergeLarge(sym);
            return count == sym.Length ? sym : sym[..count];
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Ordinal string comparer with a per-process random seed (fast, and no fixed hash for adversarial input).</summary>
    sealed class SpanStringComparer : IEqualityComparer<string>, IAlternateEqualityComparer<ReadOnlySpan<char>, string>
    {
        public static readonly SpanStringComparer Instance = new();
        static readonly ulong Seed = (ulong)Random.Shared.NextInt64() | 1;

        public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);
        public int GetHashCode(string s) => Hash(s);
        public bool Equals(ReadOnlySpan<char> span, string other) => span.SequenceEqual(other);
        public int GetHashCode(ReadOnlySpan<char> span) => Hash(span);
        public string Create(ReadOnlySpan<char> span) => new(span);

        static int Hash(ReadOnlySpan<char> s)
        {
            ulong h = Seed ^ (ulong)s.Length;
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<char, ulong>(s);
            foreach (var w in words) h = (System.Numerics.BitOperations.RotateLeft(h ^ w, 29) * 0x9E3779B97F4A7C15UL);
            for (int i = words.Length * 4; i < s.Length; i++) h = (System.Numerics.BitOperations.RotateLeft(h ^ s[i], 29) * 0x9E3779B97F4A7C15UL);
            h ^= h >> 32;
            return (int)h;
        }
    }

    long Lookup(int a, int b) => _merges.TryGetValue(((long)a << 32) | (uint)b, out long v) ? v : long.MaxValue;

    /// <summary>Merges in place; returns the number of symbols left. Keeps each adjacent pair's (rank, id) in a side array.</summary>
    internal int MergeSmall(int[] sym)
    {
        int n = sym.Length;
        if (n < 2) return n;
        Span<long> pair = n <= 256 ? stackalloc long[256] : new long[n];
        for (int i = 0; i < n - 1; i++) pair[i] = Lookup(sym[i], sym[i + 1]);
        while (n > 1)
        {
            int best = -1;
            long bestRank = long.MaxValue;
            for (int i = 0; i < n - 1; i++)
            {
                // rank is in the high word, so comparing the packed value compares ranks; strict < keeps the leftmost.
                if (pair[i] < bestRank) { bestRank = pair[i]; best = i; }
            }
            if (best < 0) break;
            sym[best] = (int)(uint)bestRank;
            // remove symbol best+1 and pair best+1
            for (int i = best + 1; i < n - 1; i++) sym[i] = sym[i + 1];
            for (int i = best + 1; i < n - 2; i++) pair[i] = pair[i + 1];
            n--;
            if (best > 0) pair[best - 1] = Lookup(sym[best - 1], sym[best]);
            if (best < n - 1) pair[best] = Lookup(sym[best], sym[best + 1]);
        }
        return n;
    }

    /// <summary>Heap-ordered merges over a linked list (for long pre-tokens, e.g. whitespace runs).</summary>
    internal int MergeLarge(int[] sym)
    {
        int n = sym.Length;
        if (n < 2) return n;
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        var heap = new PriorityQueue<(int Pos, int Left, int Right, int Merged), (long Rank, int Pos)>();
        void Push(int i)
        {
            int j = next[i];
            if (j < 0) return;
            long v = Lookup(sym[i], sym[j]);
            if (v != long.MaxValue) heap.Enqueue((i, sym[i], sym[j], (int)(uint)v), (v >> 32, i));
        }
        for (int i = 0; i < n - 1; i++) Push(i);
        int count = n;
        while (heap.TryDequeue(out var e, out _))
        {
            int i = e.Pos;
            // stale entry: the left symbol changed, was removed, or its right neighbour changed
            if (sym[i] != e.Left) continue;
            int j = next[i];
            if (j < 0 || sym[j] != e.Right) continue;
            sym[i] = e.Merged;
            sym[j] = -1;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            count--;
            if (prev[i] >= 0) Push(prev[i]);
            Push(i);
        }
        int w = 0;
        for (int i = 0; i >= 0; i = next[i]) sym[w++] = sym[i];
        return w;
    }
}
