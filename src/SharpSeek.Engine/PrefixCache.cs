// The prefix ("context") cache: KV rows of earlier prompts kept in blocks of BlockTokens tokens, so a request that
// begins with the same tokens (a shared system prompt or document, the earlier turns of a conversation) imports
// them instead of recomputing them. Entries are copies; running sequences' caches are never shared.
//   key(block i) = hash(key(block i-1), tokens of block i), so a block is found only under its identical prefix;
//   every entry keeps all tokens from 0 to its end and a hit compares them (the hash only finds the candidate).
//   Memory tier: LRU under a byte budget. Evicted blocks spill to an optional directory (LRU under its own budget;
//   written to a temp file, then renamed) and are read back on a miss. A bad spill file is a miss and is deleted.
// Only the scheduler thread looks up and stores; every member locks, so other threads may read Stats.
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace SharpSeek.Engine;

/// <summary>Counters since start; Hits counts lookups that imported at least one block.</summary>
public sealed record PrefixCacheStats(long Lookups, long Hits, long HitTokens, long MissTokens, long Evictions, long DiskEvictions,
    long DiskReads, long DiskErrors, int MemoryBlocks, long MemoryBytes, int DiskBlocks, long DiskBytes);

public sealed class PrefixCache
{
    /// <summary>A block's key from its parent's key and its tokens (tests swap it to force collisions).</summary>
    internal delegate ulong BlockHash(ulong parent, ReadOnlySpan<int> tokens);

    sealed class Entry(ulong key, int[] prefix, KvBlock block)
    {
        public readonly ulong Key = key;
        public readonly int[] Prefix = prefix;           // every token from 0 to the end of this block
        public readonly KvBlock Block = block;
        public LinkedListNode<Entry>? Node;              // in the memory LRU list while cached in memory
        public long Bytes => Block.Data.Length + 4L * Prefix.Length;
    }

    // spill file: magic u32, version u32, identity u64, key u64, prefix tokens n i32, data bytes m i32 | n × i32 | m bytes | checksum u64
    const uint Magic = 0x564B5353;                       // "SSKV"
    const int Version = 1, HeaderBytes = 32;
    const ulong Seed = 0xcbf29ce484222325, Prime = 0x9E3779B97F4A7C15;

    readonly object gate = new();
    readonly Dictionary<ulong, Entry> memory = [];
    readonly LinkedList<Entry> lru = new();              // most recently used first
    readonly Dictionary<ulong, LinkedListNode<(ulong Key, long Bytes)>> disk = [];
    readonly LinkedList<(ulong Key, long Bytes)> diskLru = new();
    readonly string layout;
    readonly ulong identity;                             // layout and block size: the root key and every spill file's header
    long memoryBytes, diskBytes, lookups, hits, hitTokens, missTokens, evictions, diskEvictions, diskReads, diskErrors;

    public int BlockTokens { get; }
    public long MemoryBudget { get; }
    /// <summary>Where evicted blocks go; null = no disk tier.</summary>
    public string? SpillDirectory { get; }
    public long DiskBudget { get; }
    internal BlockHash Hash { get; init; } = (parent, tokens) => Mix(parent, MemoryMarshal.AsBytes(tokens));

    /// <param name="layout">the step model's KvLayout; spill files written under another layout or block size are foreign</param>
    /// <param name="diskBudget">bytes of spill files at most; 0 = no disk tier</param>
    public PrefixCache(string layout, int blockTokens = 64, long memoryBudget = 256L << 20, string? directory = null, long diskBudget = 4L << 30)
    {
        if (blockTokens < 1) throw new ArgumentOutOfRangeException(nameof(blockTokens), blockTokens, "PrefixBlockTokens must be ≥ 1 (64 is DeepSeek's unit)");
        if (memoryBudget < 0) throw new ArgumentOutOfRangeException(nameof(memoryBudget), memoryBudget, "PrefixCacheBytes must be ≥ 0 (0 = off)");
        if (diskBudget < 0) throw new ArgumentOutOfRangeException(nameof(diskBudget), diskBudget, "PrefixCacheDiskBytes must be ≥ 0 (0 = no disk tier)");
        this.layout = layout;
        BlockTokens = blockTokens;
        MemoryBudget = memoryBudget;
        DiskBudget = diskBudget;
        identity = Mix(Seed ^ (ulong)blockTokens, Encoding.UTF8.GetBytes(layout));
        if (directory is null || diskBudget == 0) return;
        SpillDirectory = directory;
        Directory.CreateDirectory(directory);
        foreach (var f in Directory.EnumerateFiles(directory, "*.kv.tmp")) TryDelete(f);     // writes cut short
        foreach (var f in new DirectoryInfo(directory).EnumerateFiles("*.kv").OrderBy(f => f.LastWriteTimeUtc))
            if (f.Name.Length == 19 && ulong.TryParse(f.Name[..16], NumberStyles.AllowHexSpecifier, null, out ulong key))
            {
                disk[key] = diskLru.AddFirst((key, f.Length));
                diskBytes += f.Length;
            }
        TrimDisk();
    }

