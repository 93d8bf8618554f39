// Quantized GGUF files: q8_0 / q4_0 / q4_k conversion, reading back within each type's known error, the fast
// path's typed matrices (pointing into the map, or reordered rows for llama q/k) equal to the f32 reads, and
// logits of a Q8_0 file near the f32 ones.
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;
using SharpSeek.Model;
using SharpSeek.Model.Convert;
using SharpSeek.Tensors;
using Xunit;

namespace SharpSeek.Gguf.Tests;

public class QuantizedTests
{
    /// <summary>‖a − b‖ / ‖a‖.</summary>
    static double NormalizedError(float[] a, float[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (double)(a[i] - b[i]); den += a[i] * (double)a[i]; }
        return Math.Sqrt(num / Math.Max(den, 1e-30));
    }

    [Theory]
    [InlineData("q8_0", 0.01)]     // 8-bit blocks of 32: ~0.3 % on Gaussian weights
    [InlineData("q4_0", 0.15)]     // 4-bit blocks of 32: ~10 %
    [InlineData("q4_k", 0.06)]     // rows of 64/128 do not split into 256-blocks: falls back to Q5_0 (~4 %), as llama-quantize does
    public void Quantized_conversion_reads_back_within_the_types_error(string type, double bound)
    {
        using var dir = new TempDir();
        string src = ConvertTests.ModelWithTokenizer(dir, "llama3-scaled"), gguf = dir.File("m.gguf");
        var report = GgufConvert.ToGguf(src, gguf, GgufConvert.OutTypes[type]);
        using var ckpt = Checkpoint.Open(src);
        using var g = GgufWeights.Open(gguf);
        using (var f = GgufFile.Open(gguf)) Assert.Equal(2, f.GetInt("general.quantization_version"));
        foreach (var name in ckpt.Names)
        {
            var want = ckpt.ReadFloat32(name);
            var got = g.ReadFloat32(name);
            if (ckpt.Info(name).Shape.Length == 1) Assert.Equal(want, got);   // norms stay F32
            else Assert.True(NormalizedError(want, got) < bound, $"{name}: {NormalizedError(want, got):g3} ≥ {bound}");
        }
        Assert.True(report.Types.ContainsKey("F32"));
    }

    [Fact]
    public void Q4_K_rows_of_256_are_Q4_K_and_round_trip_like_the_kernel()
    {
        using var dir = new TempDir();
        string path = dir.File("k.gguf");
        var rng = new Random(7);
        var values = Enumerable.Range(0, 4 * 512).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        Assert.Equal(GgmlType.Q4_K, GgufConvert.ChooseType("blk.0.ffn_up.weight", [4, 512], GgmlType.Q4_K));
        new GgufWriter().AddFloat32("blk.0.ffn_up.weight", GgmlType.Q4_K, [4, 512], () => values).Write(path);
        using var f = GgufFile.Open(path);
        Assert.Equal(4L * 2 * 144, f.Info("blk.0.ffn_up.weight").Length);
        var expected = new float[values.Length];
        var bytes = new byte[4 * 2 * 144];
        Quant.Quantize(GgmlType.Q4_K, values, bytes);
        Quant.Dequantize(GgmlType.Q4_K, bytes, expected);
        Assert.Equal(expected, f.ReadFloat32("blk.0.ffn_up.weight"));
        Assert.True(NormalizedError(values, expected) < 0.1);
    }

    [Theory]
    [InlineData("llama3-scaled", "f32")]
    [InlineData("llama3-scaled", "q8_0")]
    [InlineData("v3-qlora-yarn-mtp", "f16")]
    [InlineData("v3-qlora-yarn-mtp", "q8_0")]
    [InlineData("qwen2-tied", "f32")]
    public void Matrix_gives_the_same_rows_as_ReadFloat32(string model, string type)
    {
        using var dir = new TempDir();
        string src = ConvertTests.ModelWithTokenizer(dir, model), gguf = dir.File("m.gguf");
        GgufConvert.ToGguf(src, gguf, GgufConvert.OutTypes[type]);
        using var g = GgufWeights.Open(gguf);
        ITensorSource source = g;
        foreach (var name in source.Names.Where(n => source.Shape(n).Length == 2))
        {
            var m = source.Matrix(name);
            var all = source.ReadFloat32(name);
            var row = new float[m.Cols];
            for (int r = 0; r < m.Rows; r++)
            {
                m.Row(r, row);
                Assert.Equal(all.AsSpan(r * m.Cols, m.Cols).ToArray(), row);
            }
        }
    }

    [Fact]
    public void Q8_0_logits_stay_close_to_f32()
    {
        using var dir = new TempDir();
        string src = ConvertTests.ModelWithTokenizer(dir, "llama3-scaled"), gguf = dir.File("m.gguf"), back = dir.File("back");
        GgufConvert.ToGguf(src, gguf, GgmlType.Q8_0);
        GgufConvert.ToHf(gguf, back);
        var a = Transformer.Load(src);
        var b = Transformer.Load(back);
        int[] ids = [0, 5, 17, 42, 9, 88, 3];
        var la = a.Forward(ids, a.NewCache(16));
        var lb = b.Forward(ids, b.NewCache(16));
        Assert.True(NormalizedError(la, lb) < 0.02, $"normalized logit error {NormalizedError(la, lb):g3}");
    }
}
