// The fp32 path against golden logits made by tools/make_fixtures.py (PyTorch, following DeepSeek-V3's
// inference/model.py and HF modelling code). Tolerance: 1e-4 max abs on every position's logits.
using System.Text.Json;
using SharpSeek.Tests;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeek.Model.Tests;

public class GoldenLogitsTests(ITestOutputHelper output)
{
    public const float Tolerance = 1e-4f;

    public static readonly string[] Models =
    [
        "v3-qlora-yarn-mtp", "v3-noqlora", "v2-softmax-greedy", "v2-group-limited", "qwen2-tied", "llama3-scaled",
        "v3-f32", "v3-bf16", "v3-f16", "v3-fp8", "v3-sharded",
    ];
    public static TheoryData<string, MlaMode> Cases()
    {
        var data = new TheoryData<string, MlaMode>();
        foreach (var m in Models) { data.Add(m, MlaMode.Naive); data.Add(m, MlaMode.Absorbed); }
        return data;
    }

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Golden.MaxAbsDiff(a, b);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Prefill_matches_reference(string model, MlaMode mode)
    {
        var golden = Golden.Read(model);
        var m = Transformer.Load(Fixtures.Path("models", model), new LoadOptions { MlaMode = mode });
        int v = m.Config.VocabSize;
        var logits = m.Forward(golden.Ids, m.NewCache(golden.Ids.Length));
        float worst = 0;
        for (int t = 0; t < golden.Ids.Length; t++)
            worst = MathF.Max(worst, MaxAbsDiff(logits.AsSpan(t * v, v), golden.Logits[t]));
        output.WriteLine($"{model} {mode}: max |Δlogit| = {worst:E2} over {golden.Ids.Length} positions");
        Assert.True(worst <= Tolerance, $"{model} ({mode}): max abs diff {worst} > {Tolerance}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Token_by_token_decoding_equals_prefill(string model, MlaMode mode)
    {
        var golden = Golden.Read(model);
        var m = Transformer.Load(Fixtures.Path("models", model), new LoadOptions { MlaMode = mode, LoadMtp = false });
        int v = m.Config.VocabSize, T = golden.Ids.Length;
        var full = m.Forward(golden.Ids, m.NewCache(T));
        var cache = m.NewCache(T);
        // a 3-token prefill, then one token at a time: positions and cache rows must line up
        var first = m.Forward(golden.Ids.AsSpan(0, 3), cache);
        Assert.True(MaxAbsDiff(first, full.AsSpan(0, 3 * v)) <= 1e-5f);
        for (int t = 3; t < T; t++)
        {
            var step = m.Forward(golden.Ids.AsSpan(t, 1), cache);
            float d = MaxAbsDiff(step, full.AsSpan(t * v, v));
            Assert.True(d <= 1e-5f, $"{model} position {t}: incremental differs from prefill by {d}");
        }
        Assert.Equal(T, cache.Length);
    }

    [Theory]
    [InlineData("v3-qlora-yarn-mtp")]
    [InlineData("v3-sharded")]
    public void Mtp_predicts_the_token_after_next(string model)
    {
        var golden = Golden.Read(model);
        Assert.NotNull(golden.MtpLogits);
        foreach (var mode in new[] { MlaMode.Naive, MlaMode.Absorbed })
        {
            var m = Transformer.Load(Fixtures.Path("models", model), new LoadOptions { MlaMode = mode });
            Assert.NotNull(m.Mtp);
            int T = golden.Ids.Length, d = m.Config.HiddenSize, v = m.Config.VocabSize;
            var cache = m.NewCache(T);
            var hidden = new float[T * d];
            m.Forward(golden.Ids, cache, hidden);
            int n = golden.MtpLogits!.Length;                  // entries j = 0..T-2: (h_j, t_{j+1}) → t_{j+2}
            var mtp = m.ForwardMtp(golden.Ids.AsSpan(1, n), hidden.AsSpan(0, n * d), 0, cache);
            float worst = 0;
            for (int j = 0; j < n; j++) worst = MathF.Max(worst, MaxAbsDiff(mtp.AsSpan(j * v, v), golden.MtpLogits[j]));
            output.WriteLine($"{model} MTP {mode}: max |Δlogit| = {worst:E2}");
            Assert.True(worst <= Tolerance, $"{model} MTP ({mode}): {worst}");
        }
    }

    [Theory]
    [InlineData("v3-qlora-yarn-mtp")]
    [InlineData("v3-noqlora")]
    [InlineData("v2-group-limited")]
    public void Absorbed_mla_equals_naive_mla(string model)
    {
        var ids = Golden.Read(model).Ids;
        float[] Run(MlaMode mode)
        {
            var m = Transformer.Load(Fixtures.Path("models", model), new LoadOptions { MlaMode = mode, LoadMtp = false });
            var cache = m.NewCache(ids.Length);
            var logits = new List<float>();
            foreach (var id in ids) logits.AddRange(m.Forward([id], cache));
            return logits.ToArray();
        }
        float d = MaxAbsDiff(Run(MlaMode.Naive), Run(MlaMode.Absorbed));
        output.WriteLine($"{model}: naive vs absorbed max |Δlogit| = {d:E2}");
        Assert.True(d <= 1e-5f, $"{model}: naive and absorbed MLA differ by {d}");
    }

    [Fact]
    public void Absorbed_cache_holds_latent_plus_rope_key_only()
    {
        var m = Transformer.Load(Fixtures.Path("models", "v3-qlora-yarn-mtp"), new LoadOptions { LoadMtp = false });
        var c = (DeepseekV3Config)m.Config;
        var cache = m.NewCache(4);
        Assert.Equal(4L * c.NumHiddenLayers * (c.KvLoraRank + c.QkRopeHeadDim), cache.BytesPerToken);
        var naive = Transformer.Load(Fixtures.Path("models", "v3-qlora-yarn-mtp"), new LoadOptions { LoadMtp = false, MlaMode = MlaMode.Naive }).NewCache(4);
        Assert.Equal(4L * c.NumHiddenLayers * c.NumAttentionHeads * (c.QkHeadDim + c.VHeadDim), naive.BytesPerToken);
    }

    // Stored-dtype variants of one model against its f32 original: relative L2 error of all logits.
    [Theory]
    [InlineData("v3-bf16", 0.01)]
    [InlineData("v3-f16", 0.002)]
    [InlineData("v3-fp8", 0.06)]
    public void Low_precision_checkpoints_stay_close_to_f32(string model, double bound)
    {
        var ids = Golden.Read("v3-f32").Ids;
        float[] Run(string name)
        {
            var m = Transformer.Load(Fixtures.Path("models", name));
            return m.Forward(ids, m.NewCache(ids.Length));
        }
        var reference = Run("v3-f32");
        var low = Run(model);
        double num = 0, den = 0;
        for (int i = 0; i < reference.Length; i++) { num += Math.Pow(low[i] - reference[i], 2); den += Math.Pow(reference[i], 2); }
        double err = Math.Sqrt(num / den);
        output.WriteLine($"{model}: normalized logit error vs f32 = {err:E3} (bound {bound})");
        Assert.True(err < bound, $"{model}: {err} ≥ {bound}");
        Assert.True(err > 0, "a low-precision copy that equals f32 exactly means the dtype was not applied");
    }
}