    public PrefixCacheStats Stats
    {
        get { lock (gate) return new(lookups, hits, hitTokens, missTokens, evictions, diskEvictions, diskReads, diskErrors, memory.Count, memoryBytes, disk.Count, diskBytes); }
    }

    /// <summary>
    /// The cached blocks that begin <paramref name="tokens"/>, in order, covering at most <paramref name="maxTokens"/>
    /// tokens (the caller leaves at least one prompt token to run). Counts tokens.Length − hit as missed.
    /// </summary>
    public List<KvBlock> Lookup(ReadOnlySpan<int> tokens, int maxTokens)
    {
        var found = new List<Entry>();
        lock (gate)
        {
            ulong key = identity;
            for (int end = BlockTokens; end <= Math.Min(maxTokens, tokens.Length); end += BlockTokens)
            {
                key = Hash(key, tokens[(end - BlockTokens)..end]);
                if (Find(key, tokens[..end]) is not Entry e) break;
                found.Add(e);
            }
            TouchAll(found);
            int hit = found.Count * BlockTokens;
            lookups++;
            if (hit > 0) hits++;
            hitTokens += hit;
            missTokens += tokens.Length - hit;
        }
        return found.ConvertAll(e => e.Block);
    }

    /// <summary>
    /// Stores the full blocks among tokens[..count] (the tokens whose KV rows the sequence's cache holds) that are not
    /// cached yet; export(start, n) copies rows [start, start+n) out. Returns the blocks added.
    /// </summary>
    public int Store(ReadOnlySpan<int> tokens, int count, Func<int, int, KvBlock> export)
    {
        lock (gate)
        {
            var seen = new List<Entry>();
            int added = 0;
            ulong key = identity;
            for (int end = BlockTokens; end <= Math.Min(count, tokens.Length); end += BlockTokens)
            {
                key = Hash(key, tokens[(end - BlockTokens)..end]);
                if (!memory.TryGetValue(key, out var e) || !e.Prefix.AsSpan().SequenceEqual(tokens[..end]))
                {
                    e = new Entry(key, tokens[..end].ToArray(), export(end - BlockTokens, BlockTokens));
                    Add(e);
                    added++;
                }
                seen.Add(e);
            }
            TouchAll(seen);
            return added;
        }
    }

    /// <summary>The entry for key whose tokens are exactly prefix: from memory, else read back from disk.</summary>
    Entry? Find(ulong key, ReadOnlySpan<int> prefix)
    {
        if (memory.TryGetValue(key, out var e)) return e.Prefix.AsSpan().SequenceEqual(prefix) ? e : null;
        if (!disk.ContainsKey(key) || ReadSpill(key) is not Entry d || !d.Prefix.AsSpan().SequenceEqual(prefix)) return null;
        Add(d);                                          // back in memory; its file goes
        return d;
    }

    /// <summary>Makes a walk's entries most recent, its first block last, so a prefix outlives its longer extensions.</summary>
    void TouchAll(List<Entry> walk)
    {
        for (int i = walk.Count - 1; i >= 0; i--)
            if (walk[i].Node is { List: not null } node) { lru.Remove(node); lru.AddFirst(node); }
    }

