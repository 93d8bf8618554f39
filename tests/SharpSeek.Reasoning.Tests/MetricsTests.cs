// Evaluation metrics by hand, and the Evaluator over a scripted engine.
using SharpSeek.Reasoning;
using SharpSeek.Reasoning.Tasks;

namespace SharpSeek.Reasoning.Tests;

public class MetricsTests
{
    [Fact]
    public void Pass_at_1_averages_over_samples_then_problems()
    {
        // (2/4 + 0/4 + 4/4) / 3 = 0.5
        Assert.Equal(0.5, Metrics.PassAt1([[true, false, false, true], [false, false, false, false], [true, true, true, true]]), 12);
        Assert.Equal(0, Metrics.PassAt1([]));
    }

    [Theory]
    [InlineData(4, 2, 1, 0.5)]              // c/n
    [InlineData(4, 2, 2, 1 - 1 / 6.0)]      // 1 − C(2,2)/C(4,2)
    [InlineData(4, 0, 2, 0)]
    [InlineData(4, 3, 2, 1)]                // n − c < k
    [InlineData(10, 3, 5, 1 - 21 / 252.0)]  // 1 − C(7,5)/C(10,5)
    public void Unbiased_pass_at_k(int n, int c, int k, double expected) => Assert.Equal(expected, Metrics.PassAtK(n, c, k), 12);

    [Fact]
    public void Majority_vote_ignores_nulls_and_breaks_ties_by_first_seen()
    {
        Assert.Equal("5", Metrics.MajorityVote(["5", "7", "5", null, null, null]));
        Assert.Equal("7", Metrics.MajorityVote(["7", "5"]));
        Assert.Null(Metrics.MajorityVote([null, null]));
    }

    [Fact]
    public void Cons_at_k_votes_on_normalised_answers()
    {
        var p = new ArithmeticProblem(12, '+', 7);
        // "19", "19.0" and " 19 " are one answer (3 votes) against "18" (2 votes)
        Assert.Equal((("19"), true), Metrics.Consensus(p, ["18", "19", "19.0", "18", " 19 "]));
        Assert.False(Metrics.Consensus(p, ["18", "18", "19"]).Correct);
        Assert.False(Metrics.Consensus(p, [null, null]).Correct);
        Assert.Equal(0.5, Metrics.ConsAtK([p, p], [["19", "19", "1"], ["1", "1", "19"]]));
    }

    [Fact]
    public void Evaluator_runs_any_engine()
    {
        var problems = new ArithmeticTask().Generate(Split.Test, 4, 1);
        // a scripted engine: sample s of problem i is right when s < i (so pass@1 = (0 + 1/4 + 2/4 + 3/4) / 4)
        IReadOnlyList<IReadOnlyList<string>> Engine(IReadOnlyList<string> prompts, int k, SamplingSettings s)
        {
            Assert.Equal(0.6f, s.Temperature);
            return prompts.Select((prompt, i) => (IReadOnlyList<string>)Enumerable.Range(0, k).Select(j =>
                $"<think>\nworking\n</think>\n<answer>{(j < i ? problems[i].Answer : "-1")}</answer>").ToList()).ToList();
        }
        var report = new Evaluator(Engine).Run(problems, 4, SamplingSettings.R1Eval(64));
        Assert.Equal(4, report.N);
        Assert.Equal(0.375, report.PassAt1, 12);
        Assert.Equal(0.5, report.ConsAtK, 12);                 // problem 3 (3 of 4 right) and problem 2 (a 2–2 tie; the right answer came first)
        Assert.Equal(0.75, report.PassAtK, 12);                // problems 1–3 have a right sample, problem 0 none
        Assert.Equal(1, report.FormatRate);
        Assert.Equal("chars", report.LengthUnit);
        Assert.True(report.MeanResponseLength > 30);
        var lengths = new Evaluator(Engine, text => 7).Run(problems, 4, SamplingSettings.R1Eval(64));
        Assert.Equal(7, lengths.MeanResponseLength);
        Assert.Equal("tokens", lengths.LengthUnit);
    }

    [Fact]
    public void Evaluator_rejects_an_engine_that_returns_the_wrong_shape()
    {
        var problems = new LinearTask().Generate(Split.Test, 2, 1);
        var e = new Evaluator((prompts, k, s) => [["x"]]);
        Assert.Throws<InvalidOperationException>(() => e.Run(problems, 1, SamplingSettings.Greedy(8)));
        Assert.Throws<ArgumentOutOfRangeException>(() => e.Run(problems, 0, SamplingSettings.Greedy(8)));
    }
}
