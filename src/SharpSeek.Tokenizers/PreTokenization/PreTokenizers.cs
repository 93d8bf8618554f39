// tokenizer.json `pre_tokenizer` components. A pre-tokenizer maps a list of pieces (spans of strings) to a finer list.
// Supported: Sequence, Split (regex or string; every behavior; invert), ByteLevel (add_prefix_space, use_regex), Digits.
namespace SharpSeek.Tokenizers.PreTokenization;

/// <summary>A span of a source string. Pieces usually point into the normalized section; add_prefix_space makes new strings.</summary>
public readonly record struct Piece(string Source, int Start, int Length)
{
    public ReadOnlySpan<char> Span => Source.AsSpan(Start, Length);
    public override string ToString() => Source.Substring(Start, Length);
}

public enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

public abstract class PreTokenizer
{
    /// <summary>Splits every piece of <paramref name="input"/>, appending the results to <paramref name="output"/>.</summary>
    public abstract void Split(List<Piece> input, List<Piece> output);

    /// <summary>True when this stage ends in ByteLevel (pieces are then byte-encoded by the BPE model).</summary>
    public virtual bool IsByteLevel => false;
}

public sealed class SequencePreTokenizer(IReadOnlyList<PreTokenizer> steps) : PreTokenizer
{
    public IReadOnlyList<PreTokenizer> Steps { get; } = steps;

    public override bool IsByteLevel => Steps.Any(s => s.IsByteLevel);

    [ThreadStatic] static List<Piece>? t_a, t_b;

    public override void Split(List<Piece> input, List<Piece> output)
    {
        if (Steps.Count == 0) { output.AddRange(input); return; }
        // intermediate lists are per-thread scratch, reused across calls (a nested Sequence gets fresh ones)
        var scratchA = t_a ?? new List<Piece>(256);
        var scratchB = t_b ?? new List<Piece>(256);
        t_a = t_b = null;
        var a = input;
        for (int k = 0; k < Steps.Count; k++)
        {
            var b = k == Steps.Count - 1 ? output : ReferenceEquals(a, scratchA) ? scratchB : scratchA;
            if (!ReferenceEquals(b, output)) b.Clear();
            Steps[k].Split(a, b);
            a = b;
        }
        t_a = scratchA;
        t_b = scratchB;
    }
}

/// <summary>HF `Split`: cut each piece around the pattern's matches according to <see cref="SplitBehavior"/>.</summary>
public sealed class SplitPreTokenizer(SplitPattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    public SplitPattern Pattern { get; } = pattern;
    public SplitBehavior Behavior { get; } = behavior;
    public bool Invert { get; } = invert;

    [ThreadStatic] static List<(int Start, int Length)>? t_matches;
    [ThreadStatic] static List<(int Start, int Length, bool Match)>? t_segments;

    public override void Split(List<Piece> input, List<Piece> output)
    {
        var matches = t_matches ??= new(64);
        var segs = t_segments ??= new(128);
        foreach (var p in input)
        {
            matches.Clear();
            Pattern.FindMatches(p.Span, matches);
            if (Behavior == SplitBehavior.Isolated && !Invert)
            {
                // the common case: gaps and matches each become a piece, in order
                int at = 0;
                foreach (var (ms, ml) in matches)
                {
                    if (ms > at) output.Add(new Piece(p.Source, p.Start + at, ms - at));
                    output.Add(new Piece(p.Source, p.Start + ms, ml));
                    at = ms + ml;
                }
                if (at < p.Length) output.Add(new Piece(p.Source, p.Start + at, p.Length - at));
                continue;
            }
            // Segments in order: gaps (Match=false) and matches (Match=true); invert swaps the roles.
            segs.Clear();
            int pos = 0;
            foreach (var (s, l) in matches)
            {
                if (s > pos) segs.Add((pos, s - pos, Invert));
                segs.Add((s, l, !Invert));
                pos = s + l;
            }
            if (pos < p.Length) segs.Add((pos, p.Length - pos, Invert));
            Emit(p, segs, output);
        }
    }

    // Mirrors tokenizers/src/tokenizer/normalizer.rs `NormalizedString::split` for each behavior.
    void Emit(Piece p, List<(int Start, int Length, bool Match)> segs, List<Piece> output)
    {
        if (Behavior == SplitBehavior.Isolated)
        {
            foreach (var (s, l, _) in segs) output.Add(new Piece(p.Source, p.Start + s, l));
            return;
        }
        if (Behavior == SplitBehavior.Removed)
        {
            foreach (var (s, l, m) in segs) if (!m) output.Add(new Piece(p.Source, p.Start + s, l));
            return;
        }
        var acc = new List<(int Start, int End)>(segs.Count);
        bool previousMatch = false;
        if (Behavior == SplitBehavior.MergedWithNext)
        {
            for (int k = segs.Count - 1; k >= 0; k--)
            {
                var (s, l, m) = segs[k];
                if (m && !previousMatch && acc.Count > 0) acc[^1] = (s, acc[^1].End);
                else acc.Add((s, s + l));
                previousMatch = m;
            }
            acc.Reverse();
        }
        else
        {
            foreach (var (s, l, m) in segs)
            {
                bool merge = Behavior == SplitBehavior.MergedWithPrevious ? m && !previousMatch : m == previousMatch;
                if (merge && acc.Count > 0) acc[^1] = (acc[^1].Start, s + l);
                else acc.Add((s, s + l));
                previousMatch = m;
            }
        }
        foreach (var (s, e) in acc) output.Add(new Piece(p.Source, p.Start + s, e - s));
    }
}

/// <summary>HF `ByteLevel` pre-tokenizer: optional prefix space and GPT-2 split; the byte mapping itself happens in the BPE model.</summary>
public sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    static readonly SplitPattern Gpt2 = SplitPattern.FromRegex(SplitPattern.Gpt2);
    readonly SplitPreTokenizer? _split = useRegex ? new SplitPreTokenizer(Gpt2, SplitBehavior.Isolated, false) : null;

    public bool AddPrefixSpace { get; } = addPrefixSpace;
    public bool UseRegex { get; } = useRegex;
    public override bool IsByteLevel => true;

    public override void Split(List<Piece> input, List<Piece> output)
    {
        var pieces = input;
        if (AddPrefixSpace)
        {
            pieces = new List<Piece>(input.Count);
            foreach (var p in input)
                pieces.Add(p.Length > 0 && p.Span[0] == ' ' ? p : new Piece(" " + p.ToString(), 0, p.Length + 1));
        }
        if (_split != null) _split.Split(pieces, output);
        else output.AddRange(pieces);
    }
}

/// <summary>HF `Digits`: isolate runs of digits (char::is_numeric: \p{N}, BMP), one by one when individual_digits.</summary>
public sealed class DigitsPreTokenizer(bool individual) : PreTokenizer
{
    public override void Split(List<Piece> input, List<Piece> output)
    {
        foreach (var p in input)
        {
            var s = p.Span;
            int i = 0;
            while (i < s.Length)
            {
                bool digit = char.IsNumber(s[i]);
                int e = i + 1;
                if (!digit || !individual)
                    while (e < s.Length && char.IsNumber(s[e]) == digit) e++;
                output.Add(new Piece(p.Source, p.Start + i, e - i));
                i = e;
            }
        }
    }
}
