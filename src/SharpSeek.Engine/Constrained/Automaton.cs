// The pushdown recognizer of a Grammar, determinized lazily: a state is a set of stacks, every stack and every
// state is interned (equal stacks share one id), and each (state, byte class) transition is computed once and then
// read from a table — so a token-mask walk over the vocabulary trie is mostly table lookups, and inside a JSON string
// the state after "abc" is the same state as before it. Not thread-safe; clones of a Recognizer share one.
// Stack frame = (position of the next element to match, parent frame); a stack's top frame points at a terminal
// (byte set or token). Frame 0 is the empty stack: the grammar is fully matched.
using System.Runtime.InteropServices;

namespace SharpSeek.Engine.Constrained;

internal sealed class Automaton
{
    public const int Dead = -1;          // transition into no state (the byte is rejected)
    public readonly Grammar Grammar;
    readonly int[] _el;
    readonly byte[] _class;              // byte → byte class (Grammar.ByteClass)
    readonly int _classes;

    int[] _framePos = new int[256], _frameParent = new int[256];
    int _frameCount = 1;
    readonly Dictionary<long, int> _frameIds = [];

    readonly List<int[]> _states = [[]];  // state id → sorted frame ids; id 0 unused
    readonly Dictionary<int[], int>.AlternateLookup<ReadOnlySpan<int>> _stateIds =
        new Dictionary<int[], int>(FrameSetComparer.Instance).GetAlternateLookup<ReadOnlySpan<int>>();
    readonly List<int[]> _tokens = [[]];  // state id → token ids its stacks can match next
    /// <summary>[state · ClassCount + byte class] → next state; 0 = not computed yet, Dead = rejected.</summary>
    internal int[] Transitions;
    readonly Dictionary<long, int> _tokenTransitions = [];
    readonly Dictionary<int, int> _afterFrame = [];     // frame → state after its byte terminal matched (no other stack did)
    readonly Dictionary<(int, int), int> _unitSuccessor = [];
    readonly Dictionary<int, (int Class, int Units)> _reach = [];

    readonly List<int> _scratch = [];
    readonly HashSet<long> _expanded = [];
    readonly Stack<(int Pos, int Parent)> _work = new();

    public int Start { get; }

    public Automaton(Grammar grammar)
    {
        Grammar = grammar;
        _el = grammar.Elements;
        _class = grammar.ByteClass;
        _classes = grammar.ClassCount;
        Transitions = new int[_classes * 64];
        Expand(0, -1);
        Start = Intern();
    }

    public int StateCount => _states.Count - 1;
    public bool IsAccepting(int state) => _states[state] is [0, ..];
    public bool CanContinue(int state) => _states[state].Length > (IsAccepting(state) ? 1 : 0);
    public ReadOnlySpan<int> Tokens(int state) => _tokens[state];

    public int ClassCount => _classes;
    public byte[] ByteClass => _class;

    public int Step(int state, byte b)
    {
        int next = Transitions[state * _classes + _class[b]];
        return next != 0 ? next : Compute(state, b);
    }

    internal int Compute(int state, byte b)
    {
        int matched = 0, single = 0;
        foreach (int f in _states[state])
            if (f != 0 && Grammar.Kind(_el[_framePos[f]]) == Grammar.Bytes && Grammar.SetHas(Grammar.Value(_el[_framePos[f]]), b)) { matched++; single = f; }
        // the common case, one stack takes the byte: its successor depends on that frame only (shared by all its bytes)
        if (matched == 1 && _afterFrame.TryGetValue(single, out int next)) return Transitions[state * _classes + _class[b]] = next;
        _scratch.Clear();
        _expanded.Clear();
        foreach (int f in _states[state])
        {
            if (f == 0) continue;
            int e = _el[_framePos[f]];
            if (Grammar.Kind(e) == Grammar.Bytes && Grammar.SetHas(Grammar.Value(e), b)) Expand(_framePos[f] + 1, _frameParent[f]);
        }
        next = Intern();
        if (matched == 1) _afterFrame[single] = next;
        return Transitions[state * _classes + _class[b]] = next;
    }

    /// <summary>Unit counts ClassReach distinguishes; Unbounded = the state loops on the class.</summary>
    public const int MaxUnits = 16, Unbounded = MaxUnits + 1;   // 99.9% of DeepSeek-V3's tokens are ≤ 16 characters

    /// <summary>
    /// The first token class (index; -1 if none) such that every string of up to Units whole units is accepted from
    /// <paramref name="state"/>; Units = Unbounded when each unit leads back to the state (inside a JSON string),
    /// less when the units are counted (a string with maxLength).
    /// </summary>
    public (int Class, int Units) ClassReach(int state)
    {
        if (_reach.TryGetValue(state, out var reach)) return reach;
        reach = (-1, 0);
        for (int k = 0; k < Grammar.TokenClasses.Length && reach.Class < 0; k++)
        {
            int units = 0;
            for (int s = state; units < MaxUnits; units++)
            {
                int next = UnitSuccessor(s, k);
                if (next == Dead) break;
                if (next == s) { units = Unbounded; break; }
                s = next;
            }
            if (units > 0) reach = (k, units);
        }
        return _reach[state] = reach;
    }

