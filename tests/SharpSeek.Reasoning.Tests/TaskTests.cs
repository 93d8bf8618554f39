// The verifiable tasks: splits are disjoint, generation is deterministic, reference answers verify, Countdown targets
// are reachable, and the verifiers accept the right answers and reject (never crash on) the wrong ones.
using SharpSeek.Reasoning;
using SharpSeek.Reasoning.Tasks;
using Xunit.Abstractions;

namespace SharpSeek.Reasoning.Tests;

public class TaskTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names() => new(TaskRegistry.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Held_out_problems_never_appear_in_any_training_split(string name)
    {
        var task = TaskRegistry.Get(name);
        int n = name == "countdown4" ? 60 : 300;
        var test = new HashSet<string>();
        foreach (int seed in new[] { 1, 2 }) foreach (var p in task.Generate(Split.Test, n, seed)) { Assert.Equal(Split.Test, Splits.Of(p.Key)); test.Add(p.Key); }
        foreach (var split in new[] { Split.ColdStart, Split.Pretrain, Split.Rl })
            foreach (int seed in new[] { 1, 3 })
                foreach (var p in task.Generate(split, n, seed))
                {
                    Assert.Equal(split, p.Split);
                    Assert.DoesNotContain(p.Key, test);
                }
        output.WriteLine($"{name}: {test.Count} held-out keys, none in the training splits");
    }

    [Fact]
    public void Split_is_a_property_of_the_canonical_form()
    {
        // 379 + 4821 and 4821 + 379 are one problem: one key, one split
        Assert.Equal(new ArithmeticProblem(379, '+', 4821).Key, new ArithmeticProblem(4821, '+', 379).Key);
        Assert.NotEqual(new ArithmeticProblem(379, '-', 4821).Key, new ArithmeticProblem(4821, '-', 379).Key);
        Assert.Equal(new CountdownProblem([55, 19, 36], 65, "x").Key, new CountdownProblem([19, 36, 55], 65, "y").Key);
        // bucket shares are near their nominal sizes over many keys
        var counts = new int[4];
        for (int i = 0; i < 20000; i++) counts[(int)Splits.Of($"k{i}")]++;
        Assert.InRange(counts[(int)Split.Test], 1700, 2300);
        Assert.InRange(counts[(int)Split.Rl], 11500, 12500);
        // stable across processes and versions: pinned values
        Assert.Equal(Splits.Bucket("add:379,4821"), Splits.Bucket("add:379,4821"));
        Assert.Equal(Split.Test, Splits.Parse("test"));
        Assert.Throws<ArgumentException>(() => Splits.Parse("validation"));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Generation_is_deterministic_and_reference_answers_verify(string name)
    {
        var task = TaskRegistry.Get(name);
        var a = task.Generate(Split.Rl, 50, 42);
        var b = TaskRegistry.Get(name).Generate(Split.Rl, 50, 42);
        Assert.Equal(a.Select(p => p.Prompt), b.Select(p => p.Prompt));
        Assert.NotEqual(a.Select(p => p.Prompt), task.Generate(Split.Rl, 50, 43).Select(p => p.Prompt));
        Assert.Equal(50, a.Select(p => p.Key).Distinct().Count());
        foreach (var p in a) Assert.True(p.Check(p.Answer), $"{p.Prompt} → {p.Answer}");
        output.WriteLine(string.Join("\n", a.Take(5).Select(p => $"{p.Prompt}  →  {p.Answer}")));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Different_seeds_draw_different_problems(string name)
    {
        var task = TaskRegistry.Get(name);
        var a = task.Generate(Split.Rl, 100, 1).Select(p => p.Key).ToHashSet();
        int shared = task.Generate(Split.Rl, 100, 2).Count(p => a.Contains(p.Key));
        Assert.True(shared < 20, $"{name}: seeds 1 and 2 share {shared} of 100 problems");
    }

    [Fact]
    public void Arithmetic_ranges_and_verifier()
    {
        foreach (var p in new ArithmeticTask().Generate(Split.Rl, 500, 1).Cast<ArithmeticProblem>())
        {
            if (p.Op == '*') { Assert.InRange(p.A, 0, 999); Assert.InRange(p.B, 0, 99); }
            else { Assert.InRange(p.A, 0, 9999); Assert.InRange(p.B, 0, 9999); }
        }
        var q = new ArithmeticProblem(379, '-', 4821);
        Assert.True(q.Check("-4442"));
        Assert.True(q.Check(" -4,442 "));
        Assert.True(q.Check("\\boxed{-4442}"));
        Assert.False(q.Check("4442"));
        Assert.False(q.Check("-4442 or 4442"));
        Assert.False(q.Check(""));
        Assert.True(new ArithmeticProblem(347, '*', 86).Check("29842"));
    }

    [Fact]
    public void Countdown_targets_are_reachable_with_every_number_once()
    {
        foreach (var count in new[] { 3, 4 })
            foreach (var p in new CountdownTask(count).Generate(Split.Test, count == 3 ? 200 : 40, 5).Cast<CountdownProblem>())
            {
                Assert.Equal(count, p.Numbers.Count);
                Assert.All(p.Numbers, x => Assert.InRange(x, 1, 99));
                Assert.InRange(p.Target, 1, 100);
                var v = Countdown.Verify(p.Numbers, p.Target, p.Witness);
                Assert.True(v.Correct, $"{p.Prompt}: witness {p.Witness}: {v.Reason}");
                Assert.Contains((long)p.Target, CountdownSolver.ReachableIntegers(p.Numbers));
            }
    }

    [Fact]
    public void Solver_finds_known_solutions_and_knows_unreachable_targets()
    {
        // 1, 2, 3 using all three: 1+2+3=6, (1+2)*3=9, 3*2-1=5, 3/(1/2)... but never 100
        var reach = CountdownSolver.ReachableIntegers([1, 2, 3]);
        Assert.Contains(9L, reach);
        Assert.Contains(0L, reach);
        Assert.DoesNotContain(100L, reach);
        Assert.Empty(CountdownSolver.Solve([1, 2, 3], 100));
        // a solution that needs a fraction: 3, 3, 8, 8 → 24 only as 8 / (3 − 8/3)
        var sol = CountdownSolver.Solve([3, 3, 8, 8], 24);
        Assert.NotEmpty(sol);
        Assert.All(sol, s => Assert.True(Countdown.Verify([3, 3, 8, 8], 24, s.Expression).Correct, s.Expression));
    }

    [Theory]
    [InlineData("(55 - 36) * 3 + 8", true, "ok")]
    [InlineData("(55−36)×3+8", true, "ok")]                     // Unicode operators
    [InlineData("(55 - 36) * 3 + 8 = 65", true, "ok")]          // with "= target"
    [InlineData("8 + 3 * (55 - 36)", true, "ok")]
    [InlineData("(55 - 36) * 3 + 8 = 64", false, "not the target")]
    [InlineData("55 + 8 + 3 - 36 + 35", false, "exactly once")]  // an extra number
    [InlineData("(55 - 36) * 3", false, "exactly once")]        // 8 unused (TinyZero's rule: all numbers)
    [InlineData("(55 - 36) * 3 + 8 + 8 - 8", false, "exactly once")]
    [InlineData("55 + 36 - 3 * 8", false, "evaluates to 67")]
    [InlineData("-(36 - 55) * 3 + 8", false, "unary minus")]
    [InlineData("(55 - 36) * 3 + 8.0", false, "decimal")]
    [InlineData("55 / (36 - 36) + 3 + 8", false, "division by zero")]
    [InlineData("((55 - 36) * 3 + 8", false, "missing")]
    [InlineData("sixty-five", false, "unexpected")]
    [InlineData("", false, "empty")]
    public void Countdown_verifier(string answer, bool correct, string reason)
    {
        var v = Countdown.Verify([55, 36, 3, 8], 65, answer);
        Assert.Equal(correct, v.Correct);
        Assert.Contains(reason, v.Reason);
    }

    [Fact]
    public void Countdown_fractions_are_exact()
    {
        Assert.True(Countdown.Verify([1, 2, 3], 1, "(1 + 2) / 3").Correct);
        Assert.True(Countdown.Verify([3, 3, 8, 8], 24, "8 / (3 - 8 / 3)").Correct);
        Assert.False(Countdown.Verify([1, 3, 7], 2, "7 / 3 - 1").Correct);           // 4/3, not 2 (no rounding)
    }

    [Fact]
    public void Verifiers_never_throw_on_garbage()
    {
        var rng = new Random(11);
        const string alphabet = "0123456789+-*/()×÷−= .x<>abc\n\t[]{}\\÷⁄";
        var cd = new CountdownProblem([12, 7, 3], 13, "12 - 7 + 3");
        var probs = new Problem[] { cd, new ArithmeticProblem(12, '+', 7), new LinearProblem(3, 7, 22), new EvaluateProblem("1 + 2", 3), new ReferenceProblem("q", "0.5") };
        for (int i = 0; i < 3000; i++)
        {
            var s = new string(Enumerable.Range(0, rng.Next(0, 300)).Select(_ => rng.Next(10) == 0 ? (char)rng.Next(0, 0xFFFF) : alphabet[rng.Next(alphabet.Length)]).ToArray());
            foreach (var p in probs) { p.Check(s); p.VoteKey(s); }
            Rewards.Accuracy(cd, "<think>x</think><answer>" + s + "</answer>");
        }
        Assert.False(cd.Check(new string('(', 200) + "1" + new string(')', 200)));
        Assert.False(cd.Check(string.Concat(Enumerable.Repeat("99*", 80)) + "9"));           // huge values stay exact
        Assert.False(cd.Check("9999999999999999999999999999 - 9999999999999999999999999999 + 13"));
    }

    [Fact]
    public void Linear_equations_have_integer_solutions()
    {
        foreach (var p in new LinearTask().Generate(Split.Test, 300, 9).Cast<LinearProblem>())
        {
            Assert.NotEqual(0, p.A);
            Assert.Equal(p.C, p.A * p.X + p.B);
        }
        var q = new LinearProblem(3, 7, 22);
        Assert.Equal("Solve for x: 3x + 7 = 22.", q.Prompt);
        Assert.True(q.Check("5"));
        Assert.True(q.Check("x = 5"));
        Assert.True(q.Check("x=5"));
        Assert.False(q.Check("y = 5"));
        Assert.False(q.Check("6"));
        Assert.Equal("-x - 4 = 1", LinearProblem.Equation(-1, -4, 1));
    }

    [Theory]
    [InlineData(91, 19, false, "091 vs 019: 0=0, 9!=1, no.")]
    [InlineData(55, 55, false, "055 vs 055: 0=0, 5=5, 5=5, same.")]
    [InlineData(0, 200, false, "000 vs 200: 0!=2, no.")]
    [InlineData(200, 201, false, "200 vs 201: 2=2, 0=0, 0!=1, no.")]
    [InlineData(7, 7, false, "007 vs 007: 0=0, 0=0, 7=7, same.")]
    [InlineData(71, 72, true, "071 vs 072: 0=0, 7=7, 1<2, less.")]
    [InlineData(81, 50, true, "081 vs 050: 0=0, 8>5, more.")]
    [InlineData(55, 55, true, "055 vs 055: 0=0, 5=5, 5=5, same.")]
    [InlineData(100, 99, true, "100 vs 099: 1>0, more.")]
    public void Compare_digits_from_the_left_until_two_differ(long a, long b, bool order, string expected) =>
        Assert.Equal(expected, order ? CountdownTask.CompareOrder(a, b) : CountdownTask.CompareDigits(a, b));

    [Fact]
    public void Lookup_candidates_are_half_needed_half_near_misses_and_the_trace_compares_each_with_every_need()
    {
        int yes = 0, no = 0, nearMiss = 0;
        var task = new LookupTask();
        foreach (var p in task.Generate(Split.Pretrain, 2000, 3).Cast<LookupProblem>())
        {
            Assert.InRange(p.Needed.Count, 1, 4);
            Assert.InRange(p.Values.Count, 3, 6);
            Assert.All(p.Needed, v => Assert.InRange(v, 1, 200));
            Assert.All(p.Values, v => Assert.InRange(v, 0, 200));
            Assert.Equal(p.Values.Count, p.Values.Distinct().Count());
            var lines = task.Think(p, new DetRandom(1)).Reasoning.Split('\n');
            Assert.Equal(p.Values.Count * (p.Needed.Count + 2) + 1, lines.Length);
            for (int i = 0; i < p.Values.Count; i++)
            {
                bool hit = p.Needed.Contains(p.Values[i]);
                int at = i * (p.Needed.Count + 2);
                Assert.Equal($"so {p.Values[i]}. Needed {string.Join(", ", p.Needed)}?", lines[at]);
                for (int k = 0; k < p.Needed.Count; k++)
                    Assert.EndsWith(p.Values[i] == p.Needed[k] ? ", same." : ", no.", lines[at + 1 + k]);
                Assert.Equal(hit ? "Yes." : "No.", lines[at + p.Needed.Count + 1]);
                if (hit) yes++; else no++;
                // a miss that shares digits with a need: reversed, a digit more or less in front, ±1, ±10
                if (!hit && p.Needed.Any(n => Math.Abs(n - p.Values[i]) is 1 or 10 or 100 || n.ToString().Reverse().SequenceEqual(p.Values[i].ToString())
                                              || n.ToString().EndsWith(p.Values[i].ToString()) || p.Values[i].ToString().EndsWith(n.ToString()))) nearMiss++;
            }
            Assert.Equal($"So needed: {p.Answer}.", lines[^1]);
        }
        Assert.InRange(yes / (double)(yes + no), 0.3, 0.6);
        Assert.True(nearMiss > no / 2, $"{nearMiss} of {no} misses are near misses");

        var q = new LookupProblem([19, 57, 2], [91, 19, 2, 119]);
        Assert.Equal("Needed 19, 57, 2. Which of 91, 19, 2, 119 are needed?", q.Prompt);
        Assert.Equal("19, 2", q.Answer);
        Assert.True(q.Check("19, 2"));
        Assert.True(q.Check("19,2."));
        Assert.False(q.Check("2, 19"));
        Assert.False(q.Check("19"));
        Assert.False(q.Check("none"));
        var none = new LookupProblem([26], [62, 126, 27]);
        Assert.Equal("none", none.Answer);
        Assert.True(none.Check("None"));
        Assert.False(none.Check("26"));
    }

    [Fact]
    public void Evaluate_problems_follow_precedence()
    {
        foreach (var p in new EvaluateTask().Generate(Split.Test, 300, 4).Cast<EvaluateProblem>())
        {
            var r = Expression.Evaluate(p.Expression, allowUnaryMinus: true);
            Assert.True(r.Ok && r.Value == p.Value, p.Expression);
        }
    }

    [Fact]
    public void Expression_parser_precedence_and_errors()
    {
        Assert.Equal(new Rational(14, 1), Expression.Evaluate("2 + 3 * 4").Value);
        Assert.Equal(new Rational(20, 1), Expression.Evaluate("(2 + 3) * 4").Value);
        Assert.Equal(new Rational(1, 1), Expression.Evaluate("8 - 4 - 3").Value);           // left-associative
        Assert.Equal(new Rational(1, 1), Expression.Evaluate("8 / 4 / 2").Value);
        Assert.Equal(new Rational(1, 6), Expression.Evaluate("1 / 2 / 3").Value);
        Assert.Equal(new Rational(-2, 1), Expression.Evaluate("-(1 + 1)", allowUnaryMinus: true).Value);
        Assert.Contains("unary", Expression.Evaluate("-2 + 3").Error);
        Assert.Contains("unexpected", Expression.Evaluate("2 3").Error);
        Assert.Contains("nested", Expression.Evaluate(new string('(', 40) + "1" + new string(')', 40)).Error);
        Assert.Contains("longer", Expression.Evaluate(new string('1', 300)).Error);
    }

    [Theory]
    [InlineData("42", 42, 1)]
    [InlineData("-7/3", -7, 3)]
    [InlineData("0.50", 1, 2)]
    [InlineData(".5", 1, 2)]
    [InlineData("1,234", 1234, 1)]
    [InlineData("+3", 3, 1)]
    [InlineData("−4", -4, 1)]
    public void Rational_parses_plain_numbers(string text, long num, long den)
    {
        Assert.True(Rational.TryParse(text, out var r));
        Assert.Equal(new Rational(num, den), r);
    }

    [Theory]
    [InlineData("12,34")]
    [InlineData("1/0")]
    [InlineData("3 apples")]
    [InlineData("1.2.3")]
    [InlineData("")]
    [InlineData("-")]
    public void Rational_rejects_non_numbers(string text) => Assert.False(Rational.TryParse(text, out _));

    [Fact]
    public void Unknown_task_names_list_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => TaskRegistry.Get("countdown5"));
        Assert.Contains("countdown3", e.Message);
    }
}
