// The naive recognizer kept beside the fast one as its test oracle (llama.cpp's grammar stacks): a state is a list
// of stacks, each an array of grammar positions with the top last; nothing is interned, shared or memoized.
namespace SharpSeek.Engine.Constrained;

internal sealed class ReferenceRecognizer
{
    readonly Grammar _g;
    List<int[]> _stacks;   // an empty stack = the grammar is fully matched

    public ReferenceRecognizer(Grammar grammar)
    {
        _g = grammar;
        _stacks = [];
        Expand([0], _stacks);
    }

    ReferenceRecognizer(Grammar g, List<int[]> stacks) { _g = g; _stacks = stacks; }

    public ReferenceRecognizer Clone() => new(_g, _stacks);

    public bool IsComplete => _stacks.Any(s => s.Length == 0);

    public bool AcceptByte(byte b) => Advance(e => Grammar.Kind(e) == Grammar.Bytes && _g.SetHas(Grammar.Value(e), b));

    public bool AcceptToken(int id) => Advance(e => Grammar.Kind(e) == Grammar.Token && Grammar.Value(e) == id);

    public bool AcceptBytes(ReadOnlySpan<byte> bytes)
    {
        var saved = _stacks;
        foreach (byte b in bytes)
            if (!AcceptByte(b)) { _stacks = saved; return false; }
        return true;
    }

    bool Advance(Func<int, bool> matches)
    {
        var next = new List<int[]>();
        foreach (var s in _stacks)
        {
            if (s.Length == 0 || !matches(_g.Elements[s[^1]])) continue;
            var moved = (int[])s.Clone();
            moved[^1]++;
            Expand(moved, next);
        }
        if (next.Count == 0) return false;
        _stacks = next.DistinctBy(s => string.Join(",", s)).ToList();
        return true;
    }

    // rewrites the stack until its top is a terminal (or it is empty), following every alternative
    void Expand(int[] stack, List<int[]> output)
    {
        if (stack.Length == 0) { output.Add(stack); return; }
        int pos = stack[^1], e = _g.Elements[pos];
        switch (Grammar.Kind(e))
        {
            case Grammar.End:
                Expand(stack[..^1], output); // the parent already points past its rule reference
                break;
            case Grammar.Rule:
                foreach (int alt in _g.Alternatives[Grammar.Value(e)])
                {
                    var pushed = new int[stack.Length + 1];
                    stack.CopyTo(pushed, 0);
                    pushed[^2] = pos + 1;  // continue after the reference once the rule is matched
                    pushed[^1] = alt;
                    Expand(pushed, output);
                }
                break;
            default:
                output.Add(stack);
                break;
        }
    }
}
