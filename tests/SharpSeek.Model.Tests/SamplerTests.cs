using Xunit;

namespace SharpSeek.Model.Tests;

public class SamplerTests
{
    static readonly float[] Logits = [0.1f, 2.0f, 1.5f, -1f, 1.9f];

    [Fact]
    public void Greedy_picks_the_argmax()
    {
        Assert.Equal(1, new Sampler(new SamplingOptions()).Sample(Logits));
    }

    [Fact]
    public void Same_seed_same_draws_different_seed_different_draws()
    {
        int[] Draw(int seed)
        {
            var s = new Sampler(new SamplingOptions { Temperature = 1.5f, Seed = seed });
            return Enumerable.Range(0, 64).Select(_ => s.Sample(Logits)).ToArray();
        }
        Assert.Equal(Draw(7), Draw(7));
        Assert.NotEqual(Draw(7), Draw(8));
    }

    [Fact]
    public void TopK_and_TopP_restrict_the_candidates()
    {
        var k2 = new Sampler(new SamplingOptions { Temperature = 5, TopK = 2, Seed = 1 });
        var seen = Enumerable.Range(0, 200).Select(_ => k2.Sample(Logits)).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 4 }, seen);

        var p = new Sampler(new SamplingOptions { Temperature = 1, TopP = 0.01f, Seed = 1 });
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(1, p.Sample(Logits)));
    }

    [Fact]
    public void Sampling_frequencies_follow_the_softmax()
    {
        var s = new Sampler(new SamplingOptions { Temperature = 1, Seed = 3 });
        var counts = new int[Logits.Length];
        const int n = 20000;
        for (int i = 0; i < n; i++) counts[s.Sample(Logits)]++;
        var probs = new float[Logits.Length];
        Tensors.Ops.Softmax(Logits, probs);
        for (int i = 0; i < probs.Length; i++) Assert.True(Math.Abs(counts[i] / (double)n - probs[i]) < 0.015, $"token {i}: {counts[i] / (double)n} vs {probs[i]}");
    }

    [Theory]
    [InlineData(-1f, 0, 1f)]
    [InlineData(1f, -3, 1f)]
    [InlineData(1f, 0, 0f)]
    [InlineData(1f, 0, 1.5f)]
    [InlineData(float.NaN, 0, 1f)]
    public void Bad_options_are_rejected(float temperature, int topK, float topP)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP }));
    }
}
