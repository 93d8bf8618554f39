// Randomized corruption (seeded, so failures reproduce): truncate a valid checkpoint at every offset of its
// length prefix and header and at many offsets in the data, and overwrite random header bytes. Opening and
// reading every tensor (bytes and f32, FP8 dequant included) must succeed or throw CheckpointException —
// no other exception type — and the whole run must stay fast (no hang, no huge allocation).
using System.Diagnostics;
using SharpSeek.Formats;
using Tensor = SharpSeek.Formats.SafetensorsWriter.Tensor;

namespace SharpSeek.Formats.Tests;

public class CorruptionTests
{
    static byte[] ValidFile(TempDir dir)
    {
        var rng = new Random(11);
        byte[] Bytes(int n) { var b = new byte[n]; rng.NextBytes(b); return b; }
        var fp8 = Bytes(130 * 3);
        for (int i = 0; i < fp8.Length; i++) fp8[i] &= 0x77;                    // finite codes
        string path = dir.File("valid.safetensors");
        SafetensorsWriter.Write(path,
        [
            Tensor.FromFloat32("model.norm.weight", [8], Enumerable.Range(0, 8).Select(i => i * 0.5f).ToArray()),
            Tensor.FromFloat32("model.embed_tokens.weight", [4, 6], new float[24], DType.BF16),
            Tensor.FromFloat32("lm_head.weight", [6, 4], new float[24], DType.F16),
            new Tensor("model.layers.0.mlp.down_proj.weight", DType.F8_E4M3, [130, 3], fp8),
            Tensor.FromFloat32("model.layers.0.mlp.down_proj.weight_scale_inv", [2, 1], [0.5f, 0.25f]),
            new Tensor("position_ids", DType.I64, [3], Bytes(24)),
            new Tensor("mask", DType.BOOL, [5], new byte[5]),
        ], new Dictionary<string, string> { ["step"] = "7" });
        return File.ReadAllBytes(path);
    }

    // Open + read everything; returns the outcome, fails the test on any exception but CheckpointException.
    static string OpenAndReadAll(string path, string what)
    {
        try
        {
            using var ckpt = Checkpoint.Open(path);
            foreach (var name in ckpt.Names.ToList())
            {
                _ = ckpt.Bytes(name).Length;
                try { _ = ckpt.ReadFloat32(name); }
                catch (CheckpointException) { }                                  // e.g. I64, or an FP8 tensor whose scale broke
            }
            return "ok";
        }
        catch (CheckpointException e)
        {
            Assert.Contains("valid.safetensors", e.Message);
            return "error";
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of CheckpointException: {e.Message}");
            return "";
        }
    }

    [Fact]
    public void Truncation_AtEveryHeaderOffset_AndManyDataOffsets()
    {
        using var dir = new TempDir();
        byte[] valid = ValidFile(dir);
        long dataStart = 8 + BitConverter.ToInt64(valid, 0);
        var rng = new Random(5);
        var cuts = Enumerable.Range(0, (int)dataStart + 1)
            .Concat(Enumerable.Range(0, 300).Select(_ => rng.Next((int)dataStart, valid.Length)))
            .Append(valid.Length - 1);
        string path = dir.File("valid.safetensors");
        var watch = Stopwatch.StartNew();
        int errors = 0;
        foreach (int cut in cuts)
        {
            File.WriteAllBytes(path, valid[..cut]);
            if (OpenAndReadAll(path, $"truncated at {cut} of {valid.Length}") == "error") errors++;
        }
        Assert.True(errors > dataStart, $"only {errors} truncations were rejected");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }

    [Fact]
    public void RandomHeaderByteChanges()
    {
        using var dir = new TempDir();
        byte[] valid = ValidFile(dir);
        int dataStart = 8 + (int)BitConverter.ToInt64(valid, 0);
        var rng = new Random(2024);
        byte[] interesting = "0123456789[]{},:\"-. eE".Select(c => (byte)c).ToArray();
        string path = dir.File("valid.safetensors");
        var watch = Stopwatch.StartNew();
        var outcomes = new Dictionary<string, int> { ["ok"] = 0, ["error"] = 0 };
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            byte[] bytes = (byte[])valid.Clone();
            int changes = rng.Next(1, 4);
            for (int c = 0; c < changes; c++)
            {
                int at = rng.Next(0, dataStart);
                bytes[at] = rng.Next(3) switch
                {
                    0 => (byte)(bytes[at] ^ (1 << rng.Next(8))),                 // one bit flipped
                    1 => interesting[rng.Next(interesting.Length)],              // a JSON-meaningful byte
                    _ => (byte)rng.Next(256),
                };
            }
            File.WriteAllBytes(path, bytes);
            outcomes[OpenAndReadAll(path, $"iteration {iteration} (seed 2024)")]++;
        }
        Assert.True(outcomes["error"] > 1000, $"only {outcomes["error"]} of 3000 corruptions were rejected");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"took {watch.Elapsed}");
    }
}
