// Small whole-number arithmetic written out column by column on one line, so that every step a tiny model takes is a
// single-digit fact: "96 + 65: 6+5=11, 9+6+1=16, so 161". Used inside the Countdown search, where a one-step
// "96 + 65 = 161" was the model's main source of errors (docs/R1-RECIPE.md §9).
//   a + b    from the right: "d+e=r" for the ones, then "d+e+c=r" (c the carry, shorter number padded with 0);
//            the result is the last column's sum followed by the ones digits of the earlier columns, right to left.
//   a − b    (a ≥ b) from the right: "d-e=r", then "d-c-e=r" (c the borrow); a column below 0 says so and borrows:
//            "2-5<0, 12-5=7"; the result is the column digits, right to left, without leading zeros.
//   a × s    (s one digit) from the right over the other factor: "d*s=r", then "d*s+c=r"; read like the sum.
//   a ÷ s    (s one digit) from the left: "9/8=1 r1, 16/8=2 r0"; the quotient digits without leading zeros, or
//            "not whole" when the last remainder is not 0 (Divide).
//   anything else (both factors or the divisor ≥ 10) in one step: "12 * 15 = 180".

namespace SharpSeek.Reasoning.Tasks;

public static class Columns
{
    /// <summary>"a op b: columns, so v" (or "a op b = v" in one step) and its value. Throws where the trace would lie.</summary>
    public static (string Text, long Value) Work(long a, char op, long b)
    {
        if (a < 0 || b < 0) throw new ArgumentException($"columns take whole numbers, not {a} {op} {b}");
        return op switch
        {
            '+' => ($"{a} + {b}: {Add(a, b)}, so {a + b}", a + b),
            '-' when a >= b => ($"{a} - {b}: {Sub(a, b)}, so {a - b}", a - b),
            '*' when Math.Min(a, b) <= 9 => ($"{a} * {b}: {Mul(Math.Max(a, b), Math.Min(a, b))}, so {a * b}", a * b),
            '*' => ($"{a} * {b} = {a * b}", a * b),
            '/' when b is >= 2 and <= 9 && a % b == 0 => ($"{a} / {b}: {Div(a, b)}, so {a / b}", a / b),
            '/' when b > 0 && a % b == 0 => ($"{a} / {b} = {a / b}", a / b),
            _ => throw new ArgumentException($"{a} {op} {b} is not a whole-number step"),
        };
    }

    /// <summary>
    /// "a / s: columns, so q" when the last remainder is 0, else "a / s: columns, not whole" (null): the search's
    /// divisibility decision read off the last column, for a one-digit divisor s.
    /// </summary>
    public static (string Text, long? Value) Divide(long a, long s)
    {
        if (a < 0 || s is < 2 or > 9) throw new ArgumentException($"column division takes a whole number and a divisor 2–9, not {a} / {s}");
        return a % s == 0 ? ($"{a} / {s}: {Div(a, s)}, so {a / s}", a / s) : ($"{a} / {s}: {Div(a, s)}, not whole", null);
    }

    /// <summary>"a * d: columns over a's digits, so a·d" for one digit d (a multiplication row; a may be shorter than d).</summary>
    public static string Row(long a, int d)
    {
        if (a < 0 || d is < 0 or > 9) throw new ArgumentException($"a row multiplies a whole number by one digit, not {a} * {d}");
        return $"{a} * {d}: {Mul(a, d)}, so {a * d}";
    }

    static int[] Digits(long x) => x.ToString().Reverse().Select(c => c - '0').ToArray();   // ones first
    static int At(int[] d, int i) => i < d.Length ? d[i] : 0;

    static string Add(long a, long b)
    {
        int[] x = Digits(a), y = Digits(b);
        var cols = new List<string>();
        int carry = 0;
        for (int i = 0; i < Math.Max(x.Length, y.Length); i++)
        {
            int s = At(x, i) + At(y, i) + carry;
            cols.Add(i == 0 ? $"{At(x, i)}+{At(y, i)}={s}" : $"{At(x, i)}+{At(y, i)}+{carry}={s}");
            carry = s / 10;
        }
        return string.Join(", ", cols);
    }

    static string Sub(long a, long b)
    {
        int[] x = Digits(a), y = Digits(b);
        var cols = new List<string>();
        int borrow = 0;
        for (int i = 0; i < x.Length; i++)
        {
            string lhs = i == 0 ? $"{x[i]}-{At(y, i)}" : $"{x[i]}-{borrow}-{At(y, i)}";
            int r = x[i] - borrow - At(y, i);
            borrow = r < 0 ? 1 : 0;
            cols.Add(r < 0 ? $"{lhs}<0, 1{lhs}={r + 10}" : $"{lhs}={r}");
        }
        return string.Join(", ", cols);
    }

    static string Mul(long a, long s)
    {
        int[] x = Digits(a);
        var cols = new List<string>();
        long carry = 0;
        for (int i = 0; i < x.Length; i++)
        {
            long r = x[i] * s + carry;
            cols.Add(i == 0 ? $"{x[i]}*{s}={r}" : $"{x[i]}*{s}+{carry}={r}");
            carry = r / 10;
        }
        return string.Join(", ", cols);
    }

    static string Div(long a, long s)
    {
        var cols = new List<string>();
        long rem = 0;
        foreach (char c in a.ToString())
        {
            long part = rem * 10 + (c - '0');
            cols.Add($"{part}/{s}={part / s} r{part % s}");
            rem = part % s;
        }
        return string.Join(", ", cols);
    }
}
