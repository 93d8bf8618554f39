// MTP on the fast path: its logits against the golden (vLLM semantics), and speculative decoding's greedy output
// equal to plain greedy decoding.
using SharpSeek.Model.Inference;
using SharpSeek.Tests;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeek.Model.Tests;

public class SpeculativeTests(ITestOutputHelper output)
{
    [Fact]
    public void Fast_mtp_logits_match_golden()
    {
        var golden = Golden.Read("v3-qlora-yarn-mtp");
        using var m = InferenceModel.Load(Fixtures.Path("models", "v3-qlora-yarn-mtp"));
        int T = golden.Ids.Length, v = m.Config.VocabSize, d = m.Config.HiddenSize, n = golden.MtpLogits!.Length;
        var seq = m.NewSequence(T);
        var hidden = new float[T * d];
        m.Forward(golden.Ids.Select((t, i) => new BatchRow(t, i, seq)).ToArray(), new float[T * v], hidden);
        var logits = new float[n * v];
        m.ForwardMtp(Enumerable.Range(0, n).Select(j => new BatchRow(golden.Ids[j + 1], j, seq)).ToArray(), hidden.AsSpan(0, n * d), logits);
        float worst = 0;
        for (int j = 0; j < n; j++) worst = MathF.Max(worst, Golden.MaxAbsDiff(logits.AsSpan(j * v, v), golden.MtpLogits[j]));
        output.WriteLine($"fast MTP max |Δlogit| = {worst:E2}");
        Assert.True(worst <= 1e-4f, $"{worst}");
    }

    [Theory]
    [InlineData("v3-qlora-yarn-mtp", 40)]
    [InlineData("v3-sharded", 17)]
    public void Speculative_greedy_equals_plain_greedy(string model, int maxTokens)
    {
        using var m = InferenceModel.Load(Fixtures.Path("models", model), new InferenceOptions { Threads = 2 });
        var prompt = Golden.Read(model).Ids[..5];
        var plain = Speculative.Greedy(m, prompt, maxTokens);
        var (spec, stats) = Speculative.GreedyWithMtp(m, prompt, maxTokens);
        output.WriteLine($"{model}: {stats.Tokens} tokens in {stats.MainSteps} main steps; acceptance {stats.AcceptanceRate:P0} ({stats.Accepted}/{stats.Drafted})");
        Assert.Equal(plain, spec);
        Assert.Equal(maxTokens, spec.Count);
        Assert.Equal(stats.Tokens, stats.MainSteps + stats.Accepted);
    }

    [Fact]
    public void Models_without_mtp_say_so()
    {
        using var m = InferenceModel.Load(Fixtures.Path("models", "qwen2-tied"));
        var e = Assert.Throws<InvalidOperationException>(() => Speculative.GreedyWithMtp(m, [1, 2], 4));
        Assert.Contains("MTP", e.Message);
    }
}
