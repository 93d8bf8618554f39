// A compiled byte-level grammar (GBNF-like): rules are alternatives of sequences of elements; an element is a byte
// set (256 bits), a reference to a rule, or a special-token terminal that matches exactly one token id.
// Built by GrammarBuilder; read by Automaton (the fast recognizer) and ReferenceRecognizer (the oracle).
// Rejected at build: undefined rules and left recursion (a rule reaching itself without consuming a byte).
using System.Text;

namespace SharpSeek.Engine.Constrained;

public sealed class GrammarException(string message) : Exception(message);

public sealed class Grammar
{
    // element = kind << KindShift | value
    internal const int KindShift = 28, ValueMask = (1 << KindShift) - 1;
    internal const int End = 0, Bytes = 1, Rule = 2, Token = 3;

    internal static int Kind(int element) => element >>> KindShift;
    internal static int Value(int element) => element & ValueMask;
    internal static int Make(int kind, int value) => kind << KindShift | value;

    /// <summary>Every alternative of every rule, each closed by End; positions 0..1 are [Rule(root), End], where recognition starts.</summary>
    internal readonly int[] Elements;
    /// <summary>Byte sets, 4 words (256 bits) each.</summary>
    internal readonly ulong[] Sets;
    /// <summary>Start position of each alternative of each rule.</summary>
    internal readonly int[][] Alternatives;
    internal readonly string[] RuleNames;
    /// <summary>Byte → class; bytes that every byte set treats alike share a class, and transitions are stored per class.</summary>
    internal readonly byte[] ByteClass;
    internal readonly int ClassCount;
    /// <summary>Token classes X* declared by the builder (JSON string characters): see TokenClass.</summary>
    internal readonly TokenClass[] TokenClasses;

    internal Grammar(int[] elements, ulong[] sets, int[][] alternatives, string[] ruleNames, Grammar[] tokenClasses)
    {
        Elements = elements;
        Sets = sets;
        Alternatives = alternatives;
        RuleNames = ruleNames;
        CheckLeftRecursion();
        (ByteClass, ClassCount) = ByteClasses(sets);
        TokenClasses = [.. tokenClasses.Select(TokenClass.For)];
    }

    // partition refinement: split every class by membership in each set
    static (byte[], int) ByteClasses(ulong[] sets)
    {
        var cls = new int[256];
        int count = 1;
        for (int s = 0; s < sets.Length / 4; s++)
        {
            var split = new Dictionary<(int, bool), int>();
            for (int b = 0; b < 256; b++)
            {
                var key = (cls[b], (sets[s * 4 + (b >> 6)] >> (b & 63) & 1) != 0);
                if (!split.TryGetValue(key, out int c)) split[key] = c = split.Count;
                cls[b] = c;
            }
            count = split.Count;
        }
        return ([.. cls.Select(c => (byte)c)], count);
    }

    public int RuleCount => Alternatives.Length;

    internal bool SetHas(int set, byte b) => (Sets[set * 4 + (b >> 6)] >> (b & 63) & 1) != 0;

    /// <summary>Rules able to match the empty string (fixed point over the alternatives).</summary>
    internal bool[] NullableRules()
    {
        var nullable = new bool[RuleCount];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int r = 0; r < RuleCount; r++)
            {
                if (nullable[r]) continue;
                foreach (int alt in Alternatives[r])
                    if (LeadingNullable(alt, nullable) is var p && Kind(Elements[p]) == End) { nullable[r] = changed = true; break; }
            }
        }
        return nullable;
    }

    // first position of the alternative at `alt` that is not a nullable rule reference
    int LeadingNullable(int alt, bool[] nullable)
    {
        int p = alt;
        while (Kind(Elements[p]) == Rule && nullable[Value(Elements[p])]) p++;
        return p;
    }

    void CheckLeftRecursion()
    {
        var nullable = NullableRules();
        // left[r] = rules that r can start with without consuming a byte; preds = the reverse edges
        var left = new List<int>[RuleCount];
        var preds = new List<int>[RuleCount];
        for (int r = 0; r < RuleCount; r++) { left[r] = []; preds[r] = []; }
        for (int r = 0; r < RuleCount; r++)
            foreach (int alt in Alternatives[r])
                for (int p = alt; Kind(Elements[p]) == Rule; p++)
                {
                    left[r].Add(Value(Elements[p]));
                    preds[Value(Elements[p])].Add(r);
                    if (!nullable[Value(Elements[p])]) break;
                }
        // peel off rules that reach no cycle (out-degree 0, repeatedly); whatever remains lies on or leads into a cycle
        var outDegree = left.Select(l => l.Count).ToArray();
        var removed = new bool[RuleCount];
        var queue = new Queue<int>(Enumerable.Range(0, RuleCount).Where(r => outDegree[r] == 0));
        while (queue.TryDequeue(out int r))
        {
            removed[r] = true;
            foreach (int p in preds[r]) if (--outDegree[p] == 0) queue.Enqueue(p);
        }
        int start = Array.IndexOf(removed, false);
        if (start < 0) return;
        var path = new List<int>();
        int x = start;
        while (!path.Contains(x)) { path.Add(x); x = left[x].First(s => !removed[s]); }
        var cycle = path.Skip(path.IndexOf(x)).Append(x).Select(i => RuleNames[i]);
        throw new GrammarException($"rule '{RuleNames[x]}' is left-recursive (it reaches itself without consuming input: {string.Join(" → ", cycle)})");
    }

    /// <summary>GBNF-like listing, one rule per line (for debugging and error messages).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        for (int r = 0; r < RuleCount; r++)
        {
            sb.Append(RuleNames[r]).Append(" ::= ");
            for (int a = 0; a < Alternatives[r].Length; a++)
            {
                if (a > 0) sb.Append(" | ");
                int p = Alternatives[r][a];
                if (Kind(Elements[p]) == End) sb.Append("\"\"");
                for (bool first = true; Kind(Elements[p]) != End; p++, first = false)
                {
                    if (!first) sb.Append(' ');
                    int v = Value(Elements[p]);
                    sb.Append(Kind(Elements[p]) switch { Bytes => SetText(v), Rule => RuleNames[v], _ => $"<token {v}>" });
                }
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    string SetText(int set)
    {
        var sb = new StringBuilder("[");
        for (int b = 0; b < 256; b++)
        {
            if (!SetHas(set, (byte)b)) continue;
            int e = b;
            while (e < 255 && SetHas(set, (byte)(e + 1))) e++;
            sb.Append(ByteText(b));
            if (e > b) sb.Append('-').Append(ByteText(e));
            b = e;
        }
        return sb.Append(']').ToString();
    }

    static string ByteText(int b) => b is > 0x20 and < 0x7F and not ('\\' or ']' or '-') ? ((char)b).ToString() : $"\\x{b:X2}";
}
