// Multi-digit arithmetic: a + b and a − b with up to 4-digit operands (differences may be negative), a × b with up to
// 3-digit × 2-digit operands. The trace is school arithmetic written so every step is local: digit by digit from
// the right, each line naming the carry/borrow, the digits done and the numbers left; multiplication as one row per
// digit of the multiplier (a one-line Columns row), then their sum.
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
                AddRows(sb, p.A, p.B);
                break;
            case '-':
                long big = p.A, small = p.B;
                if (p.A < p.B)
                {
                    (big, small) = (p.B, p.A);
                    sb.Append($"{p.A} is less than {p.B}, so compute {big} - {small} and make it negative.\n");
                }
                SubRows(sb, big, small);
                if (p.A < p.B) sb.Append($"{big} - {small} = {big - small}, so the result is {p.Result}.\n");
                break;
            default:
                Multiply(sb, p.A, p.B);
                break;
        }
        sb.Append($"So {p.A} {p.Op} {p.B} = {p.Result}.");
        return new Trace(sb.ToString(), p.Result.ToString());
    }

    // Every step of these traces reads only what the line above wrote: the last digit of each number still "left",
    // the carry, and the digits "done" so far (the new digit goes in front). No step has to count positions in the
    // prompt, which is what a tiny model gets wrong (the 2026-11-25 run's column traces: 0.33 pass@1 after the cold
    // start). A line per digit: "7+3+1=11, carry 1. Done 12, left 93 + 0."

    /// <summary>a + b digit by digit from the right, until nothing is left and the carry is 0.</summary>
    internal static void AddRows(StringBuilder sb, long a, long b)
    {
        sb.Append($"{a} + {b} from the right.\n");
        string done = "";
        int carry = 0;
        do
        {
            int s = (int)(a % 10 + b % 10) + carry;
            done = (s % 10) + done;
            sb.Append($"{a % 10}+{b % 10}+{carry}={s}, carry {s / 10}. ");
            a /= 10; b /= 10; carry = s / 10;
            sb.Append($"Done {done}, left {a} + {b}.\n");
        } while (a > 0 || b > 0 || carry > 0);
        StripZeros(sb, done);
    }

    /// <summary>big − small (big ≥ small ≥ 0) digit by digit from the right, borrowing, until nothing is left.</summary>
    internal static void SubRows(StringBuilder sb, long big, long small)
    {
        sb.Append($"{big} - {small} from the right.\n");
        string done = "";
        int borrow = 0;
        do
        {
            int top = (int)(big % 10), sub = (int)(small % 10), x = top - sub - borrow;
            if (x >= 0) sb.Append($"{top}-{sub}-{borrow}={x}, borrow 0. ");
            else sb.Append($"{top}-{sub}-{borrow} is below 0, so {top + 10}-{sub}-{borrow}={x + 10}, borrow 1. ");
            done = ((x + 10) % 10) + done;
            big /= 10; small /= 10; borrow = x < 0 ? 1 : 0;
            sb.Append($"Done {done}, left {big} - {small}.\n");
        } while (big > 0 || small > 0);
        StripZeros(sb, done);
    }

    /// <summary>a × d for one digit d, from the right: "2*4+2=10, carry 1. Done 04, left 5."</summary>
    internal static void RowProduct(StringBuilder sb, long a, int d)
    {
        sb.Append($"{a} * {d} from the right.\n");
        string done = "";
        int carry = 0;
        do
        {
            int p = (int)(a % 10) * d + carry;
            done = (p % 10) + done;
            sb.Append($"{a % 10}*{d}+{carry}={p}, carry {p / 10}. ");
            a /= 10; carry = p / 10;
            sb.Append($"Done {done}, left {a}.\n");
        } while (a > 0 || carry > 0);
        StripZeros(sb, done);
    }

    static void StripZeros(StringBuilder sb, string done)
    {
        var trimmed = done.TrimStart('0');
        if (trimmed.Length == 0) trimmed = "0";
        if (trimmed != done) sb.Append($"Drop the leading zeros: {trimmed}.\n");
    }

    /// <summary>
    /// a × b (b ≤ 2 digits) by one procedure whatever the operands: list b's digits from the right, one row a × digit
    /// per digit in <see cref="Columns"/> form (the tens row shifted by a 0), then the rows' sum digit by digit.
    /// No branch on zeros or on which factor is shorter: the run-2 traces had six openings, and the model picked the
    /// wrong one for every two-digit multiplier (docs/R1-RECIPE.md §9).
    /// </summary>
    static void Multiply(StringBuilder sb, long a, long b)
    {
        if (b >= 100) throw new ArgumentException($"the trace multiplies by at most two digits, not {b}");
        int ones = (int)(b % 10), tens = (int)(b / 10);
        if (b < 10)
        {
            sb.Append($"{a} * {b}, digits of {b} from the right: {ones}.\n");
            sb.Append($"{Columns.Row(a, ones)}.\n");
            return;
        }
        sb.Append($"{a} * {b}, digits of {b} from the right: {ones}, {tens}.\n");
        sb.Append($"{Columns.Row(a, ones)}.\n");
        sb.Append($"{Columns.Row(a, tens)}, shifted {a * tens * 10}.\n");
        AddRows(sb, a * ones, a * tens * 10);
    }
}
