// Multi-digit arithmetic: a + b and a − b with up to 4-digit operands (differences may be negative), a × b with up to
// 3-digit × 2-digit operands. The cold-start trace is school column arithmetic: digit by digit with carries/borrows,
// multiplication as partial products then their sum.
using System.Text;

namespace SharpSeek.Reasoning.Tasks;

public sealed record ArithmeticProblem(long A, char Op, long B) : Problem("arithmetic", $"Compute {A} {Op} {B}.", Value(A, Op, B).ToString())
{
    public long Result => Value(A, Op, B);

    /// <summary>+ and × are commutative: "add:379,4821" is both 379 + 4821 and 4821 + 379.</summary>
    public override string Key => Op switch
    {
        '+' => $"add:{Math.Min(A, B)},{Math.Max(A, B)}",
        '*' => $"mul:{Math.Min(A, B)},{Math.Max(A, B)}",
        _ => $"sub:{A},{B}",
    };

    public override bool Check(string answer) => Answers.Number(answer) is { } v && v == Result;

    static long Value(long a, char op, long b) => op switch { '+' => a + b, '-' => a - b, '*' => a * b, _ => throw new ArgumentException($"unknown operator {op}") };
}

public sealed class ArithmeticTask(string ops = "+-*", int maxAddDigits = 4, int maxMulDigitsA = 3, int maxMulDigitsB = 2) : ReasoningTask
{
    public override string Name => ops == "+-*" ? "arithmetic" : "arithmetic" + ops;

    public override Problem Draw(DetRandom rng)
    {
        char op = ops[rng.Next(0, ops.Length - 1)];
        return op == '*'
            ? new ArithmeticProblem(Operand(rng, maxMulDigitsA), '*', Operand(rng, maxMulDigitsB))
            : new ArithmeticProblem(Operand(rng, maxAddDigits), op, Operand(rng, maxAddDigits));
    }

    /// <summary>A number whose digit count is uniform in 1..maxDigits (so short operands are as common as long ones).</summary>
    static long Operand(DetRandom rng, int maxDigits)
    {
        int d = rng.Next(1, maxDigits);
        int lo = d == 1 ? 0 : (int)Math.Pow(10, d - 1);
        return rng.Next(lo, (int)Math.Pow(10, d) - 1);
    }

    public override Trace Think(Problem problem, DetRandom rng)
    {
        var p = (ArithmeticProblem)problem;
        var sb = new StringBuilder();
        switch (p.Op)
        {
            case '+':
                sb.Append("Add column by column from the right.\n");
                foreach (var line in AddColumns(p.A, p.B)) sb.Append(line).Append('\n');
                break;
            case '-':
                long big = p.A, small = p.B;
                if (p.A < p.B)
                {
                    (big, small) = (p.B, p.A);
                    sb.Append($"{p.A} is less than {p.B}, so compute {big} - {small} and make it negative.\n");
                }
                sb.Append("Subtract column by column from the right.\n");
                foreach (var line in SubColumns(big, small)) sb.Append(line).Append('\n');
                if (p.A < p.B) sb.Append($"{big} - {small} = {big - small}, so the result is {p.Result}.\n");
                break;
            default:
                Multiply(sb, p.A, p.B);
                break;
        }
        sb.Append($"So {p.A} {p.Op} {p.B} = {p.Result}.");
        return new Trace(sb.ToString(), p.Result.ToString());
    }

    static int[] Digits(long n) => n.ToString().Reverse().Select(c => c - '0').ToArray();   // least significant first

    /// <summary>One line per column: "8 + 3 + 1 = 12, write 2, carry 1".</summary>
    internal static List<string> AddColumns(long a, long b)
    {
        var da = Digits(a); var db = Digits(b);
        var lines = new List<string>();
        int carry = 0, n = Math.Max(da.Length, db.Length);
        for (int i = 0; i < n; i++)
        {
            var terms = new List<int>();
            if (i < da.Length) terms.Add(da[i]);
            if (i < db.Length) terms.Add(db[i]);
            if (carry > 0) terms.Add(carry);
            int s = terms.Sum();
            if (terms.Count == 1) lines.Add($"bring down {s}");
            else lines.Add($"{string.Join(" + ", terms)} = {s}, write {s % 10}" + (s >= 10 ? ", carry 1" : ""));
            carry = s / 10;
        }
        if (carry > 0) lines.Add("write the carry 1");
        return lines;
    }

