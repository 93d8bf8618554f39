// Countdown (the numbers game, as in TinyZero): reach the target with the given numbers and + − × ÷ and parentheses.
// Rule (TinyZero's): every given number is used EXACTLY once — its verifier compares the sorted list of numbers in the
// equation with the sorted list given. Only binary operations (no unary minus, no concatenating digits, no decimals);
// intermediate results may be negative or fractional: arithmetic is exact (Rational), so (1 + 2) / 3 = 1 exactly.
// The generator proves reachability: it enumerates every value the numbers can make, picks the target among them,
// and stores one witness expression as the reference answer.
using System.Text;

namespace SharpSeek.Reasoning.Tasks;

public sealed record CountdownProblem(IReadOnlyList<int> Numbers, int Target, string Witness)
    : Problem(Numbers.Count == 3 ? "countdown3" : "countdown4",
              $"Using the numbers {string.Join(", ", Numbers)}, make {Target}. Use + - * / and each number exactly once.", Witness)
{
    public override string Key => $"countdown:{string.Join(",", Numbers.Order())}={Target}";

    public override bool Check(string answer) => Countdown.Verify(Numbers, Target, answer).Correct;

    /// <summary>The expression without spaces and with ASCII operators (different correct expressions stay different votes).</summary>
    public override string? VoteKey(string answer)
    {
        var v = Countdown.Verify(Numbers, Target, answer);
        return v.Expression is null ? null : new string(v.Expression.Where(c => !char.IsWhiteSpace(c)).Select(c => c switch { '×' => '*', '÷' => '/', '−' => '-', _ => c }).ToArray());
    }
}

/// <summary>Correct, or why not (for logs and tests).</summary>
public sealed record CountdownVerdict(bool Correct, string Reason, string? Expression = null);

public static class Countdown
{
    /// <summary>
    /// Verifies an answer: an expression, optionally followed by "= target". Never throws: garbage, division by zero,
    /// numbers used twice or not at all, or a wrong value are verdicts with a reason.
    /// </summary>
    public static CountdownVerdict Verify(IReadOnlyList<int> numbers, int target, string? answer)
    {
        if (string.IsNullOrWhiteSpace(answer)) return new(false, "empty answer");
        var expr = answer.Trim();
        if (expr.Length > Expression.MaxLength) return new(false, "answer too long");
        int eq = expr.LastIndexOf('=');
        if (eq >= 0)
        {
            if (!Rational.TryParse(expr[(eq + 1)..], out var claimed) || claimed != target)
                return new(false, $"'{expr[(eq + 1)..].Trim()}' after '=' is not the target {target}");
            expr = expr[..eq].Trim();
        }
        var r = Expression.Evaluate(expr, allowUnaryMinus: false);
        if (!r.Ok) return new(false, r.Error!, expr);
        var used = r.Literals.Select(x => x.ToString()).Order(StringComparer.Ordinal).ToList();
        var given = numbers.Select(x => x.ToString()).Order(StringComparer.Ordinal).ToList();
        if (!used.SequenceEqual(given))
            return new(false, $"uses [{string.Join(", ", r.Literals)}]; each of [{string.Join(", ", numbers)}] must be used exactly once", expr);
        if (r.Value!.Value != target) return new(false, $"evaluates to {r.Value}, not {target}", expr);
        return new(true, "ok", expr);
    }
}

/// <summary>Exhaustive search over the values a list of numbers can make using each exactly once.</summary>
public static class CountdownSolver
{
    // exact small rationals for the search (operands ≤ 99, ≤ 4 numbers: numerators/denominators stay < 1e8, products < 1e17)
    readonly record struct Q(long N, long D)
    {
        public static Q Of(long n, long d)
        {
            if (d < 0) { n = -n; d = -d; }
            long g = Gcd(Math.Abs(n), d);
            return g > 1 ? new Q(n / g, d / g) : new Q(n, d);
        }
        static long Gcd(long a, long b) { while (b != 0) (a, b) = (b, a % b); return a == 0 ? 1 : a; }
        public override string ToString() => D == 1 ? N.ToString() : $"{N}/{D}";
    }

