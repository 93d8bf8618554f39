// Real checkpoints from tools/make_fixtures.py (PyTorch): the same tiny DeepSeek-V3 stored as F32, BF16,
// F16 and FP8 (F8_E4M3 + 128×128 weight_scale_inv, ragged blocks), plus a sharded one. ReadFloat32 of
// each must give the f32 weights as torch rounded them; FP8 must dequantize close to the f32 weights.
// If these fail after a format change, rerun: /usr/bin/python3 tools/make_fixtures.py
using SharpSeek.Formats;
using SharpSeek.Tensors;
using SharpSeek.Tests;

namespace SharpSeek.Formats.Tests;

public class FixtureModelTests
{
    static Checkpoint OpenModel(string name)
    {
        string dir = Fixtures.Path("models", name);
        Assert.True(Directory.Exists(dir), $"fixture {dir} is missing; run /usr/bin/python3 tools/make_fixtures.py");
        return Checkpoint.Open(dir);
    }

    [Fact]
    public void V3Bf16_IsTheF32ModelRoundedToBf16()
    {
        using var f32 = OpenModel("v3-f32");
        using var bf16 = OpenModel("v3-bf16");
        Assert.Equal(f32.Names.Order(), bf16.Names.Order());
        foreach (var name in f32.Names)
        {
            Assert.Equal(DType.BF16, bf16.Info(name).DType);
            var expected = f32.ReadFloat32(name).Select(v => Dtypes.Bf16ToF32(Dtypes.F32ToBf16(v))).ToArray();
            Assert.Equal(expected, bf16.ReadFloat32(name));
        }
    }

    [Fact]
    public void V3F16_IsTheF32ModelRoundedToF16()
    {
        using var f32 = OpenModel("v3-f32");
        using var f16 = OpenModel("v3-f16");
        Assert.Equal(f32.Names.Order(), f16.Names.Order());
        foreach (var name in f32.Names)
        {
            Assert.Equal(DType.F16, f16.Info(name).DType);
            var expected = f32.ReadFloat32(name).Select(v => Dtypes.F16ToF32(Dtypes.F32ToF16(v))).ToArray();
            Assert.Equal(expected, f16.ReadFloat32(name));
        }
    }

    // Normalized error ‖dequant(w8) − w‖ / ‖w‖ per FP8 weight. e4m3 keeps 3 mantissa bits (relative step
    // 2^-4 at worst, ~2.5% rms for these weights); bound 0.07.
    [Fact]
    public void V3Fp8_DequantizesCloseToTheF32Weights()
    {
        using var f32 = OpenModel("v3-f32");
        using var fp8 = OpenModel("v3-fp8");
        int fp8Count = 0;
        foreach (var name in f32.Names)
        {
            var w = f32.ReadFloat32(name);
            var info = fp8.Info(name);
            var got = fp8.ReadFloat32(name);
            switch (info.DType)
            {
                case DType.F8_E4M3:
                    fp8Count++;
                    double err = Math.Sqrt(w.Zip(got, (a, b) => (double)(a - b) * (a - b)).Sum());
                    double norm = Math.Sqrt(w.Sum(a => (double)a * a));
                    Assert.True(err / norm < 0.07, $"{name}: normalized error {err / norm:F4}");
                    var scale = fp8.Info(name + Checkpoint.ScaleSuffix);
                    Assert.Equal([(info.Shape[0] + 127) / 128, (info.Shape[1] + 127) / 128], scale.Shape);
                    break;
                case DType.BF16:
                    Assert.Equal(w.Select(v => Dtypes.Bf16ToF32(Dtypes.F32ToBf16(v))), got);
                    break;
                default:
                    Assert.Equal(w, got);
                    break;
            }
        }
        Assert.True(fp8Count >= 10, $"only {fp8Count} FP8 weights in v3-fp8");
        Assert.Contains(fp8.Names, n => fp8.Info(n).DType == DType.F8_E4M3 && (fp8.Info(n).Shape[0] % 128 != 0 || fp8.Info(n).Shape[1] % 128 != 0));
    }

    // Our encoder against the script's: re-quantizing the f32 weights with scale_inv = amax/448 and
    // F32ToFp8E4M3 gives the stored codes (the script divides in f64, we round the quotient to f32 first,
    // so a code may differ by one step in rare double-rounding cases).
    [Fact]
    public void V3Fp8_CodesMatchOurEncoder()
    {
        using var f32 = OpenModel("v3-f32");
        using var fp8 = OpenModel("v3-fp8");
        long total = 0, differing = 0;
        foreach (var name in fp8.Names.Where(n => fp8.Info(n).DType == DType.F8_E4M3))
        {
            var w = f32.ReadFloat32(name);
            var codes = fp8.Bytes(name);
            var scales = fp8.ReadFloat32(name + Checkpoint.ScaleSuffix);
            int rows = (int)fp8.Info(name).Shape[0], cols = (int)fp8.Info(name).Shape[1], bc = (cols + 127) / 128;
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    float s = scales[i / 128 * bc + j / 128];
                    byte mine = Dtypes.F32ToFp8E4M3((float)(w[i * cols + j] / (double)s));
                    byte stored = codes[i * cols + j];
                    total++;
                    if (mine == stored) continue;
                    differing++;
                    Assert.True(Math.Abs((mine & 0x7F) - (stored & 0x7F)) == 1 && (mine & 0x80) == (stored & 0x80),
                        $"{name}[{i},{j}]: ours {mine:X2}, stored {stored:X2}");
                }
        }
        Assert.True(differing <= total / 1000, $"{differing} of {total} codes differ");
    }

    [Fact]
    public void V3Sharded_OpensThroughItsIndex()
    {
        using var ckpt = OpenModel("v3-sharded");
        Assert.True(ckpt.Files.Count > 1);
        Assert.NotNull(ckpt.ConfigPath);
        foreach (var name in ckpt.Names) Assert.Equal(ckpt.Info(name).ElementCount, ckpt.ReadFloat32(name).Length);
    }

    [Fact]
    public void EveryFixtureModel_OpensAndReads()
    {
        var dirs = Directory.GetDirectories(Fixtures.Path("models"));
        Assert.NotEmpty(dirs);
        foreach (var dir in dirs)
        {
            using var ckpt = Checkpoint.Open(dir);
            Assert.NotEmpty(ckpt.Names);
            foreach (var name in ckpt.Names)
                if (ckpt.Info(name).DType is DType.F32 or DType.BF16 or DType.F16 or DType.F8_E4M3)
                    Assert.All(ckpt.ReadFloat32(name), v => Assert.True(float.IsFinite(v), $"{dir}: {name}"));
        }
    }
}
