// Where a sequence stands in a Grammar: a state of the shared Automaton. Advancing and cloning are O(1) once the
// transitions are known (a table lookup, no allocation). Not thread-safe: clones share the automaton's caches.
using System.Text;

namespace SharpSeek.Engine.Constrained;

public sealed class Recognizer
{
    internal Automaton Automaton { get; private set; }
    internal int State { get; private set; }

    public Recognizer(Grammar grammar) : this(new Automaton(grammar)) { }

    Recognizer(Automaton automaton) : this(automaton, automaton.Start) { }

    Recognizer(Automaton automaton, int state) { Automaton = automaton; State = state; }

    public Grammar Grammar => Automaton.Grammar;

    /// <summary>The input so far is a complete sentence of the grammar.</summary>
    public bool IsComplete => Automaton.IsAccepting(State);

    /// <summary>Some continuation (byte or token) is still possible.</summary>
    public bool CanContinue => Automaton.CanContinue(State);

    /// <summary>Special-token ids the grammar accepts next.</summary>
    public ReadOnlySpan<int> NextTokens => Automaton.Tokens(State);

    public Recognizer Clone() => new(Automaton, State);

    /// <summary>Advances by one byte; false (state unchanged) if the grammar rejects it.</summary>
    public bool AcceptByte(byte b)
    {
        int next = Automaton.Step(State, b);
        if (next == Automaton.Dead) return false;
        State = next;
        return true;
    }

    /// <summary>Advances by all of <paramref name="bytes"/>, or (returning false) not at all.</summary>
    public bool AcceptBytes(ReadOnlySpan<byte> bytes)
    {
        int s = State;
        foreach (byte b in bytes)
            if ((s = Automaton.Step(s, b)) == Automaton.Dead) return false;
        State = s;
        return true;
    }

    public bool AcceptString(string text) => AcceptBytes(Encoding.UTF8.GetBytes(text));

    /// <summary>Advances by a special-token terminal; false (state unchanged) if the grammar does not expect it.</summary>
    public bool AcceptToken(int id)
    {
        int next = Automaton.StepToken(State, id);
        if (next == Automaton.Dead) return false;
        State = next;
        return true;
    }

    internal void MoveTo(int state) => State = state;

    /// <summary>Moves this recognizer (not its clones) to a fresh automaton holding only its current state, when the shared one has grown past <paramref name="maxStates"/>.</summary>
    internal bool Compact(int maxStates)
    {
        if (Automaton.StateCount <= maxStates) return false;
        var fresh = new Automaton(Grammar);
        State = fresh.Import(Automaton, State);
        Automaton = fresh;
        return true;
    }

    /// <summary>True when <paramref name="text"/> is a complete sentence of <paramref name="grammar"/>.</summary>
    public static bool Matches(Grammar grammar, string text)
    {
        var r = new Recognizer(grammar);
        return r.AcceptString(text) && r.IsComplete;
    }
}
