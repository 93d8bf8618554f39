// Exact rational numbers (BigInteger numerator / positive denominator, always reduced) for the verifiers:
// Countdown's ÷ may leave fractions mid-expression, and "0.5", "1/2" and ".50" must compare equal.
using System.Globalization;
using System.Numerics;

namespace SharpSeek.Reasoning;

public readonly record struct Rational
{
    public BigInteger Num { get; }
    public BigInteger Den { get; }      // > 0

    public Rational(BigInteger num, BigInteger den)
    {
        if (den.IsZero) throw new DivideByZeroException();
        if (den.Sign < 0) { num = -num; den = -den; }
        var g = BigInteger.GreatestCommonDivisor(num, den);
        if (!g.IsOne && !g.IsZero) { num /= g; den /= g; }
        Num = num;
        Den = num.IsZero ? BigInteger.One : den;
    }

    public static implicit operator Rational(long n) => new(n, 1);
    public static Rational operator +(Rational a, Rational b) => new(a.Num * b.Den + b.Num * a.Den, a.Den * b.Den);
    public static Rational operator -(Rational a, Rational b) => new(a.Num * b.Den - b.Num * a.Den, a.Den * b.Den);
    public static Rational operator *(Rational a, Rational b) => new(a.Num * b.Num, a.Den * b.Den);
    /// <summary>Throws DivideByZeroException when b is 0 (callers turn it into "invalid").</summary>
    public static Rational operator /(Rational a, Rational b) => new(a.Num * b.Den, a.Den * b.Num);
    public static Rational operator -(Rational a) => new(-a.Num, a.Den);

    public bool IsZero => Num.IsZero;
    public bool IsInteger => Den.IsOne;
    public int Sign => Num.Sign;

    public override string ToString() => Den.IsOne ? Num.ToString(CultureInfo.InvariantCulture) : $"{Num}/{Den}";

    /// <summary>
    /// Parses a plain number: "42", "-7", "+3", "1,234" (thousands groups), "3.50", ".5", "-7/3". Returns false for
    /// anything else (words, units, several numbers), never throws.
    /// </summary>
    public static bool TryParse(string? text, out Rational value)
    {
        value = default;
        if (text is null) return false;
        var s = text.Trim().Replace('−', '-');
        if (s.Length == 0 || s.Length > 200) return false;
        int slash = s.IndexOf('/');
        if (slash >= 0)
        {
            if (!TryParseDecimal(s[..slash].Trim(), out var n) || !TryParseDecimal(s[(slash + 1)..].Trim(), out var d) || d.IsZero) return false;
            value = n / d;
            return true;
        }
        return TryParseDecimal(s, out value);
    }

    static bool TryParseDecimal(string s, out Rational value)
    {
        value = default;
        if (s.Length == 0) return false;
        bool neg = false;
        int i = 0;
        if (s[0] is '-' or '+') { neg = s[0] == '-'; i = 1; }
        var body = s[i..];
        if (body.Contains(','))
        {
            // thousands separators only in the integer part, in groups of three: 1,234,567
            int dot = body.IndexOf('.');
            var intPart = dot >= 0 ? body[..dot] : body;
            var groups = intPart.Split(',');
            if (groups[0].Length is < 1 or > 3 || groups.Skip(1).Any(g => g.Length != 3)) return false;
            body = string.Concat(groups) + (dot >= 0 ? body[dot..] : "");
        }
        int point = body.IndexOf('.');
        var whole = point >= 0 ? body[..point] : body;
        var frac = point >= 0 ? body[(point + 1)..] : "";
        if (whole.Length + frac.Length == 0) return false;
        foreach (var c in whole) if (c is < '0' or > '9') return false;
        foreach (var c in frac) if (c is < '0' or > '9') return false;
        var num = BigInteger.Parse(whole + frac == "" ? "0" : whole + frac, CultureInfo.InvariantCulture);
        var den = BigInteger.Pow(10, frac.Length);
        value = new Rational(neg ? -num : num, den);
        return true;
    }
}
