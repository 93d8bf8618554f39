// The free-text phase of a constraint: any text until a stop string (R1's "</think>"), then the grammar, which must
// start exactly at a token boundary. A KMP automaton over the stop string's bytes tracks how much of it the text
// ends with; per KMP state, the tokens that would complete the stop string before their last byte are banned.
// Those sets are computed lazily (one trie walk each) and cached per (tokenizer, stop string).
// Added tokens count by their content: R1's added "</think>" completes the stop string as one token.
using System.Text;

namespace SharpSeek.Engine.Constrained;

internal sealed class StopString
{
    public const int Early = -1;        // Step result: the stop string ends before the last byte

    readonly TokenTrie _trie;
    readonly int[] _delta;              // [j · 256 + byte] → bytes of the stop string matched after it (KMP)
    readonly Lazy<int[]>[] _banned;     // per KMP state j < Length

    public int Length { get; }

    public static StopString For(TokenTrie trie, string stop) => trie.StopStrings.GetOrAdd(stop, s => new StopString(trie, s));

    StopString(TokenTrie trie, string stop)
    {
        _trie = trie;
        var p = Encoding.UTF8.GetBytes(stop);
        if (p.Length == 0) throw new ArgumentException("the stop string is empty");
        Length = p.Length;
        // failure function, then the full transition table
        var fail = new int[p.Length + 1];
        for (int i = 1, k = 0; i < p.Length; i++)
        {
            while (k > 0 && p[i] != p[k]) k = fail[k];
            if (p[i] == p[k]) k++;
            fail[i + 1] = k;
        }
        _delta = new int[(p.Length + 1) * 256];
        for (int j = 0; j <= p.Length; j++)
            for (int b = 0; b < 256; b++)
                _delta[j << 8 | b] = j < p.Length && b == p[j] ? j + 1 : j == 0 ? 0 : _delta[fail[j] << 8 | b];
        _banned = new Lazy<int[]>[p.Length];
        for (int j = 0; j < p.Length; j++) { int s = j; _banned[j] = new(() => Ban(s)); }
    }

    /// <summary>The KMP state after <paramref name="bytes"/> from state j: Length when the stop string ends exactly at the last byte, Early before.</summary>
    public int Step(int j, ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            j = _delta[j << 8 | bytes[i]];
            if (j == Length) return i == bytes.Length - 1 ? Length : Early;
        }
        return j;
    }

    /// <summary>Token ids banned in KMP state j (they would finish the stop string with bytes left over).</summary>
    public int[] Banned(int j) => _banned[j].Value;

    int[] Ban(int j)
    {
        var banned = new List<int>();
        var t = _trie;
        Span<int> states = stackalloc int[t.MaxDepth + 1];
        states[0] = j;
        var nodes = t.Nodes;
        for (int i = 1; i < nodes.Length;)
        {
            int d = nodes[i].Key >> 8;
            int s = _delta[states[d - 1] << 8 | nodes[i].Key & 0xFF];
            if (s == Length)
            {
                // this node's token ends with the stop string (allowed); every longer one has bytes after it
                for (int k = i + 1; k < nodes[i].End; k++) if (nodes[k].Token >= 0) banned.Add(nodes[k].Token);
                i = nodes[i].End;
                continue;
            }
            states[d] = s;
            i++;
        }
        var set = banned.ToHashSet();
        foreach (var (id, same) in t.Duplicates) if (set.Contains(same)) banned.Add(id);
        foreach (int id in t.AddedIds) if (Step(j, t.TextBytes(id)) == Early) banned.Add(id);
        return [.. banned];
    }
}
