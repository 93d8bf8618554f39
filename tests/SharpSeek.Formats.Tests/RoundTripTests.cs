// Write → read round trips through SafetensorsWriter, SafetensorsFile and Checkpoint: every dtype, the
// layout (8-aligned header, contiguous data, each tensor on a multiple of its element size), metadata,
// empty files and tensors, atomic replacement, and sharded checkpoints with their index.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using SharpSeek.Formats;
using SharpSeek.Tensors;
using Tensor = SharpSeek.Formats.SafetensorsWriter.Tensor;

namespace SharpSeek.Formats.Tests;

public class RoundTripTests
{
    static Tensor RandomTensor(string name, DType dtype, long[] shape, int seed)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = new byte[count * dtype.ElementSize()];
        new Random(seed).NextBytes(data);
        if (dtype == DType.BOOL) for (int i = 0; i < data.Length; i++) data[i] &= 1;
        return new Tensor(name, dtype, shape, data);
    }

    [Theory]
    [InlineData(DType.F64)] [InlineData(DType.F32)] [InlineData(DType.F16)] [InlineData(DType.BF16)]
    [InlineData(DType.F8_E4M3)] [InlineData(DType.F8_E5M2)] [InlineData(DType.I64)] [InlineData(DType.I32)]
    [InlineData(DType.I16)] [InlineData(DType.I8)] [InlineData(DType.U8)] [InlineData(DType.BOOL)]
    public void EveryDType_RoundTrips(DType dtype)
    {
        using var dir = new TempDir();
        string path = dir.File("model.safetensors");
        var tensor = RandomTensor("layer.weight", dtype, [3, 5], (int)dtype);
        SafetensorsWriter.Write(path, [tensor]);

        using var file = SafetensorsFile.Open(path);
        var info = file.Info("layer.weight");
        Assert.Equal(dtype, info.DType);
        Assert.Equal([3L, 5L], info.Shape);
        Assert.Equal(15L * dtype.ElementSize(), info.Length);
        Assert.Equal(path, info.File);
        Assert.Equal(tensor.Data.ToArray(), file.Bytes("layer.weight").ToArray());
    }

    [Fact]
    public void MixedDTypes_LayoutIsHuggingFaceCompatible_AndAligned()
    {
        using var dir = new TempDir();
        string path = dir.File("mixed.safetensors");
        Tensor[] tensors =
        [
            RandomTensor("a.u8", DType.U8, [3], 1),            // 3 bytes: would misalign what follows if kept first
            RandomTensor("b.bf16", DType.BF16, [5], 2),
            RandomTensor("c.f32", DType.F32, [7], 3),
            RandomTensor("d.f64", DType.F64, [2, 3], 4),
            RandomTensor("e.f16", DType.F16, [1], 5),
        ];
        SafetensorsWriter.Write(path, tensors);

        byte[] raw = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        Assert.Equal(0, headerLength % 8);
        using var file = SafetensorsFile.Open(path);
        var byOffset = file.Tensors.Values.OrderBy(t => t.Offset).ToList();
        long expectedOffset = 8 + headerLength;                                 // contiguous, no gaps (the Rust reader demands it)
        foreach (var t in byOffset)
        {
            Assert.Equal(expectedOffset, t.Offset);
            Assert.Equal(0, (t.Offset - 8 - headerLength) % t.DType.ElementSize());
            Assert.Equal(0, t.Offset % t.DType.ElementSize());
            expectedOffset += t.Length;
        }
        Assert.Equal(raw.Length, expectedOffset);
        foreach (var t in tensors) Assert.Equal(t.Data.ToArray(), file.Bytes(t.Name).ToArray());
    }

    [Fact]
    public void Metadata_RoundTrips_AndFormatPtIsAdded()
    {
        using var dir = new TempDir();
        string path = dir.File("m.safetensors");
        SafetensorsWriter.Write(path, [RandomTensor("x", DType.F32, [2], 1)],
            new Dictionary<string, string> { ["step"] = "120", ["note"] = "π \"quoted\"" });
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("120", file.Metadata["step"]);
        Assert.Equal("π \"quoted\"", file.Metadata["note"]);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void ZeroTensorFile_Opens()
    {
        using var dir = new TempDir();
        string path = dir.File("empty.safetensors");
        SafetensorsWriter.Write(path, []);
        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Tensors);

        string bare = dir.Write("bare.safetensors", Raw.File("{}", 0));   // the smallest valid file: 10 bytes
        using var bareFile = SafetensorsFile.Open(bare);
        Assert.Empty(bareFile.Tensors);
        Assert.Empty(bareFile.Metadata);
    }

    [Fact]
    public void EmptyAndScalarTensors_RoundTrip()
    {
        using var dir = new TempDir();
        string path = dir.File("odd.safetensors");
        SafetensorsWriter.Write(path, [RandomTensor("empty", DType.F32, [0, 4], 1), RandomTensor("scalar", DType.F32, [], 2)]);
        using var ckpt = Checkpoint.Open(path);
        Assert.Empty(ckpt.ReadFloat32("empty"));
        Assert.Single(ckpt.ReadFloat32("scalar"));
        Assert.Equal(0, ckpt.Bytes("empty").Length);
        Assert.Equal([], ckpt.Info("scalar").Shape);
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    public void FromFloat32_ReadFloat32_GivesTheRoundedValues(DType target)
    {
        using var dir = new TempDir();
        var rng = new Random(7);
        float[] values = Enumerable.Range(0, 37).Select(_ => (float)(rng.NextDouble() * 200 - 100)).ToArray();
        string path = dir.File("model.safetensors");
        SafetensorsWriter.Write(path, [Tensor.FromFloat32("w", [37], values, target)]);
        using var ckpt = Checkpoint.Open(path);
        float[] expected = target switch
        {
            DType.F32 => values,
            DType.BF16 => values.Select(v => Dtypes.Bf16ToF32(Dtypes.F32ToBf16(v))).ToArray(),
            _ => values.Select(v => (float)(Half)v).ToArray(),
        };
        Assert.Equal(expected, ckpt.ReadFloat32("w"));
        Assert.Equal(target, ckpt.Info("w").DType);
    }

    [Fact]
    public void ReadFloat32_ConvertsF64AndF8E5M2()
    {
        using var dir = new TempDir();
        double[] f64 = [1.5, -2.25, 1e-3, 3e38];
        byte[] e5m2 = [0x3C, 0xC0, 0x7C, 0x01];                 // 1, -2, inf, 2^-16
        SafetensorsWriter.Write(dir.File("model.safetensors"),
        [
            new Tensor("f64", DType.F64, [4], MemoryMarshal.AsBytes(f64.AsSpan()).ToArray()),
            new Tensor("e5m2", DType.F8_E5M2, [4], e5m2),
        ]);
        using var ckpt = Checkpoint.Open(dir.Path);
        Assert.Equal(f64.Select(d => (float)d), ckpt.ReadFloat32("f64"));
        Assert.Equal([1f, -2f, float.PositiveInfinity, MathF.ScaleB(1, -16)], ckpt.ReadFloat32("e5m2"));
    }

    [Fact]
    public void Write_IsAtomic_ReplacesTheOldFile_AndLeavesNoTempFiles()
    {
        using var dir = new TempDir();
        string path = dir.File("model.safetensors");
        SafetensorsWriter.Write(path, [Tensor.FromFloat32("w", [2], [1, 2])]);
        using (var old = SafetensorsFile.Open(path))
        {
            SafetensorsWriter.Write(path, [Tensor.FromFloat32("w", [3], [4, 5, 6])]);   // while the old one is mapped
            Assert.Equal(8, old.Bytes("w").Length);                                       // the old map still reads its file
        }
        using var ckpt = Checkpoint.Open(path);
        Assert.Equal([4f, 5f, 6f], ckpt.ReadFloat32("w"));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_RejectsInconsistentTensors_WithoutTouchingTheTarget()
    {
        using var dir = new TempDir();
        string path = dir.File("model.safetensors");
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [new Tensor("w", DType.F32, [3], new byte[8])]));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [Tensor.FromFloat32("w", [1], [1]), Tensor.FromFloat32("w", [1], [2])]));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [new Tensor("w", DType.F32, [-1], new byte[0])]));
        Assert.Throws<ArgumentException>(() => Tensor.FromFloat32("w", [2], [1, 2], DType.I32));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Sharded_RoundTrips_ThroughTheIndex()
    {
        using var dir = new TempDir();
        var tensors = Enumerable.Range(0, 10)
            .Select(i => RandomTensor($"model.layers.{i}.weight", i % 2 == 0 ? DType.BF16 : DType.F32, [16, 8], i)).ToList();
        var shards = SafetensorsWriter.WriteSharded(dir.Path, tensors, maxShardBytes: 1200);

        Assert.True(shards.Count > 1);
        for (int k = 0; k < shards.Count; k++)
            Assert.Equal($"model-{k + 1:D5}-of-{shards.Count:D5}.safetensors", Path.GetFileName(shards[k]));
        using (var index = JsonDocument.Parse(File.ReadAllBytes(dir.File("model.safetensors.index.json"))))
        {
            Assert.Equal(tensors.Sum(t => t.Data.Length), index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
            Assert.Equal(10, index.RootElement.GetProperty("weight_map").EnumerateObject().Count());
        }
        foreach (var shard in shards) Assert.True(new FileInfo(shard).Length < 1200 + 1024);

        using var ckpt = Checkpoint.Open(dir.Path);
        Assert.Equal(shards.Count, ckpt.Files.Count);
        Assert.Equal(tensors.Select(t => t.Name).Order(), ckpt.Names.Order());
        foreach (var t in tensors)
        {
            Assert.Equal(t.Data.ToArray(), ckpt.Bytes(t.Name).ToArray());
            Assert.Equal(t.DType, ckpt.Info(t.Name).DType);
        }
    }

    [Fact]
    public void Sharded_ATensorLargerThanTheLimitGetsItsOwnShard()
    {
        using var dir = new TempDir();
        var shards = SafetensorsWriter.WriteSharded(dir.Path,
            [RandomTensor("small", DType.U8, [10], 1), RandomTensor("big", DType.U8, [500], 2), RandomTensor("tail", DType.U8, [10], 3)],
            maxShardBytes: 100);
        Assert.Equal(3, shards.Count);
        using var ckpt = Checkpoint.Open(dir.File("model.safetensors.index.json"));
        Assert.Equal(500, ckpt.Bytes("big").Length);
    }

    [Fact]
    public void Checkpoint_Open_AcceptsFolderFileOrIndex_AndFindsConfig()
    {
        using var dir = new TempDir();
        SafetensorsWriter.Write(dir.File("model.safetensors"), [Tensor.FromFloat32("w", [1], [3])]);
        using (var byFolder = Checkpoint.Open(dir.Path))
        {
            Assert.Equal(dir.Path, byFolder.Directory);
            Assert.Null(byFolder.ConfigPath);
            Assert.True(byFolder.Contains("w"));
            Assert.False(byFolder.Contains("v"));
        }
        File.WriteAllText(dir.File("config.json"), "{}");
        using (var byFile = Checkpoint.Open(dir.File("model.safetensors")))
            Assert.Equal(dir.File("config.json"), byFile.ConfigPath);

        using var other = new TempDir();
        SafetensorsWriter.Write(other.File("consolidated.safetensors"), [Tensor.FromFloat32("w", [1], [3])]);
        using var single = Checkpoint.Open(other.Path);                                    // the one *.safetensors there
        Assert.Equal([3f], single.ReadFloat32("w"));
    }

    [Fact]
    public void Fp8Weights_AreDequantizedWithTheirBlockScales()
    {
        using var dir = new TempDir();
        const int rows = 130, cols = 260;                                      // ragged on both axes
        var rng = new Random(3);
        var w = new byte[rows * cols];
        rng.NextBytes(w);
        for (int i = 0; i < w.Length; i++) if ((w[i] & 0x7F) == 0x7F) w[i] = 0x38;  // no NaN codes
        float[] scales = Enumerable.Range(0, 2 * 3).Select(i => 0.001f * (i + 1)).ToArray();
        SafetensorsWriter.Write(dir.File("model.safetensors"),
        [
            new Tensor("proj.weight", DType.F8_E4M3, [rows, cols], w),
            Tensor.FromFloat32("proj.weight_scale_inv", [2, 3], scales),
            new Tensor("bf.weight", DType.F8_E4M3, [rows, cols], w),
            Tensor.FromFloat32("bf.weight_scale_inv", [2, 3], scales, DType.BF16),
        ]);
        using var ckpt = Checkpoint.Open(dir.Path);

        var expected = new float[rows * cols];
        Dtypes.DequantFp8BlocksScalar(w, scales, rows, cols, expected);
        Assert.Equal(expected, ckpt.ReadFloat32("proj.weight"));
        Assert.Equal(Dtypes.Fp8E4M3ToF32(w[^1]) * scales[5], ckpt.ReadFloat32("proj.weight")[^1]);   // last, ragged block

        var bfScales = scales.Select(s => Dtypes.Bf16ToF32(Dtypes.F32ToBf16(s))).ToArray();
        Dtypes.DequantFp8BlocksScalar(w, bfScales, rows, cols, expected);
        Assert.Equal(expected, ckpt.ReadFloat32("bf.weight"));
    }
}
