// A token class: the language X* of whole units X (JSON string characters), declared by the grammar builder.
// Inside a JSON string almost every token is whole characters and the recognizer comes back to the same state after
// each one; for such a state the mask walk ORs in the class's precomputed token mask and skips every trie subtree
// holding only class tokens (98% of DeepSeek-V3's trie nodes for JSON characters) instead of stepping through it.
// A state that counts units (a string with maxLength) takes the class tokens short enough the same way.
// A class is a small complete DFA over bytes, explored once per distinct class grammar (cached by its listing).
using System.Collections.Concurrent;

namespace SharpSeek.Engine.Constrained;

internal sealed class TokenClass
{
    static readonly ConcurrentDictionary<string, TokenClass> Cache = new();

    public static TokenClass For(Grammar unitStar) => Cache.GetOrAdd(unitStar.ToString(), key => new TokenClass(unitStar, key));

    public readonly string Key;
    /// <summary>[state · 256 + byte] → state, -1 = rejected; state 0 (the start) = between whole units.</summary>
    public readonly int[] Next;

    TokenClass(Grammar unitStar, string key)
    {
        Key = key;
        var a = new Automaton(unitStar);
        var ids = new Dictionary<int, int> { [a.Start] = 0 };
        var order = new List<int> { a.Start };
        var next = new List<int>();
        for (int i = 0; i < order.Count; i++)
            for (int b = 0; b < 256; b++)
            {
                int t = a.Step(order[i], (byte)b);
                if (t != Automaton.Dead && !ids.ContainsKey(t)) { ids[t] = order.Count; order.Add(t); }
                next.Add(t == Automaton.Dead ? -1 : ids[t]);
            }
        Next = [.. next];
    }

    /// <summary>How many whole units <paramref name="bytes"/> is (0 when it is not a non-empty sequence of whole units).</summary>
    public int Units(ReadOnlySpan<byte> bytes)
    {
        int s = 0, units = 0;
        foreach (byte b in bytes)
        {
            if ((s = Next[s << 8 | b]) < 0) return 0;
            if (s == 0) units++;
        }
        return s == 0 ? units : 0;
    }
}
