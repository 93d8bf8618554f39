// Order of operations: evaluate an integer expression of 3–4 numbers (1–20) with + − × ÷ and parentheses, every
// division exact and every intermediate at most 1000 in size. The trace rewrites the expression one operation at a
// time (innermost-leftmost first), which is exactly the evaluation order the precedence rules define.
using System.Text;

namespace SharpSeek.Reasoning.Tasks;

public sealed record EvaluateProblem(string Expression, long Value) : Problem("evaluate", $"Evaluate {Expression}.", Value.ToString())
{
    public override string Key => "evaluate:" + Expression;

    public override bool Check(string answer) => Answers.Number(answer) is { } v && v == Value;
}

public sealed class EvaluateTask(int minOperands = 3, int maxOperands = 4, int maxNumber = 20, long maxMagnitude = 1000) : ReasoningTask
{
    public override string Name => "evaluate";

    /// <summary>A binary expression tree; a leaf has Op '\0'.</summary>
    internal sealed record Node(char Op, long Leaf, Node? L, Node? R)
    {
        public bool IsLeaf => Op == '\0';
        public int Prec => IsLeaf ? 3 : Op is '+' or '-' ? 1 : 2;
        public long Value => IsLeaf ? Leaf : Op switch { '+' => L!.Value + R!.Value, '-' => L!.Value - R!.Value, '*' => L!.Value * R!.Value, _ => L!.Value / R!.Value };

        public override string ToString()
        {
            if (IsLeaf) return Leaf < 0 ? $"({Leaf})" : Leaf.ToString();
            string l = L!.Prec < Prec ? $"({L})" : L!.ToString();
            string r = R!.Prec < Prec || (R.Prec == Prec && Op is '-' or '/') ? $"({R})" : R.ToString();
            return $"{l} {Op} {r}";
        }
    }

    public override Problem Draw(DetRandom rng)
    {
        while (true)
        {
            var tree = Build(rng, rng.Next(minOperands, maxOperands));
            if (tree is not null) return new EvaluateProblem(tree.ToString(), tree.Value);
        }
    }

    /// <summary>A random tree over n leaves, or null when a division is inexact or a value leaves the range.</summary>
    Node? Build(DetRandom rng, int n)
    {
        if (n == 1) return new Node('\0', rng.Next(1, maxNumber), null, null);
        int k = rng.Next(1, n - 1);
        var l = Build(rng, k);
        var r = Build(rng, n - k);
        if (l is null || r is null) return null;
        char op = "+-*/"[rng.Next(0, 3)];
        long a = l.Value, b = r.Value;
        if (op == '/' && (b == 0 || a % b != 0 || b == 1)) return null;
        var node = new Node(op, 0, l, r);
        return Math.Abs(node.Value) > maxMagnitude ? null : node;
    }

    internal static Node Parse(string text)
    {
        // the generator's own output only: numbers, binary + - * /, parentheses, "(-7)" for negative leaves
        int pos = 0;
        Node Sum() { var v = Product(); while (Peek() is '+' or '-') { char op = text[pos++]; v = new Node(op, 0, v, Product()); } return v; }
        Node Product() { var v = Atom(); while (Peek() is '*' or '/') { char op = text[pos++]; v = new Node(op, 0, v, Atom()); } return v; }
        Node Atom()
        {
            if (Peek() == '(')
            {
                pos++;
                Node v;
                if (Peek() == '-') { pos++; v = new Node('\0', -Number(), null, null); }
                else v = Sum();
                Peek(); pos++;                                     // ')'
                return v;
            }
            return new Node('\0', Number(), null, null);
        }
        long Number() { Peek(); int s = pos; while (pos < text.Length && char.IsAsciiDigit(text[pos])) pos++; return long.Parse(text.AsSpan(s, pos - s)); }
        char Peek() { while (pos < text.Length && text[pos] == ' ') pos++; return pos < text.Length ? text[pos] : '\0'; }
        return Sum();
    }

    /// <summary>Collapses the leftmost operation whose operands are both numbers.</summary>
    static Node Step(Node n)
    {
        if (n.IsLeaf) return n;
        if (n.L!.IsLeaf && n.R!.IsLeaf) return new Node('\0', n.Value, null, null);
        return !n.L.IsLeaf ? n with { L = Step(n.L) } : n with { R = Step(n.R!) };
    }

    public override Trace Think(Problem problem, DetRandom rng)
    {
        var p = (EvaluateProblem)problem;
        var tree = Parse(p.Expression);
        var sb = new StringBuilder(p.Expression);
        while (!tree.IsLeaf)
        {
            tree = Step(tree);
            sb.Append("\n= ").Append(tree.IsLeaf ? tree.Leaf.ToString() : tree.ToString());
        }
        return new Trace(sb.ToString(), p.Value.ToString());
    }
}
