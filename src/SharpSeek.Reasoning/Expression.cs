// A small arithmetic-expression parser and exact evaluator for model output: integers, + − × ÷ (also * / and the
// Unicode forms), parentheses; optional unary minus. It never throws on garbage: every failure is a result with a
// reason. Length and nesting are bounded so hostile input cannot overflow the stack or run long.
using System.Numerics;

namespace SharpSeek.Reasoning;

/// <summary>Value is set when the expression parsed and evaluated; otherwise Error says why.</summary>
public sealed record ExpressionResult(Rational? Value, IReadOnlyList<BigInteger> Literals, string? Error)
{
    public bool Ok => Value is not null;
}

public static class Expression
{
    public const int MaxLength = 256;
    public const int MaxDepth = 32;

    public static ExpressionResult Evaluate(string? text, bool allowUnaryMinus = false)
    {
        if (text is null) return Fail("no expression");
        if (text.Length > MaxLength) return Fail($"expression longer than {MaxLength} characters");
        var p = new Parser(text, allowUnaryMinus);
        try
        {
            p.SkipSpace();
            if (p.AtEnd) return Fail("empty expression");
            var v = p.Sum(0);
            p.SkipSpace();
            if (!p.AtEnd) return Fail($"unexpected '{text[p.Pos]}' at {p.Pos}");
            return new ExpressionResult(v, p.Literals, null);
        }
        catch (ParseError e) { return Fail(e.Message); }
        catch (DivideByZeroException) { return Fail("division by zero"); }

        static ExpressionResult Fail(string why) => new(null, [], why);
    }

    sealed class ParseError(string message) : Exception(message);

    sealed class Parser(string s, bool unary)
    {
        public int Pos;
        public readonly List<BigInteger> Literals = [];
        public bool AtEnd => Pos >= s.Length;

        public void SkipSpace() { while (Pos < s.Length && char.IsWhiteSpace(s[Pos])) Pos++; }

        char Peek() { SkipSpace(); return Pos < s.Length ? s[Pos] : '\0'; }

        static char Op(char c) => c switch
        {
            '+' => '+',
            '-' or '−' or '–' => '-',
            '*' or '×' or '·' or '⋅' => '*',
            '/' or '÷' or ':' => '/',
            _ => '\0',
        };

        public Rational Sum(int depth)
        {
            var v = Product(depth);
            while (Op(Peek()) is var op && op is '+' or '-')
            {
                Pos++;
                var r = Product(depth);
                v = op == '+' ? v + r : v - r;
            }
            return v;
        }

        Rational Product(int depth)
        {
            var v = Atom(depth);
            while (Op(Peek()) is var op && op is '*' or '/')
            {
                Pos++;
                var r = Atom(depth);
                v = op == '*' ? v * r : v / r;
            }
            return v;
        }

        Rational Atom(int depth)
        {
            if (depth > MaxDepth) throw new ParseError($"nested deeper than {MaxDepth}");
            char c = Peek();
            if (c == '(' || c == '[')
            {
                char close = c == '(' ? ')' : ']';
                Pos++;
                var v = Sum(depth + 1);
                if (Peek() != close) throw new ParseError(AtEnd ? $"missing '{close}'" : $"expected '{close}' at {Pos}, found '{s[Pos]}'");
                Pos++;
                return v;
            }
            if (Op(c) == '-')
            {
                if (!unary) throw new ParseError($"unary minus at {Pos} (only binary operations are allowed)");
                Pos++;
                return -Atom(depth + 1);
            }
            if (c is >= '0' and <= '9')
            {
                int start = Pos;
                while (Pos < s.Length && s[Pos] is >= '0' and <= '9') Pos++;
                if (Pos < s.Length && s[Pos] == '.') throw new ParseError($"decimal number at {start} (only whole numbers)");
                var n = BigInteger.Parse(s.AsSpan(start, Pos - start));
                Literals.Add(n);
                return new Rational(n, 1);
            }
            if (c == '\0') throw new ParseError("expression ends where a number was expected");
            throw new ParseError($"unexpected '{c}' at {Pos}");
        }
    }
}
