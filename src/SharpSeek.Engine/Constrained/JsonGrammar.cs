// JSON as a byte grammar (RFC 8259): the entry points for response_format, and the building blocks every schema
// shares. Whitespace between tokens is bounded — at most one space, or a newline and up to MaxIndent spaces/tabs —
// so a model cannot loop on it forever. Strings are valid UTF-8 without control characters, with JSON escapes
// (\uXXXX surrogates only as a high-low pair, so every string decodes to valid Unicode).
namespace SharpSeek.Engine.Constrained;

public static class JsonGrammar
{
    public const int MaxIndent = 32;
    /// <summary>Whitespace allowed before the root value (an R1 answer starts "\n\n" after "&lt;/think&gt;").</summary>
    public const int MaxLeadingWhitespace = 4;

    static readonly Lazy<Grammar> AnyObject = new(() => FromSchema("{\"type\":\"object\"}"));

    /// <summary>response_format {"type":"json_object"}: any JSON object (shared, immutable).</summary>
    public static Grammar Object() => AnyObject.Value;

    /// <summary>response_format {"type":"json_schema"}: a JSON value matching <paramref name="schema"/>.</summary>
    /// <exception cref="SchemaException">unsupported keyword or malformed schema, naming its path</exception>
    public static Grammar FromSchema(string schema)
    {
        var b = new GrammarBuilder();
        return b.Build(Document(b, b.JsonValue(schema)));
    }

    /// <summary>A whole JSON document: bounded whitespace, the value, bounded whitespace.</summary>
    public static Expr Document(GrammarBuilder b, Expr value) =>
        Expr.Seq(Expr.Repeat(Expr.Class(" \t\r\n"), 0, MaxLeadingWhitespace), value, Rules(b).Ws);

    internal static JsonRules Rules(GrammarBuilder b) => b.Json ??= new JsonRules(b);
}

/// <summary>The JSON rules of one builder; values are followed by nothing (callers add Ws where the syntax allows).</summary>
internal sealed class JsonRules
{
    public readonly RuleExpr Ws, Char, String, Integer, Number, Value, Object, Array;

    public JsonRules(GrammarBuilder b)
    {
        Ws = b.Rule("ws", Expr.Optional(Expr.Choice(Expr.Literal(" "),
            Expr.Seq(Expr.Literal("\n"), Expr.Repeat(Expr.Class(" \t"), 0, JsonGrammar.MaxIndent)))));

        var cont = Expr.Range(0x80, 0xBF);
        var hex = Expr.Class("0-9a-fA-F");
        Char = b.Rule("char", Expr.Choice(
            Expr.Choice(Expr.Range(0x20, 0x21), Expr.Range(0x23, 0x5B), Expr.Range(0x5D, 0x7F)), // ASCII but controls, " and \
            Expr.Seq(Expr.Literal("\\"), Expr.Choice(
                Expr.Class("\"\\/bfnrt"),
                Expr.Seq(Expr.Literal("u"), Expr.Class("0-9a-cA-Ce-fE-F"), hex, hex, hex),
                Expr.Seq(Expr.Literal("u"), Expr.Class("dD"), Expr.Class("0-7"), hex, hex),
                Expr.Seq(Expr.Literal("u"), Expr.Class("dD"), Expr.Class("89abAB"), hex, hex,           // surrogate pair
                         Expr.Literal("\\u"), Expr.Class("dD"), Expr.Class("c-fC-F"), hex, hex))),
            // UTF-8 multi-byte sequences without overlongs or surrogates (Unicode Table 3-7)
            Expr.Seq(Expr.Range(0xC2, 0xDF), cont),
            Expr.Seq(Expr.Range(0xE0, 0xE0), Expr.Range(0xA0, 0xBF), cont),
            Expr.Seq(Expr.Choice(Expr.Range(0xE1, 0xEC), Expr.Range(0xEE, 0xEF)), cont, cont),
            Expr.Seq(Expr.Range(0xED, 0xED), Expr.Range(0x80, 0x9F), cont),
            Expr.Seq(Expr.Range(0xF0, 0xF0), Expr.Range(0x90, 0xBF), cont, cont),
            Expr.Seq(Expr.Range(0xF1, 0xF3), cont, cont, cont),
            Expr.Seq(Expr.Range(0xF4, 0xF4), Expr.Range(0x80, 0x8F), cont, cont)));
        String = b.Rule("string", Expr.Seq(Expr.Literal("\""), Expr.Star(Char), Expr.Literal("\"")));
        b.AddTokenClass(Char);  // inside a string nearly every token is whole characters: one precomputed mask

        var digits = Expr.Star(Expr.Class("0-9"));
        Integer = b.Rule("integer", Expr.Seq(Expr.Optional(Expr.Literal("-")),
            Expr.Choice(Expr.Literal("0"), Expr.Seq(Expr.Class("1-9"), digits))));
        var oneDigitPlus = Expr.Seq(Expr.Class("0-9"), digits);
        Number = b.Rule("number", Expr.Seq(Integer,
            Expr.Optional(Expr.Seq(Expr.Literal("."), oneDigitPlus)),
            Expr.Optional(Expr.Seq(Expr.Class("eE"), Expr.Optional(Expr.Class("+-")), oneDigitPlus))));

        Value = b.Rule("value");
        Object = b.Rule("object", ObjectOf(String, Value));
        Array = b.Rule("array", ArrayOf(Value, 0, -1));
        b.Define(Value, Expr.Choice(Object, Array, String, Number, Expr.Literal("true"), Expr.Literal("false"), Expr.Literal("null")));
    }

    /// <summary>"{" then members "key : value" separated by commas, then "}"; any number of members.</summary>
    public Expr ObjectOf(Expr key, Expr value)
    {
        var member = Expr.Seq(key, Ws, Expr.Literal(":"), Ws, value, Ws);
        return Expr.Seq(Expr.Literal("{"), Ws, Expr.Choice(Expr.Literal("}"),
            Expr.Seq(member, Expr.Star(Expr.Seq(Expr.Literal(","), Ws, member)), Expr.Literal("}"))));
    }

    /// <summary>"[" then min..max items (max -1: unbounded) separated by commas, then "]".</summary>
    public Expr ArrayOf(Expr item, int min, int max)
    {
        var open = Expr.Seq(Expr.Literal("["), Ws);
        if (max == 0) return Expr.Seq(open, Expr.Literal("]"));
        var element = Expr.Seq(item, Ws);
        var more = Expr.Repeat(Expr.Seq(Expr.Literal(","), Ws, element), Math.Max(min - 1, 0), max < 0 ? -1 : max - 1);
        var items = Expr.Seq(element, more, Expr.Literal("]"));
        return Expr.Seq(open, min == 0 ? Expr.Choice(Expr.Literal("]"), items) : items);
    }

    /// <summary>A JSON string literal of min..max characters (code points; an escape counts as one).</summary>
    public Expr StringOf(int min, int max) => Expr.Seq(Expr.Literal("\""), Expr.Repeat(Char, min, max), Expr.Literal("\""));
}
