// Grammar-constrained decoding for one sequence: Apply masks the logits of every token the grammar cannot take next,
// Accept advances by the sampled token. Optionally the output starts with free text until a stop string (R1
// reasons freely until "</think>"; only the answer is constrained) — that phase costs a short banned list per token.
// Grammar phase: the mask is a walk of the vocabulary trie with the recognizer (skipping the subtrees a token class
// covers, e.g. whole JSON string characters), memoized per recognizer state (a state recurs: inside a JSON string
// every token leads back to the same state), so a repeat costs one pass over the mask. Ordinary tokens by their
// bytes, added tokens only via Token(id) terminals, EOS ids once the grammar is complete; ids ≥ the tokenizer's
// vocabulary (padding of the model's) never. Not thread-safe; clones share caches.
using System.Runtime.Intrinsics;
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine.Constrained;

public sealed class TokenConstraint
{
    /// <summary>States an automaton may grow to before a sequence moves to a fresh one (each: 4 bytes per byte class).</summary>
    const int MaxStates = 32768;
    /// <summary>Masks memoized per automaton (VocabSize/8 bytes each: 16 KiB for a 129k vocabulary).</summary>
    const int MaxMasks = 64;

    sealed class MaskCache(int words)
    {
        public readonly Dictionary<int, ulong[]> Masks = [];
        public readonly Stack<ulong[]> Free = new();   // arrays of evicted masks, reused (less garbage, fewer GCs)
        public readonly int Words = words;
    }

    readonly TokenTrie _trie;
    readonly int[] _eos;
    readonly StopString? _free;
    int _freeState;                     // KMP state while in the free phase; -1 once the grammar has started
    readonly Recognizer _grammar;
    MaskCache _masks;
    bool _ended;                        // EOS accepted

    /// <param name="eosIds">Tokens that end the output; allowed only when the grammar is complete.</param>
    /// <param name="freeTextUntil">When set, free text comes first, until and including this stop string (e.g. "&lt;/think&gt;").</param>
    public TokenConstraint(Tokenizer tokenizer, Grammar grammar, IEnumerable<int> eosIds, string? freeTextUntil = null)
        : this(TokenTrie.For(tokenizer), grammar, eosIds, freeTextUntil) { }

    public TokenConstraint(TokenTrie trie, Grammar grammar, IEnumerable<int> eosIds, string? freeTextUntil = null)
    {
        _trie = trie;
        _eos = [.. eosIds.Distinct()];
        if (_eos.Length == 0) throw new ArgumentException("at least one EOS id is needed (the only token allowed once the grammar is complete)");
        _free = string.IsNullOrEmpty(freeTextUntil) ? null : StopString.For(trie, freeTextUntil);
        _freeState = _free != null ? 0 : -1;
        foreach (int e in grammar.Elements)
            if (Grammar.Kind(e) == Grammar.Token && !trie.IsAdded(Grammar.Value(e)))
                throw new ArgumentException($"the grammar's Token({Grammar.Value(e)}) is not an added token of this tokenizer; write ordinary text as a Literal");
        _grammar = new Recognizer(grammar);
        _masks = new MaskCache((Math.Max(trie.VocabSize, _eos.Max() + 1) + 63) / 64);
    }

    TokenConstraint(TokenConstraint o)
    {
        _trie = o._trie; _eos = o._eos; _free = o._free; _freeState = o._freeState;
        _grammar = o._grammar.Clone(); _masks = o._masks; _ended = o._ended;
    }

    public TokenConstraint Clone() => new(this);

    /// <summary>Still in the free text before the stop string.</summary>
    public bool InFreeText => _freeState >= 0;

    /// <summary>The grammar is fully matched (EOS is allowed).</summary>
    public bool IsComplete => !InFreeText && (_ended || _grammar.IsComplete);

    /// <summary>Tokens other than EOS may still follow; false once complete with nothing more to add (only EOS allowed).</summary>
    public bool CanContinue => !_ended && (InFreeText || _grammar.CanContinue);

