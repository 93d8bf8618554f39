// The ordinary tokens of a tokenizer as a byte trie, built once per tokenizer (cached) and shared read-only by every
// constraint. Token bytes come from GPT-2's byte ↔ unicode table (BpeModel.CharToByte), as the tokenizer decodes them.
// Added tokens (special or not) are left out: they are allowed only through a grammar's Token(id) terminal.
// Nodes are stored in depth-first preorder (one flat array, node 0 = the empty prefix), so a mask walk is one loop
// that jumps over a rejected node's whole subtree, or over a subtree a token class covers (TokenClass).
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine.Constrained;

public sealed class TokenTrie
{
    static readonly ConditionalWeakTable<Tokenizer, TokenTrie> Cache = new();

    /// <summary>The trie of <paramref name="tokenizer"/>'s ordinary tokens (built on first use, then cached).</summary>
    public static TokenTrie For(Tokenizer tokenizer) => Cache.GetValue(tokenizer, t => new TokenTrie(t));

    readonly byte[]?[] _bytes;       // id → bytes of an ordinary token; null for added tokens and unused ids
    readonly byte[]?[] _addedBytes;  // id → UTF-8 of an added token's content
    internal readonly int[] AddedIds;
    internal readonly int[] UnusedIds;     // ids below VocabSize that no token has (and zero-byte tokens)

    /// <summary>A trie node: Key = depth &lt;&lt; 8 | byte, End = one past its subtree, Token = the token ending here or -1.</summary>
    internal readonly record struct Node(int Key, int End, int Token);

    internal readonly Node[] Nodes;        // depth-first preorder; Nodes[0] is the root
    internal readonly (int Id, int SameAs)[] Duplicates;  // tokens with the same bytes as an earlier one
    internal readonly int MaxDepth;
    internal readonly ConcurrentDictionary<string, StopString> StopStrings = new();
    readonly ConcurrentDictionary<string, ClassTokens> _classes = new();
    readonly byte[] _noClass;              // all 255: the walk of a state that takes no token class whole

    /// <summary>
    /// The tokens of a TokenClass: UpTo[u] = the class tokens of at most u units (UpTo[Unbounded]: all of them);
    /// MostUnits[node] = the most units of a token in the node's subtree (Unbounded above MaxUnits; 255 if one is not in the class).
    /// </summary>
    internal sealed record ClassTokens(ulong[][] UpTo, byte[] MostUnits);

    /// <summary>Token ids are [0, VocabSize).</summary>
    public int VocabSize { get; }
    public int NodeCount => Nodes.Length;

    TokenTrie(Tokenizer tok) : this(OrdinaryBytes(tok), tok.AddedTokens.DistinctBy(t => t.Id).ToDictionary(t => t.Id, t => t.Content)) { }

    /// <summary>A trie over explicit token bytes (null = no ordinary token) and added-token contents.</summary>
    internal TokenTrie(byte[]?[] bytes, IReadOnlyDictionary<int, string> added)
    {
        VocabSize = Math.Max(bytes.Length, added.Count == 0 ? 0 : added.Keys.Max() + 1);
        _bytes = new byte[]?[VocabSize];
        _addedBytes = new byte[]?[VocabSize];
        bytes.CopyTo(_bytes, 0);
        foreach (var (id, content) in added) { _bytes[id] = null; _addedBytes[id] = Encoding.UTF8.GetBytes(content); }
        AddedIds = [.. added.Keys.Order()];
        UnusedIds = [.. Enumerable.Range(0, VocabSize).Where(i => _addedBytes[i] == null && _bytes[i] is not { Length: > 0 })];

        var ids = Enumerable.Range(0, VocabSize).Where(i => _bytes[i] is { Length: > 0 }).ToArray();
        Array.Sort(ids, (a, b) => _bytes[a].AsSpan().SequenceCompareTo(_bytes[b]));
        int capacity = 1 + ids.Sum(i => _bytes[i]!.Length);
        var nodes = new Node[capacity];
        var dups = new List<(int, int)>();
        var open = new int[ids.Length == 0 ? 1 : ids.Max(i => _bytes[i]!.Length) + 1]; // open[d] = node at depth d on the current path
        int n = 1, depth = 0;
        nodes[0] = new Node(0, 0, -1);
        byte[] prev = [];
        foreach (int id in ids)
        {
            var b = _bytes[id]!;
            int common = b.AsSpan().CommonPrefixLength(prev);
            for (; depth > common; depth--) nodes[open[depth]] = nodes[open[depth]] with { End = n };
            if (common == b.Length) { dups.Add((id, nodes[open[depth]].Token)); continue; } // same bytes as prev
            for (; depth < b.Length; depth++)
            {
                nodes[n] = new Node((depth + 1) << 8 | b[depth], 0, -1);
                open[depth + 1] = n++;
            }
            nodes[open[depth]] = nodes[open[depth]] with { Token = id };
            prev = b;
        }
        for (; depth >= 0; depth--) nodes[open[depth]] = nodes[open[depth]] with { End = n };
        Nodes = nodes[..n];
        Duplicates = [.. dups];
        MaxDepth = open.Length - 1;
        _noClass = new byte[n];
        Array.Fill(_noClass, byte.MaxValue);
    }