    void Add(Entry e)
    {
        if (memory.Remove(e.Key, out var old)) { lru.Remove(old.Node!); old.Node = null; memoryBytes -= old.Bytes; }
        RemoveSpill(e.Key);                              // a key lives in one tier
        memory[e.Key] = e;
        e.Node = lru.AddFirst(e);
        memoryBytes += e.Bytes;
        while (memoryBytes > MemoryBudget && lru.Last is { } last)
        {
            var victim = last.Value;
            lru.RemoveLast();
            victim.Node = null;
            memory.Remove(victim.Key);
            memoryBytes -= victim.Bytes;
            evictions++;
            if (SpillDirectory is not null) WriteSpill(victim);
        }
    }

    string SpillPath(ulong key) => Path.Combine(SpillDirectory!, $"{key:x16}.kv");

    void WriteSpill(Entry e)
    {
        string path = SpillPath(e.Key), tmp = path + ".tmp";
        var header = new byte[HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), identity);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), e.Key);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), e.Prefix.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(28), e.Block.Data.Length);
        var tokens = MemoryMarshal.AsBytes(e.Prefix.AsSpan());
        var sum = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(sum, Mix(Mix(Mix(Seed, header), tokens), e.Block.Data));
        try
        {
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                f.Write(header);
                f.Write(tokens);
                f.Write(e.Block.Data);
                f.Write(sum);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception x) when (x is IOException or UnauthorizedAccessException)
        {
            diskErrors++;
            TryDelete(tmp);
            return;
        }
        RemoveSpill(e.Key, deleteFile: false);
        long bytes = HeaderBytes + tokens.Length + e.Block.Data.Length + 8;
        disk[e.Key] = diskLru.AddFirst((e.Key, bytes));
        diskBytes += bytes;
        TrimDisk();
    }

    /// <summary>The spill file of key, or null (then the file was unreadable, truncated, corrupt or foreign, and is deleted).</summary>
    Entry? ReadSpill(ulong key)
    {
        byte[] f;
        try { f = File.ReadAllBytes(SpillPath(key)); }
        catch (Exception x) when (x is IOException or UnauthorizedAccessException) { f = []; }
        diskReads++;
        if (Parse(key, f) is Entry e) return e;
        diskErrors++;
        RemoveSpill(key);
        return null;
    }

    Entry? Parse(ulong key, ReadOnlySpan<byte> f)
    {
        if (f.Length < HeaderBytes + 8) return null;
        var h = f[..HeaderBytes];
        int n = BinaryPrimitives.ReadInt32LittleEndian(h[24..]), m = BinaryPrimitives.ReadInt32LittleEndian(h[28..]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != Magic || BinaryPrimitives.ReadInt32LittleEndian(h[4..]) != Version
            || BinaryPrimitives.ReadUInt64LittleEndian(h[8..]) != identity || BinaryPrimitives.ReadUInt64LittleEndian(h[16..]) != key
            || n <= 0 || n % BlockTokens != 0 || m < 0 || m % BlockTokens != 0 || HeaderBytes + 4L * n + m + 8 != f.Length) return null;
        var tokens = f.Slice(HeaderBytes, 4 * n);
        var data = f.Slice(HeaderBytes + 4 * n, m);
        if (Mix(Mix(Mix(Seed, h), tokens), data) != BinaryPrimitives.ReadUInt64LittleEndian(f[^8..])) return null;
        return new Entry(key, MemoryMarshal.Cast<byte, int>(tokens).ToArray(), new KvBlock(BlockTokens, layout, data.ToArray()));
    }

    void TrimDisk()
    {
        while (diskBytes > DiskBudget && diskLru.Last is { } last) { RemoveSpill(last.Value.Key); diskEvictions++; }
    }

    void RemoveSpill(ulong key, bool deleteFile = true)
    {
        if (!disk.Remove(key, out var node)) return;
        diskLru.Remove(node);
        diskBytes -= node.Value.Bytes;
        if (deleteFile) TryDelete(SpillPath(key));
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception x) when (x is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// 64-bit multiply-rotate over 8-byte words, continuing from h. Not cryptographic: keys only find candidates
    /// (tokens are compared) and checksums catch torn or damaged files (a change in any one word always shows).
    /// </summary>
    static ulong Mix(ulong h, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 8 <= data.Length; i += 8) h = BitOperations.RotateLeft((h ^ BinaryPrimitives.ReadUInt64LittleEndian(data[i..])) * Prime, 31);
        for (; i < data.Length; i++) h = BitOperations.RotateLeft((h ^ data[i]) * Prime, 31);
        return h ^ (h >> 29);
    }
}
