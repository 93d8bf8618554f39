// Sampler stages: each against a hand-computed expectation; the chain's seeded determinism; logprobs.
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Engine.Tests;

public class SamplerTests
{
    static readonly float[] Logits = [1f, 3f, 2f, 0.5f, 2.5f];   // order by probability: 1, 4, 2, 0, 3

    static int[] Kept(SamplerStage stage, float[] logits)
    {
        var c = new Candidates(logits.Length);
        c.Reset(logits);
        stage.Apply(c);
        return c.Ids.Take(c.Count).Order().ToArray();
    }

    [Fact]
    public void TopKKeepsTheKLargest() => Assert.Equal([1, 4], Kept(new TopKStage(2), Logits));

    [Fact]
    public void TopPKeepsTheSmallestPrefixReachingP()
    {
        // probabilities: softmax([1,3,2,.5,2.5]) = [.0617,.4562,.1678,.0375,.2767]; cumulative .4562, .7330, .9008
        Assert.Equal([1, 4], Kept(new TopPStage(0.7f), Logits));
        Assert.Equal([1, 2, 4], Kept(new TopPStage(0.8f), Logits));
        Assert.Equal([1], Kept(new TopPStage(0.1f), Logits));
    }

    [Fact]
    public void MinPDropsTokensBelowAFractionOfTheTop()
    {
        // p/p_max = e^(l - 3): token 4 → .607, 2 → .368, 0 → .135, 3 → .082
        Assert.Equal([1, 4], Kept(new MinPStage(0.5f), Logits));
        Assert.Equal([0, 1, 2, 4], Kept(new MinPStage(0.1f), Logits));
    }

    [Fact]
    public void TemperatureScalesLogits()
    {
        var c = new Candidates(2);
        c.Reset([2f, 4f]);
        new TemperatureStage(0.5f).Apply(c);
        Assert.Equal([4f, 8f], c.Logits);
    }

    [Fact]
    public void GreedyTakesTheArgmaxAndPenaltiesChangeIt()
    {
        var greedy = new SequenceSampler(new SamplingParams { Temperature = 0 }, 5, []);
        Assert.Equal(1, greedy.Sample(Logits));
        Assert.Equal(1, greedy.Sample(Logits));
        // frequency penalty 1: after one 1, its logit is 2 < 2.5 → token 4
        var freq = new SequenceSampler(new SamplingParams { Temperature = 0, FrequencyPenalty = 1f }, 5, []);
        Assert.Equal(1, freq.Sample(Logits));
        Assert.Equal(4, freq.Sample(Logits));
        // presence penalty 0.6 on 1 and then 4: 3 - .6 = 2.4 < 2.5 → 4; then 2.5 - .6 = 1.9, 2.4 vs 2 → 1
        var pres = new SequenceSampler(new SamplingParams { Temperature = 0, PresencePenalty = 0.6f }, 5, []);
        Assert.Equal([1, 4, 1], new[] { pres.Sample(Logits), pres.Sample(Logits), pres.Sample(Logits) });
        // repetition penalty 2 on a prompt token: 3 / 2 = 1.5 → token 4 wins
        var rep = new SequenceSampler(new SamplingParams { Temperature = 0, RepetitionPenalty = 2f }, 5, [1]);
        Assert.Equal(4, rep.Sample(Logits));
    }

    [Fact]
    public void SeededSamplingIsReproducibleAndSeedsDiffer()
    {
        var rng = new Random(3);
        var logits = Enumerable.Range(0, 64).Select(_ => (float)rng.NextDouble() * 4).ToArray();
        int[] Run(int seed)
        {
            var s = new SequenceSampler(new SamplingParams { Temperature = 1, TopK = 40, TopP = 0.95f, MinP = 0.01f, Seed = seed }, 64, []);
            return Enumerable.Range(0, 50).Select(_ => s.Sample(logits)).ToArray();
        }
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void SampledFrequenciesFollowTheDistribution()
    {
        var s = new SequenceSampler(new SamplingParams { Temperature = 1, Seed = 1 }, 2, []);
        float[] logits = [0f, MathF.Log(3)];                          // p = [.25, .75]
        int ones = Enumerable.Range(0, 20000).Count(_ => s.Sample(logits) == 1);
        Assert.InRange(ones / 20000.0, 0.74, 0.76);
    }

    [Fact]
    public void LogprobsAreLogSoftmaxOfTheRawLogitsWithSortedAlternatives()
    {
        var s = new SequenceSampler(new SamplingParams { Temperature = 0, Logprobs = true, TopLogprobs = 3 }, 5, []);
        var lp = s.Logprobs(Logits, 2);
        double lse = Math.Log(Logits.Sum(x => Math.Exp(x)));
        Assert.Equal(2 - lse, lp.Logprob, 5);
        Assert.Equal([1, 4, 2], lp.Top.Select(t => t.Id));
        Assert.Equal(3 - lse, lp.Top[0].Logprob, 5);
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("presence_penalty")]
    [InlineData("frequency_penalty")]
    [InlineData("top_logprobs")]
    public void OutOfRangeParametersNameTheParameter(string param)
    {
        var p = param switch
        {
            "temperature" => new SamplingParams { Temperature = 2.5f },
            "top_p" => new SamplingParams { TopP = 0 },
            "presence_penalty" => new SamplingParams { PresencePenalty = 3 },
            "frequency_penalty" => new SamplingParams { FrequencyPenalty = -2.5f },
            _ => new SamplingParams { TopLogprobs = 21 },
        };
        Assert.Equal(param, Assert.Throws<ParameterException>(p.Validate).Param);
    }
}