    static byte[]?[] OrdinaryBytes(Tokenizer tok)
    {
        var bytes = new byte[]?[tok.VocabSize];
        for (int id = 0; id < tok.VocabSize; id++)
            if (tok.IdToToken(id) is { } s) bytes[id] = TokenBytes(s);
        return bytes;
    }

    // the byte-level token string back to bytes (as Tokenizer.Decode); not a byte-level string: its own UTF-8
    static byte[] TokenBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
            if (!BpeModel.CharToByte.TryGetValue(token[i], out bytes[i])) return Encoding.UTF8.GetBytes(token);
        return bytes;
    }

    /// <summary>The bytes an ordinary token stands for (empty for added tokens and unused ids).</summary>
    public ReadOnlySpan<byte> Bytes(int id) => (uint)id < (uint)VocabSize ? _bytes[id] : default;

    public bool IsAdded(int id) => (uint)id < (uint)VocabSize && _addedBytes[id] != null;

    /// <summary>The bytes of any token: an ordinary token's bytes or an added token's UTF-8 content.</summary>
    internal ReadOnlySpan<byte> TextBytes(int id) => (uint)id >= (uint)VocabSize ? default : _addedBytes[id] ?? _bytes[id];

    internal ClassTokens Class(TokenClass c) => _classes.GetOrAdd(c.Key, _ =>
    {
        const int unbounded = Automaton.Unbounded;
        var units = new int[VocabSize];   // capped at Unbounded; 0 = not in the class
        var upTo = new ulong[unbounded + 1][];
        for (int u = 0; u <= unbounded; u++) upTo[u] = new ulong[(VocabSize + 63) / 64];
        for (int id = 0; id < VocabSize; id++)
            if (_bytes[id] is { } b && (units[id] = Math.Min(c.Units(b), unbounded)) > 0) upTo[units[id]][id >> 6] |= 1UL << id;
        for (int u = 1; u <= unbounded; u++)
            for (int w = 0; w < upTo[u].Length; w++) upTo[u][w] |= upTo[u - 1][w];
        // most units per subtree: each node's own token, then children into parents (reverse preorder)
        var most = new byte[Nodes.Length];
        var parent = new int[Nodes.Length];
        var path = new int[MaxDepth + 1];
        for (int i = 1; i < Nodes.Length; i++)
        {
            int d = Nodes[i].Key >> 8, t = Nodes[i].Token;
            path[d] = i;
            parent[i] = path[d - 1];
            most[i] = (byte)(t < 0 ? 0 : units[t] == 0 ? byte.MaxValue : units[t]);
        }
        for (int i = Nodes.Length - 1; i > 0; i--) most[parent[i]] = Math.Max(most[parent[i]], most[i]);
        return new ClassTokens(upTo, most);
    });

    /// <summary>Sets the bit of every ordinary token whose bytes the automaton accepts from <paramref name="state"/>.</summary>
    internal void Allowed(Automaton a, int state, ulong[] mask)
    {
        var most = _noClass;
        var (k, reach) = a.ClassReach(state);
        if (k >= 0)
        {
            var cls = Class(a.Grammar.TokenClasses[k]);   // class tokens of ≤ reach units: all accepted, no need to walk them
            for (int w = 0; w < cls.UpTo[reach].Length; w++) mask[w] |= cls.UpTo[reach][w];
            most = cls.MostUnits;
        }
        Span<int> states = MaxDepth < 1024 ? stackalloc int[MaxDepth + 1] : new int[MaxDepth + 1]; // states[d] = state after the path's first d bytes
        states[0] = state;
        var nodes = Nodes;
        byte[] byteClass = a.ByteClass;
        int classes = a.ClassCount;
        int[] next = a.Transitions;
        for (int i = 1; i < nodes.Length;)
        {
            if (most[i] <= reach) { i = nodes[i].End; continue; }
            int key = nodes[i].Key, d = key >> 8;
            int s = states[d - 1];
            int t = next[s * classes + byteClass[key & 0xFF]];
            if (t == 0) { t = a.Compute(s, (byte)key); next = a.Transitions; }
            if (t < 0) { i = nodes[i].End; continue; }
            states[d] = t;
            int id = nodes[i].Token;
            if (id >= 0) mask[id >> 6] |= 1UL << id;
            i++;
        }
        foreach (var (id, same) in Duplicates)
            if ((mask[same >> 6] >> same & 1) != 0) mask[id >> 6] |= 1UL << id;
    }
}
