// Linear equations a·x + b = c with an integer solution (a in ±1..9, x in −20..20, b in −50..50). The trace isolates
// x in two steps and checks by substitution.
using System.Text;

namespace SharpSeek.Reasoning.Tasks;

public sealed record LinearProblem(int A, int B, int C) : Problem("linear", $"Solve for x: {Equation(A, B, C)}.", ((C - B) / A).ToString())
{
    public int X => (C - B) / A;

    public override string Key => $"linear:{A},{B},{C}";

    /// <summary>Accepts "5", "x = 5", "x=5", "\boxed{5}".</summary>
    public override bool Check(string answer) => Answers.Number(answer, "x") is { } v && v == X;

    public override string? VoteKey(string answer) => Answers.Number(answer, "x")?.ToString();

    public static string Equation(int a, int b, int c)
    {
        string ax = a switch { 1 => "x", -1 => "-x", _ => $"{a}x" };
        string bs = b switch { > 0 => $" + {b}", < 0 => $" - {-b}", _ => "" };
        return $"{ax}{bs} = {c}";
    }
}

public sealed class LinearTask(int maxA = 9, int maxX = 20, int maxB = 50) : ReasoningTask
{
    public override string Name => "linear";

    public override Problem Draw(DetRandom rng)
    {
        int a = rng.Next(1, maxA) * (rng.Next(0, 1) == 0 ? 1 : -1);
        int x = rng.Next(-maxX, maxX), b = rng.Next(-maxB, maxB);
        return new LinearProblem(a, b, a * x + b);
    }

    public override Trace Think(Problem problem, DetRandom rng)
    {
        var p = (LinearProblem)problem;
        int rhs = p.C - p.B;
        string ax = p.A switch { 1 => "x", -1 => "-x", _ => $"{p.A}x" };
        var sb = new StringBuilder(LinearProblem.Equation(p.A, p.B, p.C)).Append('\n');
        if (p.B > 0) sb.Append($"Subtract {p.B} from both sides: {ax} = {p.C} - {p.B} = {rhs}.\n");
        if (p.B < 0) sb.Append($"Add {-p.B} to both sides: {ax} = {p.C} + {-p.B} = {rhs}.\n");
        if (p.A == -1) sb.Append($"Multiply both sides by -1: x = {-rhs}.\n");
        else if (p.A != 1) sb.Append($"Divide both sides by {p.A}: x = {rhs} / {P(p.A)} = {p.X}.\n");
        string bs = p.B switch { > 0 => $" + {p.B}", < 0 => $" - {-p.B}", _ => "" };
        sb.Append($"Check: {p.A} * {P(p.X)}{bs} = {p.C}.");
        return new Trace(sb.ToString(), p.X.ToString());

        static string P(int v) => v < 0 ? $"({v})" : v.ToString();
    }
}
