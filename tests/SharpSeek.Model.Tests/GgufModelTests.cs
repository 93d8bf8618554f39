// GGUF files SharpSeek writes load in both model paths: f32 GGUF logits equal the safetensors original (≤1e-5);
// q8_0 / q4_0 / q4_k logits stay within stated normalized-error bounds of fp32.
using SharpSeek.Model.Convert;
using SharpSeek.Model.Inference;
using SharpSeek.Tensors;
using SharpSeek.Tests;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeek.Model.Tests;

public class GgufModelTests(ITestOutputHelper output)
{
    static string ToGguf(string model, GgmlType type)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("sharpseek-gguf-").FullName, $"{model}-{type}.gguf");
        GgufConvert.ToGguf(Fixtures.Path("models", model), path, type);
        return path;
    }

    /// <summary>Logits of the first half of ids as one prompt batch (prefill), then of the rest one token at a time (decode).</summary>
    static float[] PrefillThenDecode(ITensorSource source, ModelConfig config, int[] ids)
    {
        using var m = InferenceModel.FromSource(source, config, new InferenceOptions { Threads = 2 });
        int v = m.Config.VocabSize, prompt = ids.Length / 2;
        var seq = m.NewSequence(ids.Length);
        var logits = new float[ids.Length * v];
        m.Forward(ids.Take(prompt).Select((t, i) => new BatchRow(t, i, seq)).ToArray(), logits.AsSpan(0, prompt * v));
        for (int i = prompt; i < ids.Length; i++) m.Forward([new BatchRow(ids[i], i, seq)], logits.AsSpan(i * v, v));
        return logits;
    }

    static float[] FastLogits(string path, int[] ids)
    {
        using var m = InferenceModel.Load(path, new InferenceOptions { Threads = 2 });
        var seq = m.NewSequence(ids.Length);
        var logits = new float[ids.Length * m.Config.VocabSize];
        m.Forward(ids.Select((t, i) => new BatchRow(t, i, seq)).ToArray(), logits);
        return logits;
    }

    [Theory]
    [InlineData("qwen2-tied")]
    [InlineData("llama3-scaled")]
    [InlineData("v3-qlora-yarn-mtp")]
    [InlineData("v2-group-limited")]
    public void F32_gguf_matches_safetensors(string model)
    {
        var golden = Golden.Read(model);
        var gguf = ToGguf(model, GgmlType.F32);
        var fast = FastLogits(gguf, golden.Ids);
        var reference = Transformer.Load(gguf);
        var refLogits = reference.Forward(golden.Ids, reference.NewCache(golden.Ids.Length));
        var original = Transformer.Load(Fixtures.Path("models", model));
        var origLogits = original.Forward(golden.Ids, original.NewCache(golden.Ids.Length));
        float dRef = Golden.MaxAbsDiff(refLogits, origLogits), dFast = Golden.MaxAbsDiff(fast, origLogits);
        output.WriteLine($"{model}: GGUF f32 vs safetensors: reference path {dRef:E2}, fast path {dFast:E2}");
        Assert.True(dRef <= 1e-5f, $"reference path {dRef}");
        Assert.True(dFast <= 1e-4f, $"fast path {dFast}");
    }

    // Bounds: random tiny weights have no structure, so the logit error is the raw per-weight rounding error carried
    // through the layers (Q4_0 ≈ 0.1 per weight). Rows shorter than 256 cannot hold Q4_K blocks and fall back to
    // Q5_0 as llama.cpp's quantizer does (measured: v3-f32 0.196, its MoE routing flips; llama3-scaled 0.072), so Q4_K
    // here mostly exercises the fallback plumbing; the Q4_K arithmetic itself is tested bit-exactly in SharpSeek.Tensors.Tests.
    [Theory]
    [InlineData("v3-f32", GgmlType.F16, 0.002)]
    [InlineData("v3-f32", GgmlType.Q8_0, 0.03)]
    [InlineData("v3-f32", GgmlType.Q4_0, 0.25)]
    [InlineData("v3-f32", GgmlType.Q4_K, 0.25)]
    [InlineData("llama3-scaled", GgmlType.Q8_0, 0.03)]
    [InlineData("llama3-scaled", GgmlType.Q4_K, 0.1)]
    public void Quantized_gguf_stays_close_to_fp32(string model, GgmlType type, double bound)
    {
        var ids = Golden.Read(model).Ids;
        var reference = FastLogits(Fixtures.Path("models", model), ids);
        var quant = FastLogits(ToGguf(model, type), ids);
        double num = 0, den = 0;
        for (int i = 0; i < reference.Length; i++) { num += Math.Pow(quant[i] - reference[i], 2); den += Math.Pow(reference[i], 2); }
        double err = Math.Sqrt(num / den);
        output.WriteLine($"{model} {type}: normalized logit error vs fp32 = {err:E3} (bound {bound})");
        Assert.True(err < bound, $"{err}");
        Assert.True(err > 0);
    }

    // Q4_0/Q8_0 projections held interleaved by groups of 16 rows and F16 in panels of 32 (the kernels' layouts, made at load)
    // give the logits of the file's row-major layout: a prompt in one batch (prefill) and then one token at a time (decode).
    [Theory]
    [InlineData("v3-f32", GgmlType.Q4_0)]
    [InlineData("llama3-scaled", GgmlType.Q4_0)]
    [InlineData("v3-f32", GgmlType.Q8_0)]
    [InlineData("v3-f32", GgmlType.F16)]
    [InlineData("llama3-scaled", GgmlType.F16)]
    public void Interleaved_layout_gives_the_logits_of_the_plain_layout(string model, GgmlType type)
    {
        var ids = Golden.Read(model).Ids;
        var path = ToGguf(model, type);
        float[] Run(bool interleave)
        {
            var source = GgufWeights.Open(path);
            source.Interleave = interleave;
            return PrefillThenDecode(source, source.Config, ids);
        }
        if (Quant.Interleaves(type))
        {
            using var s = GgufWeights.Open(path);
            Assert.True(s.Projection("model.layers.0.self_attn.o_proj.weight").Interleaved);
        }
        AssertInterleavedMatchesPlain($"{model} {type}", Run, 1e-4);
    }

    // A safetensors checkpoint in bf16 or f16 (the R1-Distill releases' form) has its projections interleaved at load
    // like GGUF's; its logits stay those of the mapped row-major layout within 1e-5 of the logit scale (decode rows
    // sum in another order).
    [Theory]
    [InlineData("v3-f32", "bf16")]
    [InlineData("llama3-scaled", "bf16")]
    [InlineData("llama3-scaled", "f16")]
    public void Safetensors_half_projections_interleaved_give_the_plain_logits(string model, string dtype)
    {
        var ids = Golden.Read(model).Ids;
        string dir = Path.Combine(Directory.CreateTempSubdirectory("sharpseek-cast-").FullName, model);
        HfCast.Run(Fixtures.Path("models", model), dir, HfCast.OutTypes[dtype]);
        float[] Run(bool interleave)
        {
            var (source, config) = TensorSources.Open(dir);
            ((SafetensorsSource)source).Interleave = interleave;
            return PrefillThenDecode(source, config, ids);
        }
        if (Quant.Interleaves(GgmlType.BF16))
        {
            var (s, _) = TensorSources.Open(dir);
            using (s) Assert.True(s.Projection("model.layers.0.self_attn.o_proj.weight").Interleaved);
        }
        AssertInterleavedMatchesPlain($"{model} {dtype}", Run, 1e-5);
    }

    /// <summary>run(interleave) gives logits; the interleaved layout's stay within tolerance × the plain logits' scale.</summary>
    void AssertInterleavedMatchesPlain(string label, Func<bool, float[]> run, double tolerance)
    {
        var plain = run(false);
        var interleaved = run(true);
        double scale = plain.Max(Math.Abs);
        float d = Golden.MaxAbsDiff(plain, interleaved);
        output.WriteLine($"{label}: max |interleaved − plain| = {d:E2} (logit scale {scale:F2})");
        Assert.True(d <= tolerance * scale, $"{d}");
    }
}
