// Grammar expressions, composed in code and compiled by GrammarBuilder.Build:
//   Expr.Seq(Expr.Token(callBegin), Expr.Literal("function"), Expr.Optional(Expr.Class(" \n")), builder.JsonValue(schema))
// Byte classes are over bytes, not characters: Literal is the UTF-8 of its text, Class/Range name byte values.
using System.Text;

namespace SharpSeek.Engine.Constrained;

public abstract class Expr
{
    /// <summary>The UTF-8 bytes of <paramref name="text"/>, in order.</summary>
    public static Expr Literal(string text) => new LiteralExpr(Encoding.UTF8.GetBytes(text));

    /// <summary>One byte in [lo, hi].</summary>
    public static Expr Range(byte lo, byte hi)
    {
        var set = new ulong[4];
        for (int b = lo; b <= hi; b++) set[b >> 6] |= 1UL << (b & 63);
        return new SetExpr(set);
    }

    /// <summary>One byte of a class written like a regex class body ("a-zA-Z_", chars ≤ U+00FF as bytes); negate = any other byte.</summary>
    public static Expr Class(string spec, bool negate = false)
    {
        var set = new ulong[4];
        for (int i = 0; i < spec.Length; i++)
        {
            int lo = spec[i], hi = lo;
            if (i + 2 < spec.Length && spec[i + 1] == '-') { hi = spec[i + 2]; i += 2; }
            if (hi > 0xFF || lo > hi) throw new ArgumentException($"byte class '{spec}': '{(char)lo}'-'{(char)hi}' is not a byte range");
            for (int b = lo; b <= hi; b++) set[b >> 6] |= 1UL << (b & 63);
        }
        if (negate) for (int w = 0; w < 4; w++) set[w] = ~set[w];
        return new SetExpr(set);
    }

    /// <summary>Exactly the token <paramref name="id"/> (an added/special token the model must emit as itself).</summary>
    public static Expr Token(int id) => id is >= 0 and <= Grammar.ValueMask ? new TokenExpr(id) : throw new ArgumentOutOfRangeException(nameof(id));

    public static Expr Seq(params Expr[] items) => items.Length == 1 ? items[0] : new SeqExpr(items);

    public static Expr Choice(params Expr[] alternatives) =>
        alternatives.Length == 0 ? throw new ArgumentException("a choice needs at least one alternative")
        : alternatives.Length == 1 ? alternatives[0] : new ChoiceExpr(alternatives);

    public static Expr Optional(Expr item) => Repeat(item, 0, 1);
    public static Expr Star(Expr item) => Repeat(item, 0, -1);
    public static Expr Plus(Expr item) => Repeat(item, 1, -1);

    /// <summary>min..max copies of <paramref name="item"/>; max = -1 for no bound.</summary>
    public static Expr Repeat(Expr item, int min, int max) =>
        min < 0 || (max >= 0 && max < min) ? throw new ArgumentException($"bad repeat bounds {{{min},{max}}}")
        : min == 1 && max == 1 ? item : new RepeatExpr(item, min, max);

    public static Expr Empty { get; } = new SeqExpr([]);
}

sealed class LiteralExpr(byte[] bytes) : Expr { public readonly byte[] Bytes = bytes; }
sealed class SetExpr(ulong[] set) : Expr { public readonly ulong[] Set = set; }
sealed class TokenExpr(int id) : Expr { public readonly int Id = id; }
sealed class SeqExpr(Expr[] items) : Expr { public readonly Expr[] Items = items; }
sealed class ChoiceExpr(Expr[] alternatives) : Expr { public readonly Expr[] Alternatives = alternatives; }
sealed class RepeatExpr(Expr item, int min, int max) : Expr { public readonly Expr Item = item; public readonly int Min = min, Max = max; }

/// <summary>A named rule of a GrammarBuilder; usable before it is defined, so rules can be recursive.</summary>
public sealed class RuleExpr : Expr
{
    internal readonly GrammarBuilder Owner;
    internal readonly int Index;
    public string Name { get; }
    internal RuleExpr(GrammarBuilder owner, int index, string name) { Owner = owner; Index = index; Name = name; }
}
