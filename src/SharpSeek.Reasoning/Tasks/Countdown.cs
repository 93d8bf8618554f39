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
    /// Three numbers: a search a tiny model can carry out, in which every decision is written out as digit steps
    /// (run 7's models wrote lines whose condition they had guessed — `z - ?` with z below the target, a quotient that
    /// was not whole — in half of their wrong answers; R1-RECIPE §7). For each number z in turn as the last one used:
    /// z against the target (<see cref="CompareOrder"/>: less → `? + z` needs T − z, more → `z - ?` needs z − T);
    /// `? - z` needs T + z; for z ≥ 2, `? * z` needs T / z (a one-digit z in columns; a two-digit one, when not more
    /// than T, in one step with its remainder) kept when the remainder is 0, and `? / z` needs T · z; `z / ?` needs
    /// z / T likewise. Then what the other pair makes: the pair ordered (CompareOrder), its sum, difference and
    /// product, and its quotient by the smaller (≥ 2) when the remainder is 0. Every value with a one-digit operand is
    /// worked out column by column (<see cref="Columns"/>), two two-digit ones in one step; a product over 999 is said
    /// to be too big. Each value is compared with every need digit by digit (<see cref="CompareDigits"/>) until one
    /// is the same. Covers nearly every reachable 3-number problem (the Countdown tests measure it); null for the
    /// rest (the caller falls back to the narrative).
    /// </summary>
    internal static Trace? SearchLast(CountdownProblem p)
    {
        int t = p.Target;
        var sb = new StringBuilder($"Target {t} from {string.Join(", ", p.Numbers)}.\n");
        for (int k = 0; k < 3; k++)
        {
            int z = p.Numbers[k];
            var pair = p.Numbers.Where((_, i) => i != k).ToArray();
            int x = pair[0], y = pair[1], hi = Math.Max(x, y), lo = Math.Min(x, y);
            sb.Append($"Try {z} last, target {t}.\n").Append(CompareOrder(z, t)).Append('\n');
            var needed = new List<(string Form, long Value)>();
            void Need(string form, string work, long? value)
            {
                sb.Append($"{form} needs {work}.\n");
                if (value is long v) needed.Add((form, v));
            }
            if (z < t) { var (w, v) = Columns.Work(t, '-', z); Need($"? + {z}", w, v); }
            if (z > t) { var (w, v) = Columns.Work(z, '-', t); Need($"{z} - ?", w, v); }
            { var (w, v) = Columns.Work(t, '+', z); Need($"? - {z}", w, v); }
            if (z is >= 2 and <= 9 || z >= 10 && z <= t) { var (w, v) = Quotient(t, z); Need($"? * {z}", w, v); }
            if (z >= 2) { var (w, v) = Product(t, z); Need($"? / {z}", w, v); }
            if (t is >= 2 and <= 9 || t >= 10 && z >= t) { var (w, v) = Quotient(z, t); Need($"{z} / ?", w, v); }

            sb.Append($"From {x}, {y}:\n").Append(CompareOrder(x, y)).Append('\n');
            var makes = new List<(string Work, long? Value, string Expr)>();
            { var (w, v) = Columns.Work(x, '+', y); makes.Add((w, v, $"{x} + {y}")); }
            { var (w, v) = Columns.Work(hi, '-', lo); makes.Add((w, v, $"{hi} - {lo}")); }
            { var (w, v) = Product(x, y); makes.Add((w, v, $"{x} * {y}")); }
            if (lo >= 2) { var (w, v) = Quotient(hi, lo); makes.Add((w, v, $"{hi} / {lo}")); }
            foreach (var m in makes)
            {
                sb.Append(m.Work).Append(".\n");
                if (m.Value is not long value) continue;
                foreach (var n in needed)
                {
                    sb.Append(CompareDigits(value, n.Value)).Append('\n');
                    if (n.Value != value) continue;
                    string expr = n.Form.Replace("?", $"({m.Expr})");
                    if (!Countdown.Verify(p.Numbers, t, expr).Correct) continue;   // e.g. z / (x − y) with x − y = 0
                    sb.Append($"So {expr} = {t}.");
                    return new Trace(sb.ToString(), expr);
                }
            }
            sb.Append("None is needed.\n");
        }
        return null;
    }

    /// <summary>"a * b: columns, so p" for a one-digit factor; "a * b = p" in one step for two two-digit ones; a
    /// product of four digits is written and then said to be too big (no need or pair value reaches it).</summary>
    static (string Work, long? Value) Product(long a, long b)
    {
        var (w, v) = Columns.Work(a, '*', b);
        return v > 999 ? ($"{w}, too big", null) : (w, v);
    }

    /// <summary>a / b with its remainder, null when not whole: a one-digit b ≥ 2 in columns (Columns.Divide), a two-digit
    /// one in one step ("76 / 71 = 1 r5, not whole" / "38 / 19 = 2 r0, so 2").</summary>
    static (string Work, long? Value) Quotient(long a, long b) =>
        b <= 9 ? Columns.Divide(a, b)
        : a % b == 0 ? ($"{a} / {b} = {a / b} r0, so {a / b}", a / b) : ($"{a} / {b} = {a / b} r{a % b}, not whole", null);

    /// <summary>
    /// "071 vs 072: 0=0, 7=7, 1<2, less." / "081 vs 050: 0=0, 8>5, more." / "055 vs 055: 0=0, 5=5, 5=5, same.":
    /// which of a, b is larger, decided at the first digit from the left where they differ.
    /// </summary>
    internal static string CompareOrder(long a, long b) => Compare(a, b, order: true);

    /// <summary>
    /// "091 vs 019: 0=0, 9!=1, no." / "055 vs 055: 0=0, 5=5, 5=5, same.": both numbers written with 3 digits and
    /// compared from the left until two digits differ — each step reads two digits at a fixed distance, the kind of
    /// step the tiny model learns (a one-token "is it among the needs?" it does not; R1-RECIPE §7, run 6).
    /// </summary>
    internal static string CompareDigits(long a, long b) => Compare(a, b, order: false);

    static string Compare(long a, long b, bool order)
    {
        string x = a.ToString("000"), y = b.ToString("000");
        var steps = new List<string>();
        for (int i = 0; i < x.Length; i++)
        {
            steps.Add(x[i] == y[i] ? $"{x[i]}={y[i]}" : order ? $"{x[i]}{(x[i] < y[i] ? '<' : '>')}{y[i]}" : $"{x[i]}!={y[i]}");
            if (x[i] != y[i]) break;
        }
        string verdict = order ? (a < b ? "less" : a > b ? "more" : "same") : x == y ? "same" : "no";
        return $"{x} vs {y}: {string.Join(", ", steps)}, {verdict}.";
    }
}