    /// <summary>Sets logits[id] = -inf for every id not allowed next; logits spans the model's vocabulary.</summary>
    public void Apply(Span<float> logits)
    {
        if (_ended) throw new InvalidOperationException("the constrained output has ended (EOS was accepted)");
        if (InFreeText)
        {
            foreach (int id in _free!.Banned(_freeState)) if (id < logits.Length) logits[id] = float.NegativeInfinity;
            foreach (int id in _eos) if (id < logits.Length) logits[id] = float.NegativeInfinity;
            foreach (int id in _trie.UnusedIds) if (id < logits.Length) logits[id] = float.NegativeInfinity;
            if (logits.Length > _trie.VocabSize) logits[_trie.VocabSize..].Fill(float.NegativeInfinity);
            return;
        }
        var mask = Mask();
        int words = Math.Min(mask.Length, (logits.Length + 63) / 64);
        for (int w = 0; w < words; w++)
        {
            ulong m = mask[w];
            if (m == ulong.MaxValue) continue;
            int start = w << 6, end = Math.Min(start + 64, logits.Length);
            if (m == 0) logits[start..end].Fill(float.NegativeInfinity);
            else if (end - start == 64 && Vector256.IsHardwareAccelerated)
            {
                ref float p = ref logits[start];
                for (int j = 0; j < 64; j += 8)
                    Vector256.ConditionalSelect(Keep[(int)(m >> j) & 0xFF], Vector256.LoadUnsafe(ref p, (nuint)j), NegInf).StoreUnsafe(ref p, (nuint)j);
            }
            else
                for (int id = start; id < end; id++)
                    if ((m >> id & 1) == 0) logits[id] = float.NegativeInfinity;
        }
        if (logits.Length > words << 6) logits[(words << 6)..].Fill(float.NegativeInfinity);
    }

    static readonly Vector256<float> NegInf = Vector256.Create(float.NegativeInfinity);
    // Keep[bits]: lane i all ones when bit i of `bits` is set (that logit stays), else zero (it becomes -inf)
    static readonly Vector256<float>[] Keep = [.. Enumerable.Range(0, 256).Select(bits =>
        Vector256.Create([.. Enumerable.Range(0, 8).Select(i => (bits >> i & 1) != 0 ? -1 : 0)]).AsSingle())];

    /// <summary>Whether <paramref name="token"/> may come next (what Apply leaves unmasked).</summary>
    public bool Allows(int token) => Next(token) != Automaton.Dead;

    /// <summary>Advances by the sampled token; throws if it was not allowed.</summary>
    public void Accept(int token)
    {
        int next = Next(token);
        if (next == Automaton.Dead)
            throw new InvalidOperationException($"token {token} is not allowed by the constraint here" + (_ended ? " (the output has ended)" : ""));
        if (InFreeText) _freeState = next == _free!.Length ? -1 : next;
        else if (_eos.Contains(token)) _ended = true;
        else
        {
            _grammar.MoveTo(next);
            if (_grammar.Compact(MaxStates)) _masks = new MaskCache(_masks.Words);
        }
    }

    // the KMP state (free phase) or grammar state after `token`; Dead when it is not allowed
    int Next(int token)
    {
        if (_ended || (uint)token >= (uint)_trie.VocabSize && !_eos.Contains(token)) return Automaton.Dead;
        if (InFreeText)
        {
            if (_eos.Contains(token) || Array.BinarySearch(_trie.UnusedIds, token) >= 0) return Automaton.Dead;
            int j = _free!.Step(_freeState, _trie.TextBytes(token));
            return j == StopString.Early ? Automaton.Dead : j;
        }
        if (_eos.Contains(token)) return _grammar.IsComplete ? _grammar.State : Automaton.Dead;
        if (_trie.IsAdded(token)) return _grammar.Automaton.StepToken(_grammar.State, token);
        var bytes = _trie.Bytes(token);
        int s = bytes.IsEmpty ? Automaton.Dead : _grammar.State;
        for (int i = 0; i < bytes.Length && s != Automaton.Dead; i++) s = _grammar.Automaton.Step(s, bytes[i]);
        return s;
    }

    /// <summary>The allowed-token bit mask (bit id of word id/64) of the grammar's current state.</summary>
    internal ulong[] Mask()
    {
        int state = _grammar.State;
        if (_masks.Masks.TryGetValue(state, out var mask)) return mask;
        if (_masks.Masks.Count >= MaxMasks)
        {
            foreach (var m in _masks.Masks.Values) _masks.Free.Push(m);
            _masks.Masks.Clear();
        }
        if (_masks.Free.TryPop(out mask)) Array.Clear(mask);
        else mask = new ulong[_masks.Words];
        _trie.Allowed(_grammar.Automaton, state, mask);
        foreach (int id in _grammar.NextTokens) if (id < mask.Length << 6) mask[id >> 6] |= 1UL << id;
        foreach (int id in _eos)
            if (_grammar.IsComplete) mask[id >> 6] |= 1UL << id;
            else mask[id >> 6] &= ~(1UL << id);
        return _masks.Masks[state] = mask;
    }
}
