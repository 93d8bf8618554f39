// Files made by llama.cpp load in SharpSeek: tests/fixtures/gguf/llamacpp holds llama-quantize outputs (Q4_K_M: Q4_K +
// Q6_K, Q8_0, Q5_0 and Q5_1 with a Q6_K output) of the InteropModels converted by SharpSeek to F16. Each tensor must come back close to the weights it
// was made from, and the logits close to the f32 model's. README.md there says which llama.cpp commit made them.
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;
using SharpSeek.Model;
using SharpSeek.Model.Convert;
using SharpSeek.Model.Inference;
using SharpSeek.Tensors;
using SharpSeek.Tests;
using Xunit;

namespace SharpSeek.Gguf.Tests;

public class LlamaCppInteropTests
{
    static double NormalizedError(float[] a, float[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (double)(a[i] - b[i]); den += a[i] * (double)a[i]; }
        return Math.Sqrt(num / Math.Max(den, 1e-30));
    }

    /// <summary>Regenerates the inputs of the fixtures: SHARPSEEK_WRITE_INTEROP=DIR dotnet test --filter Write_interop_inputs.</summary>
    [Fact]
    public void Write_interop_inputs()
    {
        string? dir = Environment.GetEnvironmentVariable("SHARPSEEK_WRITE_INTEROP");
        if (string.IsNullOrEmpty(dir)) return;
        foreach (var name in InteropModels.Names)
        {
            string hf = InteropModels.Write(dir, name);
            GgufConvert.ToGguf(hf, Path.Combine(dir, $"{name}-F16.gguf"), GgmlType.F16);
        }
    }

    /// <summary>
    /// The strongest check: each tensor llama-quantize wrote equals, byte for byte, SharpSeek's own quantization of the same
    /// F16 tensor (same names, same layout: permuted q/k, split kv_b, stacked experts) — file layout and kernels agree.
    /// </summary>
    [Theory]
    [InlineData("llama-256-Q4_K_M.gguf")]
    [InlineData("llama-256-Q8_0.gguf")]
    [InlineData("llama-256-Q5_0.gguf")]
    [InlineData("llama-256-Q5_1.gguf")]
    [InlineData("deepseek2-256-Q4_K_M.gguf")]
    public void Llama_cpp_quantized_bytes_equal_ours(string file)
    {
        string model = file[..file.LastIndexOf('-')];
        using var dir = new TempDir();
        string f16 = dir.File("f16.gguf");
        GgufConvert.ToGguf(InteropModels.Write(dir.Path, model), f16, GgmlType.F16);
        using var ours = GgufFile.Open(f16);
        using var theirs = GgufFile.Open(Fixtures.Path("gguf", "llamacpp", file));
        Assert.Equal(ours.TensorList.Select(t => t.Name).Order(), theirs.TensorList.Select(t => t.Name).Order());
        int quantized = 0;
        foreach (var t in theirs.TensorList)
        {
            Assert.Equal(ours.Info(t.Name).Dims, t.Dims);
            if (t.Type is GgmlType.F32 or GgmlType.F16) continue;
            var bytes = GgmlCodec.Encode(t.Type, ours.ReadFloat32(t.Name));
            Assert.True(bytes.AsSpan().SequenceEqual(theirs.Bytes(t.Name)), $"{t.Name} {t.TypeName} differs from SharpSeek's quantization");
            quantized++;
        }
        Assert.True(quantized > 5);
    }

    [Theory]
    [InlineData("llama-256-Q4_K_M.gguf", 0.12, 0.15)]
    [InlineData("llama-256-Q8_0.gguf", 0.01, 0.02)]
    [InlineData("llama-256-Q5_0.gguf", 0.05, 0.15)]    // measured: 0.106 (Q4_K_M: ~0.1)
    [InlineData("llama-256-Q5_1.gguf", 0.05, 0.12)]    // measured: 0.076
    [InlineData("deepseek2-256-Q4_K_M.gguf", 0.12, 0.4)]   // MoE routing flips under 4-bit weights: larger logit error (greedy tokens still match llama.cpp's)
    public void Llama_cpp_quantized_files_load_with_the_original_weights(string file, double tensorBound, double logitBound)
    {
        string path = Fixtures.Path("gguf", "llamacpp", file);
        string model = file[..file.LastIndexOf('-')];
        using var dir = new TempDir();
        string hf = InteropModels.Write(dir.Path, model);
        using var ckpt = Checkpoint.Open(hf);
        using (var g = GgufWeights.Open(path))
        {
            Assert.Equal(ModelConfig.Load(Path.Combine(hf, "config.json")).NumHiddenLayers, g.Config.NumHiddenLayers);
            var types = g.Names.Select(g.StoredType).ToHashSet();
            if (file.Contains("Q4_K_M")) { Assert.Contains("Q4_K", types); Assert.Contains("Q6_K", types); }
            if (file.Contains("Q5_")) Assert.Contains(file[^9..^5], types);
            foreach (var name in ckpt.Names)
            {
                var want = ckpt.ReadFloat32(name);
                var got = g.ReadFloat32(name);
                double err = NormalizedError(want, got);
                Assert.True(err < (ckpt.Info(name).Shape.Length == 1 ? 1e-6 : tensorBound), $"{name} ({g.StoredType(name)}): {err:g3}");
            }
        }
        string back = dir.File("back");
        GgufConvert.ToHf(path, back);
        var a = Transformer.Load(hf);
        var b = Transformer.Load(back);
        int[] ids = [0, 5, 17, 42, 9, 88, 3];
        var la = a.Forward(ids, a.NewCache(16));
        var lb = b.Forward(ids, b.NewCache(16));
        Assert.True(NormalizedError(la, lb) < logitBound, $"logits {NormalizedError(la, lb):g3}");
    }

    /// <summary>
    /// The fast path runs straight from the llama.cpp file: WeightMatrix keeps the stored Q5_0 / Q5_1 / Q8_0 / Q4_K rows and
    /// MatVec/MatMul dot them with quantized activations. Logits within `fastBound` of the reference path on the same
    /// file's dequantized weights (activation quantization only) and within `logitBound` of the f32 originals.
    /// </summary>
    [Theory]
    [InlineData("llama-256-Q5_0.gguf", 0.02, 0.15)]
    [InlineData("llama-256-Q5_1.gguf", 0.02, 0.12)]
    [InlineData("llama-256-Q8_0.gguf", 0.02, 0.02)]
    public void Llama_cpp_quantized_files_run_on_the_fast_path(string file, double fastBound, double logitBound)
    {
        string path = Fixtures.Path("gguf", "llamacpp", file);
        using var dir = new TempDir();
        string hf = InteropModels.Write(dir.Path, file[..file.LastIndexOf('-')]);
        int[] ids = [0, 5, 17, 42, 9, 88, 3];
        float[] fast;
        using (var m = InferenceModel.Load(path, new InferenceOptions { Threads = 2 }))
        {
            var seq = m.NewSequence(ids.Length);
            fast = new float[ids.Length * m.Config.VocabSize];
            m.Forward(ids.Select((t, i) => new BatchRow(t, i, seq)).ToArray(), fast);
        }
        var dequantized = Transformer.Load(path);
        var slow = dequantized.Forward(ids, dequantized.NewCache(16));
        var original = Transformer.Load(hf);
        var exact = original.Forward(ids, original.NewCache(16));
        Assert.True(NormalizedError(slow, fast) < fastBound, $"fast vs dequantized reference {NormalizedError(slow, fast):g3}");
        Assert.True(NormalizedError(exact, fast) < logitBound, $"fast vs f32 original {NormalizedError(exact, fast):g3}");
    }
}
