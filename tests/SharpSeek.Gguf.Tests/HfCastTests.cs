// HF → HF casts on the fixture models against PyTorch's golden logits: FP8 dequantized to f32 gives the reference
// logits, to bf16 the reference's "FP8 weights rounded to bf16 at load" logits; shards keep their names and index.
using System.Text.Json;
using SharpSeek.Cli.Verbs;
using SharpSeek.Formats;
using SharpSeek.Model;
using SharpSeek.Model.Convert;
using SharpSeek.Tensors;
using SharpSeek.Tests;
using Xunit;

namespace SharpSeek.Gguf.Tests;

[Collection("Console")]
public class HfCastTests
{
    const float Tolerance = 1e-4f;   // golden.json's

    static float WorstLogit(string folder, int[] ids, float[][] expected)
    {
        var m = Transformer.Load(folder);
        int v = m.Config.VocabSize;
        var logits = m.Forward(ids, m.NewCache(ids.Length));
        float worst = 0;
        for (int t = 0; t < ids.Length; t++) worst = MathF.Max(worst, Golden.MaxAbsDiff(logits.AsSpan(t * v, v), expected[t]));
        return worst;
    }

    [Fact]
    public void Fp8_to_f32_drops_the_scales_and_matches_the_reference_logits()
    {
        using var dir = new TempDir();
        string src = Fixtures.Path("models", "v3-fp8"), dst = dir.File("f32");
        var report = HfCast.Run(src, dst, DType.F32);

        using var ckpt = Checkpoint.Open(dst);
        Assert.DoesNotContain(ckpt.Names, n => n.EndsWith(Checkpoint.ScaleSuffix));
        Assert.All(ckpt.Names, n => Assert.Equal(DType.F32, ckpt.Info(n).DType));
        Assert.Contains(report.Notes, n => n.Contains("FP8"));
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dst, "config.json"))))
        {
            Assert.False(config.RootElement.TryGetProperty("quantization_config", out _));
            Assert.Equal("float32", config.RootElement.GetProperty("torch_dtype").GetString());
        }
        var golden = Golden.Read("v3-fp8");
        Assert.True(WorstLogit(dst, golden.Ids, golden.Logits) <= Tolerance);
    }

    [Fact]
    public void Fp8_to_bf16_is_the_reference_bf16_dequantization()
    {
        using var dir = new TempDir();
        string src = Fixtures.Path("models", "v3-fp8"), dst = dir.File("bf16");
        HfCast.Run(src, dst, DType.BF16);

        using var original = Checkpoint.Open(src);
        using var cast = Checkpoint.Open(dst);
        foreach (var name in cast.Names)
        {
            var info = cast.Info(name);
            Assert.Equal(info.Shape.Length >= 2 ? DType.BF16 : DType.F32, info.DType);
            var want = original.ReadFloat32(name);
            if (info.DType == DType.BF16)
                for (int i = 0; i < want.Length; i++) want[i] = Dtypes.Bf16ToF32(Dtypes.F32ToBf16(want[i]));
            Assert.Equal(want, cast.ReadFloat32(name));
        }
        var golden = Golden.Read("v3-fp8");
        Assert.NotNull(golden.LogitsIfBf16);
        float worst = WorstLogit(dst, golden.Ids, golden.LogitsIfBf16!);
        Assert.True(worst <= Tolerance, $"max |Δlogit| {worst}");
    }

    [Fact]
    public void Sharded_checkpoints_keep_their_shards_and_index()
    {
        using var dir = new TempDir();
        string src = Fixtures.Path("models", "v3-sharded"), dst = dir.File("bf16");
        var report = HfCast.Run(src, dst, DType.BF16);

        var shards = Directory.GetFiles(src, "*.safetensors").Select(Path.GetFileName).Order();
        Assert.Equal(shards, Directory.GetFiles(dst, "*.safetensors").Select(Path.GetFileName).Order());
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(dst, "model.safetensors.index.json")));
        var map = index.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        using var ckpt = Checkpoint.Open(dst);
        Assert.Equal(ckpt.Names.Order(), map.Keys.Order());
        foreach (var name in ckpt.Names) Assert.Equal(Path.GetFileName(ckpt.FileOf(name).Path), map[name]);
        Assert.Equal(report.Bytes, index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
        Assert.Equal(report.Bytes, ckpt.Names.Sum(n => ckpt.Info(n).Length));
        Assert.Equal(report.Tensors, ckpt.Count);
    }

    [Fact]
    public void Cli_casts_folder_to_folder_and_refuses_what_it_cannot_do()
    {
        using var dir = new TempDir();
        string src = ConvertTests.ModelWithTokenizer(dir, "v3-qlora-yarn-mtp"), dst = dir.File("bf16");
        var (code, stdout, stderr) = ConvertCliTests.Run(ConvertVerb.Create(), "convert", "--model", src, "--out", dst, "--type", "bf16", "--json");
        Assert.True(code == 0, stderr);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.True(doc.RootElement.GetProperty("tokenizer").GetBoolean());
            Assert.True(doc.RootElement.GetProperty("types").GetProperty("BF16").GetInt32() > 0);
        }
        Assert.True(File.Exists(Path.Combine(dst, "tokenizer.json")));
        Assert.Equal(File.ReadAllText(Path.Combine(src, "tokenizer.json")), File.ReadAllText(Path.Combine(dst, "tokenizer.json")));

        (code, _, stderr) = ConvertCliTests.Run(ConvertVerb.Create(), "convert", "--model", src, "--out", dst, "--type", "bf16");
        Assert.Equal(1, code);
        Assert.Contains("not empty", stderr);
        (code, _, stderr) = ConvertCliTests.Run(ConvertVerb.Create(), "convert", "--model", src, "--out", src, "--type", "f16");
        Assert.Equal(1, code);
        Assert.Contains("is the input folder", stderr);
        (code, _, stderr) = ConvertCliTests.Run(ConvertVerb.Create(), "convert", "--model", src, "--out", dir.File("q"), "--type", "q8_0");
        Assert.Equal(1, code);
        Assert.Contains("quantized types go to a .gguf", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
