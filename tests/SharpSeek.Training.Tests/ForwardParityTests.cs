// The training forward must equal the inference forward (Transformer.Forward, ForwardMtp) on the same checkpoint.
using SharpSeek.Model;
using SharpSeek.Tests;
using Xunit.Abstractions;

namespace SharpSeek.Training.Tests;

public class ForwardParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("v3-qlora-yarn-mtp")]
    [InlineData("v3-noqlora")]
    [InlineData("v2-group-limited")]
    [InlineData("v2-softmax-greedy")]
    [InlineData("qwen2-tied")]
    [InlineData("llama3-scaled")]
    public void TrainingLogitsEqualInferenceLogits(string name)
    {
        string dir = Fixtures.Path("models", name);
        var inf = Transformer.Load(dir, new LoadOptions { MlaMode = MlaMode.Naive });
        var model = new TrainModel(inf.Config);
        model.LoadWeights(dir);
        int V = inf.Config.VocabSize, T = 9;
        var rng = new Random(5);
        var ids = Enumerable.Range(0, 2 * T).Select(_ => rng.Next(V)).ToArray();
        var targets = Enumerable.Range(0, 2 * T).Select(i => i % T < T - 1 ? ids[i + 1] : 0).ToArray();
        var batch = new Batch(2, T, ids, targets);
        var logits = model.Logits(batch);
        var mtp = model.HasMtp ? model.Logits(batch, mtp: true) : null;
        double worst = 0, worstMtp = 0;
        for (int b = 0; b < 2; b++)
        {
            var seq = ids.AsSpan(b * T, T).ToArray();
            var cache = inf.NewCache(T);
            var hidden = new float[T * inf.Config.HiddenSize];
            var expect = inf.Forward(seq, cache, hidden);
            for (int i = 0; i < T * V; i++) worst = Math.Max(worst, Math.Abs(expect[i] - logits[b * T * V + i]));
            if (mtp is null) continue;
            // MTP at positions 0..T-2 reads the next input token; the training batch's targets are those tokens
            var next = seq.Skip(1).ToArray();
            var em = inf.ForwardMtp(next, hidden.AsSpan(0, (T - 1) * inf.Config.HiddenSize), 0, inf.NewCache(T));
            for (int i = 0; i < (T - 1) * V; i++) worstMtp = Math.Max(worstMtp, Math.Abs(em[i] - mtp[b * T * V + i]));
        }
        output.WriteLine($"{name}: max |Δlogit| = {worst:E2}, MTP {worstMtp:E2}");
        Assert.True(worst < 1e-4, $"logits differ by {worst}");
        Assert.True(worstMtp < 1e-4, $"MTP logits differ by {worstMtp}");
    }
}