    /// <summary>An expression under construction: its value, text (minimal parentheses), precedence and steps so far.</summary>
    sealed record Node(Q Value, string Text, int Prec, IReadOnlyList<string> Steps, bool Tidy);
    // Tidy = every intermediate result is a non-negative integer (the narrative prefers such solutions)

    /// <summary>Every integer value reachable using all numbers exactly once.</summary>
    public static HashSet<long> ReachableIntegers(IReadOnlyList<int> numbers)
    {
        var set = new HashSet<long>();
        Values(numbers.Select(n => new Q(n, 1)).ToArray(), set);
        return set;
    }

    static void Values(Q[] xs, HashSet<long> found)
    {
        if (xs.Length == 1) { if (xs[0].D == 1) found.Add(xs[0].N); return; }
        var rest = new Q[xs.Length - 1];
        for (int i = 0; i < xs.Length; i++)
            for (int j = i + 1; j < xs.Length; j++)
            {
                int k = 0;
                for (int m = 0; m < xs.Length; m++) if (m != i && m != j) rest[k++] = xs[m];
                Q a = xs[i], b = xs[j];
                foreach (var q in Combine(a, b)) { rest[^1] = q; Values(rest, found); }
            }
    }

    static IEnumerable<Q> Combine(Q a, Q b)
    {
        yield return Q.Of(a.N * b.D + b.N * a.D, a.D * b.D);
        yield return Q.Of(a.N * b.D - b.N * a.D, a.D * b.D);
        yield return Q.Of(b.N * a.D - a.N * b.D, a.D * b.D);
        yield return Q.Of(a.N * b.N, a.D * b.D);
        if (b.N != 0) yield return Q.Of(a.N * b.D, a.D * b.N);
        if (a.N != 0) yield return Q.Of(b.N * a.D, b.D * a.N);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> solutions (expression text and the steps "a op b = c" in order), tidy ones first.
    /// </summary>
    public static List<(string Expression, IReadOnlyList<string> Steps)> Solve(IReadOnlyList<int> numbers, int target, int limit = 64)
    {
        var all = new List<Node>();
        Search(numbers.Select(n => new Node(new Q(n, 1), n.ToString(), 3, [], true)).ToList(), target, all, limit * 4);
        return all.OrderBy(n => n.Tidy ? 0 : 1).Take(limit).Select(n => (n.Text, n.Steps)).ToList();
    }

    static void Search(List<Node> xs, int target, List<Node> found, int limit)
    {
        if (found.Count >= limit) return;
        if (xs.Count == 1) { if (xs[0].Value == new Q(target, 1)) found.Add(xs[0]); return; }
        for (int i = 0; i < xs.Count; i++)
            for (int j = i + 1; j < xs.Count; j++)
            {
                var rest = xs.Where((_, m) => m != i && m != j).ToList();
                foreach (var (l, op, r) in new[] { (xs[i], '+', xs[j]), (xs[i], '-', xs[j]), (xs[j], '-', xs[i]), (xs[i], '*', xs[j]), (xs[i], '/', xs[j]), (xs[j], '/', xs[i]) })
                {
                    var node = Apply(l, op, r);
                    if (node is null) continue;
                    rest.Add(node);
                    Search(rest, target, found, limit);
                    rest.RemoveAt(rest.Count - 1);
                    if (found.Count >= limit) return;
                }
            }
    }

    static Node? Apply(Node l, char op, Node r)
    {
        Q a = l.Value, b = r.Value;
        Q v;
        switch (op)
        {
            case '+': v = Q.Of(a.N * b.D + b.N * a.D, a.D * b.D); break;
            case '-': v = Q.Of(a.N * b.D - b.N * a.D, a.D * b.D); break;
            case '*': v = Q.Of(a.N * b.N, a.D * b.D); break;
            default: if (b.N == 0) return null; v = Q.Of(a.N * b.D, a.D * b.N); break;
        }
        int prec = op is '+' or '-' ? 1 : 2;
        string lt = l.Prec < prec ? $"({l.Text})" : l.Text;
        string rt = r.Prec < prec || (r.Prec == prec && op is '-' or '/') ? $"({r.Text})" : r.Text;
        var steps = l.Steps.Concat(r.Steps).Append($"{a} {op} {b} = {v}").ToList();
        return new Node(v, $"{lt} {op} {rt}", prec, steps, l.Tidy && r.Tidy && v.D == 1 && v.N >= 0);
    }

    /// <summary>
    /// A random attempt that keeps intermediates whole and non-negative (the narrative's "Try …" lines): the steps and
    /// the final value.
    /// </summary>
    internal static (List<string> Steps, long Value) RandomAttempt(IReadOnlyList<int> numbers, DetRandom rng)
    {
        var xs = numbers.Select(n => (long)n).ToList();
        var steps = new List<string>();
        while (xs.Count > 1)
        {
            int i = rng.Next(0, xs.Count - 1), j = rng.Next(0, xs.Count - 2);
            if (j >= i) j++;
            long a = Math.Max(xs[i], xs[j]), b = Math.Min(xs[i], xs[j]);
            var options = new List<(char, long)> { ('+', a + b), ('-', a - b), ('*', a * b) };
            if (b != 0 && a % b == 0 && b != 1) options.Add(('/', a / b));
            var (op, v) = options[rng.Next(0, options.Count - 1)];
            steps.Add($"{a} {op} {b} = {v}");
            foreach (var idx in new[] { Math.Max(i, j), Math.Min(i, j) }) xs.RemoveAt(idx);
            xs.Add(v);
        }
        return (steps, xs[0]);
    }
}

/// <summary>Countdown with <paramref name="count"/> numbers in [1, maxNumber] and a reachable target in [minTarget, maxTarget].</summary>
public sealed class CountdownTask(int count = 3, int maxNumber = 99, int minTarget = 1, int maxTarget = 100, int maxFailedTries = 3) : ReasoningTask
{
    public override string Name => $"countdown{count}";