    // the one state every whole unit of class k leads to from `state` (Dead if a unit is rejected or they differ):
    // explores the pairs (state, class state) over every byte the class allows
    int UnitSuccessor(int state, int k)
    {
        const int MaxPairs = 4096;
        if (_unitSuccessor.TryGetValue((state, k), out int succ)) return succ;
        var c = Grammar.TokenClasses[k];
        succ = 0; // none seen yet (state ids start at 1)
        var seen = new HashSet<(int, int)>();
        var todo = new Stack<(int Q, int D)>([(state, 0)]);
        while (todo.Count > 0 && succ != Dead)
        {
            var (q, d) = todo.Pop();
            for (int b = 0; b < 256 && succ != Dead; b++)
            {
                int d2 = c.Next[d << 8 | b];
                if (d2 < 0) continue;
                int q2 = Step(q, (byte)b);
                if (q2 == Dead) succ = Dead;
                else if (d2 == 0) succ = succ == 0 || succ == q2 ? q2 : Dead;
                else if (seen.Add((q2, d2))) { if (seen.Count > MaxPairs) succ = Dead; else todo.Push((q2, d2)); }
            }
        }
        return _unitSuccessor[(state, k)] = succ == 0 ? Dead : succ;
    }

    public int StepToken(int state, int token)
    {
        long key = (long)state << 32 | (uint)token;
        if (_tokenTransitions.TryGetValue(key, out int next)) return next;
        _scratch.Clear();
        _expanded.Clear();
        foreach (int f in _states[state])
        {
            if (f == 0) continue;
            int e = _el[_framePos[f]];
            if (Grammar.Kind(e) == Grammar.Token && Grammar.Value(e) == token) Expand(_framePos[f] + 1, _frameParent[f]);
        }
        return _tokenTransitions[key] = Intern();
    }

    // Adds to _scratch the stacks reachable from "continue at pos, then parent" without consuming input
    // (iterative: a long chain of optional rules must not overflow the call stack).
    void Expand(int pos, int parent)
    {
        _work.Push((pos, parent));
        while (_work.TryPop(out var item))
        {
            (pos, parent) = item;
            if (!_expanded.Add((long)pos << 32 | (uint)parent)) continue;
            int e = _el[pos];
            switch (Grammar.Kind(e))
            {
                case Grammar.End:
                    if (parent < 0) _scratch.Add(0);
                    else _work.Push((_framePos[parent], _frameParent[parent]));
                    break;
                case Grammar.Rule:
                    // the continuation after the reference; none when the alternative ends there (tail call)
                    int next = Grammar.Kind(_el[pos + 1]) == Grammar.End ? parent : Frame(pos + 1, parent);
                    foreach (int alt in Grammar.Alternatives[Grammar.Value(e)]) _work.Push((alt, next));
                    break;
                default:
                    _scratch.Add(Frame(pos, parent));
                    break;
            }
        }
    }

    int Frame(int pos, int parent)
    {
        long key = (long)pos << 32 | (uint)parent;
        if (_frameIds.TryGetValue(key, out int id)) return id;
        if (_frameCount == _framePos.Length)
        {
            Array.Resize(ref _framePos, _frameCount * 2);
            Array.Resize(ref _frameParent, _frameCount * 2);
        }
        id = _frameCount++;
        _framePos[id] = pos;
        _frameParent[id] = parent;
        return _frameIds[key] = id;
    }

    // interns the frame set in _scratch as a state; Dead when empty
    int Intern()
    {
        if (_scratch.Count == 0) return Dead;
        var span = CollectionsMarshal.AsSpan(_scratch);
        span.Sort();
        int n = 1;
        for (int i = 1; i < span.Length; i++) if (span[i] != span[n - 1]) span[n++] = span[i];
        span = span[..n];
        if (_stateIds.TryGetValue(span, out int id)) return id;
        id = _states.Count;
        var frames = span.ToArray();
        _states.Add(frames);
        _stateIds.Dictionary[frames] = id;
        int[] tokens = [];
        foreach (int f in frames)
            if (f != 0 && Grammar.Kind(_el[_framePos[f]]) == Grammar.Token && !tokens.Contains(Grammar.Value(_el[_framePos[f]])))
                tokens = [.. tokens, Grammar.Value(_el[_framePos[f]])];
        _tokens.Add(tokens);
        if ((id + 1) * _classes > Transitions.Length) Array.Resize(ref Transitions, Transitions.Length * 2);
        return id;
    }

    /// <summary>The state of <paramref name="from"/> re-interned here (to move a recognizer into a fresh, smaller automaton).</summary>
    public int Import(Automaton from, int state)
    {
        var map = new Dictionary<int, int> { [0] = 0, [-1] = -1 };   // frame there → frame here
        var chain = new List<int>();
        _scratch.Clear();
        foreach (int f in from._states[state])
        {
            for (int g = f; !map.ContainsKey(g); g = from._frameParent[g]) chain.Add(g);
            for (int i = chain.Count - 1; i >= 0; i--) map[chain[i]] = Frame(from._framePos[chain[i]], map[from._frameParent[chain[i]]]);
            chain.Clear();
            _scratch.Add(map[f]);
        }
        return Intern();
    }

    sealed class FrameSetComparer : IEqualityComparer<int[]>, IAlternateEqualityComparer<ReadOnlySpan<int>, int[]>
    {
        public static readonly FrameSetComparer Instance = new();
        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(int[] a) => GetHashCode(a.AsSpan());
        public bool Equals(ReadOnlySpan<int> x, int[] y) => x.SequenceEqual(y);
        public int GetHashCode(ReadOnlySpan<int> a)
        {
            var h = new HashCode();
            h.AddBytes(MemoryMarshal.AsBytes(a));
            return h.ToHashCode();
        }
        public int[] Create(ReadOnlySpan<int> a) => a.ToArray();
    }
}
