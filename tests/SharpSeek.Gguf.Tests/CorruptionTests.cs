// Seeded random damage to a real GGUF (truncations and byte flips): opening and reading every tensor either
// works or throws CheckpointException — never another exception, a hang, or a giant allocation.
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors;
using Xunit;

namespace SharpSeek.Gguf.Tests;

public class CorruptionTests
{
    static byte[] Original()
    {
        using var dir = new TempDir();
        string path = dir.File("o.gguf");
        var w = new GgufWriter();
        w.Set("general.architecture", "qwen2").Set("qwen2.block_count", 2u);
        w.Set("tokenizer.ggml.tokens", GgufValue.Strings(Enumerable.Range(0, 40).Select(i => $"tok{i}").ToArray()));
        w.Set("tokenizer.ggml.token_type", GgufValue.Int32s(Enumerable.Repeat(1, 40).ToArray()));
        w.Set("nested", GgufValue.Array(new GgufArray(GgufValueType.Array, new[] { new GgufArray(GgufValueType.UInt16, new ushort[] { 1, 2 }) })));
        w.AddFloat32("token_embd.weight", GgmlType.F32, [8, 16], () => new float[128]);
        w.AddFloat32("blk.0.attn_norm.weight", GgmlType.F32, [16], () => new float[16]);
        w.AddFloat32("blk.0.ffn_up.weight", GgmlType.F16, [4, 16], () => new float[64]);
        w.Write(path);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void Random_truncations_and_flips_only_raise_CheckpointException()
    {
        var original = Original();
        var rng = new Random(1234);
        using var dir = new TempDir();
        int opened = 0, rejected = 0;
        for (int trial = 0; trial < 600; trial++)
        {
            var bytes = (byte[])original.Clone();
            if (trial % 3 == 0) bytes = bytes[..rng.Next(bytes.Length)];
            int flips = 1 + rng.Next(4);
            for (int k = 0; k < flips && bytes.Length > 0; k++)
            {
                // Bias flips toward the header, where the structure lives.
                int at = rng.Next(2) == 0 ? rng.Next(Math.Min(bytes.Length, 700)) : rng.Next(bytes.Length);
                bytes[at] = rng.Next(3) switch { 0 => (byte)rng.Next(256), 1 => 0xFF, _ => (byte)(bytes[at] ^ (1 << rng.Next(8))) };
            }
            string path = dir.Write($"c{trial}.gguf", bytes);
            try
            {
                using var f = GgufFile.Open(path);
                foreach (var t in f.TensorList)
                    if (GgmlCodec.CanDecode(t.Type) && t.ElementCount < 1_000_000) f.ReadFloat32(t.Name);
                opened++;
            }
            catch (CheckpointException) { rejected++; }
            File.Delete(path);
        }
        Assert.True(rejected > 100 && opened > 10, $"opened {opened}, rejected {rejected}");
    }
}