    /// <summary>big ≥ small ≥ 0. One line per column: "2 - 7 needs a borrow: 12 - 7 - 1 = 4, borrow 1".</summary>
    internal static List<string> SubColumns(long big, long small)
    {
        var da = Digits(big); var db = Digits(small);
        var lines = new List<string>();
        int borrow = 0;
        for (int i = 0; i < da.Length; i++)
        {
            int top = da[i], sub = i < db.Length ? db[i] : 0;
            int x = top - sub - borrow;
            string expr = i < db.Length ? $"{top} - {sub}" : $"{top}";
            if (borrow > 0) expr += " - 1";
            if (i >= db.Length && borrow == 0) { lines.Add($"bring down {top}"); continue; }
            if (x >= 0) { lines.Add($"{expr} = {x}, write {x}"); borrow = 0; }
            else
            {
                string borrowed = i < db.Length ? $"{top + 10} - {sub}" : $"{top + 10}";
                if (borrow > 0) borrowed += " - 1";
                lines.Add($"{expr} needs a borrow: {borrowed} = {x + 10}, write {x + 10}, borrow 1");
                borrow = 1;
            }
        }
        return lines;
    }

    /// <summary>"347 * 6: 7 * 6 = 42, write 2, carry 4; 4 * 6 + 4 = 28, write 8, carry 2; 3 * 6 + 2 = 20, write 20".</summary>
    internal static string RowProduct(long a, int d)
    {
        var da = Digits(a);
        var parts = new List<string>();
        int carry = 0;
        for (int i = 0; i < da.Length; i++)
        {
            int p = da[i] * d + carry;
            string expr = carry > 0 ? $"{da[i]} * {d} + {carry} = {p}" : $"{da[i]} * {d} = {p}";
            bool last = i == da.Length - 1;
            parts.Add(last ? $"{expr}, write {p}" : $"{expr}, write {p % 10}" + (p >= 10 ? $", carry {p / 10}" : ""));
            carry = p / 10;
        }
        return $"{a} * {d}: " + string.Join("; ", parts) + $". So {a} * {d} = {a * d}.";
    }

    static void Multiply(StringBuilder sb, long a, long b)
    {
        if (a < 10 && b < 10) { sb.Append($"{a} * {b} = {a * b}.\n"); return; }
        if (b < 10) { sb.Append(RowProduct(a, (int)b)).Append('\n'); return; }
        if (a < 10) { sb.Append($"Swap the factors: {a} * {b} = {b} * {a}.\n").Append(RowProduct(b, (int)a)).Append('\n'); return; }
        var db = Digits(b);                        // b has 2+ digits: one partial product per digit
        var partials = new List<long>();
        sb.Append($"Split {b} into " + string.Join(" + ", Enumerable.Range(0, db.Length).Reverse().Select(i => (db[i] * (long)Math.Pow(10, i)).ToString())) + ".\n");
        for (int i = 0; i < db.Length; i++)
        {
            long scale = (long)Math.Pow(10, i);
            if (db[i] == 0) { sb.Append($"{a} * 0 = 0.\n"); partials.Add(0); continue; }
            sb.Append(RowProduct(a, db[i]));
            if (scale > 1) sb.Append($" Then {a} * {db[i] * scale} = {a * db[i] * scale}.");
            sb.Append('\n');
            partials.Add(a * db[i] * scale);
        }
        long acc = partials[0];
        for (int i = 1; i < partials.Count; i++)
        {
            if (partials[i] == 0) continue;
            sb.Append($"Add {acc} + {partials[i]}: ").Append(string.Join("; ", AddColumns(acc, partials[i]))).Append($". So {acc + partials[i]}.\n");
            acc += partials[i];
        }
    }
}