    public override Problem Draw(DetRandom rng)
    {
        Problem? p;
        do p = DrawFrom(rng, null); while (p is null);
        return p;
    }

    protected override Problem? DrawIn(DetRandom rng, Split split) => DrawFrom(rng, split);

    Problem? DrawFrom(DetRandom rng, Split? split)
    {
        var numbers = Enumerable.Range(0, count).Select(_ => rng.Next(1, maxNumber)).ToArray();
        var targets = CountdownSolver.ReachableIntegers(numbers).Where(t => t >= minTarget && t <= maxTarget).Order().ToList();
        if (split is Split s) targets = targets.Where(t => Splits.Of(Key(numbers, (int)t)) == s).ToList();
        if (targets.Count == 0) return null;
        int target = (int)rng.Pick(targets);
        var solutions = CountdownSolver.Solve(numbers, target, limit: 1);
        if (solutions.Count == 0) throw new InvalidOperationException($"solver disagrees with itself on {string.Join(",", numbers)} → {target}");
        return new CountdownProblem(numbers, target, solutions[0].Expression);
    }

    static string Key(int[] numbers, int target) => $"countdown:{string.Join(",", numbers.Order())}={target}";

    /// <summary>
    /// A short search: 0..maxFailedTries random attempts that miss, then one that reaches the target (a solver's
    /// solution, tidy ones preferred), the expression, and a check.
    /// </summary>
    public override Trace Think(Problem problem, DetRandom rng)
    {
        var p = (CountdownProblem)problem;
        if (p.Numbers.Count == 3 && SearchLast(p) is { } found) return found;
        var sb = new StringBuilder($"Target {p.Target} from {string.Join(", ", p.Numbers)}.\n");
        int tries = rng.Next(0, maxFailedTries);
        for (int t = 0; t < tries; t++)
        {
            var (steps, value) = CountdownSolver.RandomAttempt(p.Numbers, rng);
            if (value == p.Target) break;               // a lucky attempt; the solution below says it properly
            sb.Append("Try ").Append(string.Join(", ", steps)).Append($". {value} is not {p.Target}.\n");
        }
        var solutions = CountdownSolver.Solve(p.Numbers, p.Target, limit: 16);
        var tidy = solutions.Where(s => s.Steps.All(IsTidy)).ToList();
        var (expr, solSteps) = rng.Pick(tidy.Count > 0 ? tidy : solutions);
        sb.Append("Try ").Append(string.Join(", ", solSteps)).Append(". That is the target.\n");
        sb.Append($"So {expr} = {p.Target}.");
        return new Trace(sb.ToString(), expr);

        static bool IsTidy(string step) { var v = step[(step.LastIndexOf('=') + 1)..].Trim(); return !v.Contains('/') && !v.StartsWith('-'); }
    }

    /// <summary>
    /// Three numbers: a complete search a tiny model can carry out, since every number in it stays ≤ 200 and every
    /// sum, difference, product and quotient is worked out column by column (<see cref="Columns"/>). For each number z
    /// in turn as the last one used: what the other pair must make (? + z needs T − z, z − ? needs z − T, ? − z needs
    /// T + z, ? * z needs T / z, ? / z needs T · z, z / ? needs z / T, where whole and ≤ 200), then what the pair makes
    /// (sum, difference, product ≤ 200, exact quotient), each compared with every need digit by digit
    /// (<see cref="CompareDigits"/>) until one is the same (run 3's and run 4's models decided "needed" by the
    /// value's place in the search instead of by the numbers). Covers 99.7 % of reachable
    /// 3-number problems; null for the rest (the caller falls back to the narrative).
    /// </summary>
    internal static Trace? SearchLast(CountdownProblem p)
    {
        const int Small = 200;
        int t = p.Target;
        var sb = new StringBuilder($"Target {t} from {string.Join(", ", p.Numbers)}.\n");
        for (int k = 0; k < 3; k++)
        {
            int z = p.Numbers[k];
            var pair = p.Numbers.Where((_, i) => i != k).ToArray();
            int x = pair[0], y = pair[1], hi = Math.Max(x, y), lo = Math.Min(x, y);
            var needs = new List<(string Form, long A, char Op, long B)>();
            if (z < t) needs.Add(("? + " + z, t, '-', z));
            if (z > t) needs.Add((z + " - ?", z, '-', t));
            if (t + z <= Small) needs.Add(("? - " + z, t, '+', z));
            if (z > 1 && t % z == 0) needs.Add(("? * " + z, t, '/', z));
            if (z > 1 && t * z <= Small) needs.Add(("? / " + z, t, '*', z));
            if (t > 1 && z % t == 0) needs.Add((z + " / ?", z, '/', t));
            sb.Append($"Try {z} last, target {t}.\n");
            var needed = new List<(string Form, long Value)>();
            foreach (var n in needs)
            {
                var (work, value) = Columns.Work(n.A, n.Op, n.B);
                sb.Append($"{n.Form} needs {work}.\n");
                needed.Add((n.Form, value));
            }
            var makes = new List<(long A, char Op, long B)> { (x, '+', y), (hi, '-', lo) };
            if (x * y <= Small) makes.Add((x, '*', y));
            if (lo > 1 && hi % lo == 0) makes.Add((hi, '/', lo));
            sb.Append($"From {x}, {y}:\n");
            foreach (var m in makes)
            {
                var (work, value) = Columns.Work(m.A, m.Op, m.B);
                sb.Append(work).Append(".\n");
                foreach (var n in needed)
                {
                    sb.Append(CompareDigits(value, n.Value)).Append('\n');
                    if (n.Value != value) continue;
                    string expr = n.Form.Replace("?", $"({m.A} {m.Op} {m.B})");
                    if (!Countdown.Verify(p.Numbers, t, expr).Correct) continue;   // e.g. z / (x − y) with x − y = 0
                    sb.Append($"So {expr} = {t}.");
                    return new Trace(sb.ToString(), expr);
                }
            }
            sb.Append("None is needed.\n");
        }
        return null;
    }

    /// <summary>
    /// "091 vs 019: 0=0, 9!=1, no." / "055 vs 055: 0=0, 5=5, 5=5, same.": both numbers written with 3 digits and
    /// compared from the left until two digits differ — each step reads two digits at a fixed distance, the kind of
    /// step the tiny model learns (a one-token "is it among the needs?" it does not; R1-RECIPE §7, run 6).
    /// </summary>
    internal static string CompareDigits(long a, long b)
    {
        string x = a.ToString("000"), y = b.ToString("000");
        var steps = new List<string>();
        for (int i = 0; i < x.Length; i++)
        {
            steps.Add(x[i] == y[i] ? $"{x[i]}={y[i]}" : $"{x[i]}!={y[i]}");
            if (x[i] != y[i]) break;
        }
        return $"{x} vs {y}: {string.Join(", ", steps)}, {(x == y ? "same" : "no")}.";
    }
}
