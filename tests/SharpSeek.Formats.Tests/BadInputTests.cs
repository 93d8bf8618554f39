// Every malformed input gets a CheckpointException naming the file and the field — never an
// IndexOutOfRange, Overflow, OutOfMemory or a hang. One test per case.
using System.Text;
using SharpSeek.Formats;
using Tensor = SharpSeek.Formats.SafetensorsWriter.Tensor;

namespace SharpSeek.Formats.Tests;

public class BadInputTests : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    string WriteRaw(string header, int dataBytes) => dir.Write("model.safetensors", Raw.File(header, dataBytes));

    static string Entry(string dtype, string shape, string offsets) =>
        $"{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    static CheckpointException OpenFails(string path, string? field) =>
        Assertions.Throws(path, field, () => SafetensorsFile.Open(path).Dispose());

    // ---- the file and its header length ----

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void FileShorterThan8Bytes(int length)
    {
        string path = dir.Write("model.safetensors", new byte[length]);
        var e = OpenFails(path, "header length");
        Assert.Contains($"{length} bytes", e.Message);
    }

    [Fact]
    public void HeaderLengthPastTheEndOfTheFile()
    {
        string path = dir.Write("model.safetensors", Raw.WithLengthPrefix(100, Encoding.UTF8.GetBytes("{}")));
        var e = OpenFails(path, "header length");
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 40)]
    [InlineData(100_000_001UL)]
    public void HeaderLengthAbsurd_FailsBeforeAllocating(ulong headerLength)
    {
        string path = dir.Write("model.safetensors", Raw.WithLengthPrefix(headerLength, new byte[16]));
        var e = OpenFails(path, "header length");
        Assert.Contains(headerLength.ToString(), e.Message);
    }

    [Fact]
    public void MissingFile() => OpenFails(dir.File("nope.safetensors"), null);

    // ---- the header JSON ----

    [Fact]
    public void HeaderNotUtf8()
    {
        string path = dir.Write("model.safetensors", Raw.File([(byte)'{', 0xFF, 0xFE, (byte)'}'], []));
        var e = OpenFails(path, "header");
        Assert.Contains("UTF-8", e.Message);
    }

    [Theory]
    [InlineData("{\"w\": ")]
    [InlineData("{\"w\": {\"dtype\": \"F32\",}}")]
    [InlineData("")]
    [InlineData("{'w': 1}")]
    public void HeaderNotJson(string header) => OpenFails(WriteRaw(header, 0), "header");

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    public void HeaderNotAnObject(string header)
    {
        var e = OpenFails(WriteRaw(header, 0), "header");
        Assert.Contains("JSON object", e.Message);
    }

    [Fact]
    public void HeaderWithTrailingJunk() => OpenFails(WriteRaw("{} {}", 0), "header");

    [Fact]
    public void HeaderNestedTooDeep() =>
        OpenFails(WriteRaw("{\"__metadata__\":" + new string('[', 5000) + new string(']', 5000) + "}", 0), "header");

    [Fact]
    public void HeaderPaddedWithSpaces_IsFine()
    {
        using var file = SafetensorsFile.Open(WriteRaw("{\"w\":" + Entry("F32", "[1]", "[0,4]") + "}      ", 4));
        Assert.Single(file.Tensors);
    }

    // ---- tensor entries ----

    [Fact]
    public void EntryNotAnObject()
    {
        var e = OpenFails(WriteRaw("{\"w\": [1, 2]}", 0), "w");
        Assert.Contains("must be an object", e.Message);
    }

    [Theory]
    [InlineData("dtype", "{\"shape\":[1],\"data_offsets\":[0,4]}")]
    [InlineData("shape", "{\"dtype\":\"F32\",\"data_offsets\":[0,4]}")]
    [InlineData("data_offsets", "{\"dtype\":\"F32\",\"shape\":[1]}")]
    public void EntryMissingAKey(string key, string entry)
    {
        var e = OpenFails(WriteRaw($"{{\"w\":{entry}}}", 4), "w");
        Assert.Contains($"missing \"{key}\"", e.Message);
    }

    [Theory]
    [InlineData("{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}", "dtype")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}", "shape")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}", "shape[0]")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1e30],\"data_offsets\":[0,4]}", "shape[0]")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}", "shape[0]")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,4]}", "shape[0]")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}", "data_offsets")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}", "data_offsets")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}", "data_offsets[1]")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"a\":0}}", "data_offsets")]
    [InlineData("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}", "data_offsets[0]")]
    public void EntryWithWrongTypes(string entry, string what)
    {
        var e = OpenFails(WriteRaw($"{{\"w\":{entry}}}", 4), "w");
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void EntryWithAKeyTwice() =>
        OpenFails(WriteRaw("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "w");

    [Fact]
    public void NegativeDimension()
    {
        var e = OpenFails(WriteRaw("{\"w\":" + Entry("F32", "[2,-3]", "[0,24]") + "}", 24), "w");
        Assert.Contains("shape[1]", e.Message);
        Assert.Contains("-3", e.Message);
    }

    [Fact]
    public void UnknownDType()
    {
        var e = OpenFails(WriteRaw("{\"w\":" + Entry("F4", "[2]", "[0,1]") + "}", 1), "w");
        Assert.Contains("unknown dtype \"F4\"", e.Message);
        Assert.Contains("BF16", e.Message);                                 // lists what is supported
    }

    [Fact]
    public void DTypeNamesAreCaseSensitive() => OpenFails(WriteRaw("{\"w\":" + Entry("bf16", "[2]", "[0,4]") + "}", 4), "w");

    [Fact]
    public void ShapeTimesElementSizeDiffersFromTheByteRange()
    {
        var e = OpenFails(WriteRaw("{\"w\":" + Entry("F32", "[2,2]", "[0,12]") + "}", 16), "w");
        Assert.Contains("[2, 2] of F32 needs 16 bytes", e.Message);
        Assert.Contains("hold 12", e.Message);
    }

    [Fact]
    public void ShapeProductOverflows_IsACheckpointError()
    {
        var e = OpenFails(WriteRaw("{\"w\":" + Entry("F32", "[4611686018427387904,4611686018427387904]", "[0,16]") + "}", 16), "w");
        Assert.Contains("more bytes than a file can hold", e.Message);
    }

    [Fact]
    public void OffsetsBeginAfterEnd()
    {
        var e = OpenFails(WriteRaw("{\"w\":" + Entry("F32", "[1]", "[8,4]") + "}", 16), "w");
        Assert.Contains("[8, 4]", e.Message);
    }

    [Fact]
    public void OffsetsPastTheEndOfTheDataSection()
    {
        var e = OpenFails(WriteRaw("{\"model.norm.weight\":" + Entry("F32", "[32]", "[100,228]") + "}", 200), "model.norm.weight");
        Assert.StartsWith(dir.File("model.safetensors") + ": tensor 'model.norm.weight' data_offsets [100, 228] exceed the data section (200 bytes)", e.Message);
    }

    [Fact]
    public void OffsetsHugeButConsistent_DoNotOverflow() =>
        OpenFails(WriteRaw("{\"w\":" + Entry("U8", "[9223372036854775000]", "[0,9223372036854775000]") + "}", 8), "w");

    [Fact]
    public void OverlappingTensors()
    {
        var e = OpenFails(WriteRaw("{\"a\":" + Entry("F32", "[4]", "[0,16]") + ",\"b\":" + Entry("F32", "[4]", "[8,24]") + "}", 24), "b");
        Assert.Contains("'a'", e.Message);
        Assert.Contains("overlap", e.Message);
    }

    [Fact]
    public void GapsAndZeroLengthTensors_AreNotOverlaps()
    {
        using var file = SafetensorsFile.Open(WriteRaw(
            "{\"a\":" + Entry("F32", "[2]", "[0,8]") + ",\"e\":" + Entry("F32", "[0]", "[4,4]") + ",\"b\":" + Entry("F32", "[2]", "[16,24]") + "}", 24));
        Assert.Equal(3, file.Tensors.Count);
    }

    [Fact]
    public void DuplicateTensorNames()
    {
        var e = OpenFails(WriteRaw("{\"w\":" + Entry("F32", "[1]", "[0,4]") + ",\"w\":" + Entry("F32", "[1]", "[4,8]") + "}", 8), "w");
        Assert.Contains("twice", e.Message);
    }

    [Theory]
    [InlineData("{\"__metadata__\": 5}")]
    [InlineData("{\"__metadata__\": [\"a\"]}")]
    [InlineData("{\"__metadata__\": {\"step\": 120}}")]
    [InlineData("{\"__metadata__\": {\"a\": {\"b\": \"c\"}}}")]
    [InlineData("{\"__metadata__\": {\"a\": \"b\", \"a\": \"c\"}}")]
    [InlineData("{\"__metadata__\": {}, \"__metadata__\": {}}")]
    public void MetadataNotStringToString(string header) => OpenFails(WriteRaw(header, 0), "__metadata__");

    // ---- checkpoint folders, indexes and FP8 scales ----

    [Fact]
    public void MissingTensor_NamesTheFolder()
    {
        SafetensorsWriter.Write(dir.File("model.safetensors"), [Tensor.FromFloat32("w", [1], [1])]);
        using var ckpt = Checkpoint.Open(dir.Path);
        var e = Assertions.Throws(dir.Path, "model.norm.weight", () => ckpt.Info("model.norm.weight"));
        Assert.Contains($"tensor 'model.norm.weight' not found in {dir.Path}", e.Message);
        Assertions.Throws(dir.Path, "x", () => ckpt.ReadFloat32("x"));
        Assertions.Throws(dir.Path, "x", () => ckpt.Bytes("x"));
    }

    [Fact]
    public void NoSuchPath() => Assertions.Throws(dir.File("missing"), null, () => Checkpoint.Open(dir.File("missing")));

    [Fact]
    public void FolderWithoutSafetensors()
    {
        var e = Assertions.Throws(dir.Path, null, () => Checkpoint.Open(dir.Path));
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void FolderWithSeveralFilesAndNoIndex()
    {
        SafetensorsWriter.Write(dir.File("a.safetensors"), [Tensor.FromFloat32("w", [1], [1])]);
        SafetensorsWriter.Write(dir.File("b.safetensors"), [Tensor.FromFloat32("v", [1], [1])]);
        var e = Assertions.Throws(dir.Path, null, () => Checkpoint.Open(dir.Path));
        Assert.Contains("a.safetensors, b.safetensors", e.Message);
    }

    [Fact]
    public void NotASafetensorsPath()
    {
        string path = dir.Write("model.bin", new byte[16]);
        Assertions.Throws(path, null, () => Checkpoint.Open(path));
    }

    string WriteShardsWithIndex(string weightMapJson)
    {
        SafetensorsWriter.Write(dir.File("s1.safetensors"), [Tensor.FromFloat32("a", [1], [1]), Tensor.FromFloat32("b", [1], [2])]);
        SafetensorsWriter.Write(dir.File("s2.safetensors"), [Tensor.FromFloat32("c", [1], [3])]);
        string index = dir.File("model.safetensors.index.json");
        File.WriteAllText(index, weightMapJson);
        return index;
    }

    [Fact]
    public void Index_Valid_Opens()
    {
        WriteShardsWithIndex("{\"metadata\":{},\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s2.safetensors\"}}");
        using var ckpt = Checkpoint.Open(dir.Path);
        Assert.Equal([1f, 2f, 3f], new[] { "a", "b", "c" }.Select(n => ckpt.ReadFloat32(n)[0]));
    }

    [Theory]
    [InlineData("{\"weight_map\": ", null)]
    [InlineData("[]", null)]
    [InlineData("{\"metadata\": {}}", "weight_map")]
    [InlineData("{\"weight_map\": [\"a\"]}", "weight_map")]
    [InlineData("{\"weight_map\": {\"a\": 1}}", "a")]
    [InlineData("{\"weight_map\": {\"a\": \"s1.safetensors\", \"a\": \"s1.safetensors\"}}", "a")]
    [InlineData("{\"weight_map\": {\"a\": \"../s1.safetensors\"}}", "a")]
    [InlineData("{\"weight_map\": {\"a\": \"/etc/passwd\"}}", "a")]
    [InlineData("{\"weight_map\": {\"a\": \"s1.safetensors\", \"z\": \"s3.safetensors\"}}", "z")]    // shard file missing
    [InlineData("{\"weight_map\": {\"a\": \"s1.safetensors\", \"c\": \"s1.safetensors\"}}", "c")]    // not in that shard
    [InlineData("{\"weight_map\": {\"a\": \"s1.safetensors\", \"q\": \"s2.safetensors\"}}", "q")]    // in no shard
    public void Index_Invalid(string json, string? field)
    {
        string index = WriteShardsWithIndex(json);
        Assertions.Throws(index, field, () => Checkpoint.Open(dir.Path));
    }

    [Fact]
    public void Index_TensorInTwoShards()
    {
        WriteShardsWithIndex("{\"weight_map\":{\"a\":\"s1.safetensors\",\"c\":\"s2.safetensors\"}}");
        SafetensorsWriter.Write(dir.File("s2.safetensors"), [Tensor.FromFloat32("c", [1], [3]), Tensor.FromFloat32("a", [1], [9])]);
        var e = Assertions.Throws(dir.File("s2.safetensors"), "a", () => Checkpoint.Open(dir.Path));
        Assert.Contains("s1.safetensors", e.Message);
    }

    [Fact]
    public void Index_ShardIsCorrupt_NamesTheShard()
    {
        WriteShardsWithIndex("{\"weight_map\":{\"a\":\"s1.safetensors\",\"c\":\"s2.safetensors\"}}");
        File.WriteAllBytes(dir.File("s2.safetensors"), new byte[3]);
        Assertions.Throws(dir.File("s2.safetensors"), "header length", () => Checkpoint.Open(dir.Path));
    }

    string WriteFp8(params Tensor[] extra)
    {
        string path = dir.File("model.safetensors");
        SafetensorsWriter.Write(path, [new Tensor("proj.weight", DType.F8_E4M3, [130, 4], new byte[520]), .. extra]);
        return path;
    }

    [Fact]
    public void Fp8_MissingScale()
    {
        string path = WriteFp8();
        using var ckpt = Checkpoint.Open(path);
        var e = Assertions.Throws(path, "proj.weight_scale_inv", () => ckpt.ReadFloat32("proj.weight"));
        Assert.Contains("proj.weight", e.Message);
    }

    [Fact]
    public void Fp8_ScaleOfTheWrongShape()
    {
        string path = WriteFp8(Tensor.FromFloat32("proj.weight_scale_inv", [1, 1], [1]));
        using var ckpt = Checkpoint.Open(path);
        var e = Assertions.Throws(path, "proj.weight_scale_inv", () => ckpt.ReadFloat32("proj.weight"));
        Assert.Contains("have shape [1, 1]", e.Message);
        Assert.Contains("needs [2, 1]", e.Message);
        Assert.Contains("[130, 4]", e.Message);
    }

    [Fact]
    public void Fp8_ScaleOfTheWrongDType()
    {
        string path = WriteFp8(new Tensor("proj.weight_scale_inv", DType.I32, [2, 1], new byte[8]));
        using var ckpt = Checkpoint.Open(path);
        var e = Assertions.Throws(path, "proj.weight_scale_inv", () => ckpt.ReadFloat32("proj.weight"));
        Assert.Contains("I32", e.Message);
    }

    [Fact]
    public void Fp8_NotTwoDimensional()
    {
        string path = dir.File("model.safetensors");
        SafetensorsWriter.Write(path, [new Tensor("v", DType.F8_E4M3, [4], new byte[4])]);
        using var ckpt = Checkpoint.Open(path);
        var e = Assertions.Throws(path, "v", () => ckpt.ReadFloat32("v"));
        Assert.Contains("2-D", e.Message);
    }

    [Fact]
    public void ReadFloat32_OfAnIntegerTensor()
    {
        string path = dir.File("model.safetensors");
        SafetensorsWriter.Write(path, [new Tensor("ids", DType.I64, [2], new byte[16])]);
        using var ckpt = Checkpoint.Open(path);
        var e = Assertions.Throws(path, "ids", () => ckpt.ReadFloat32("ids"));
        Assert.Contains("I64", e.Message);
        Assert.Equal(16, ckpt.Bytes("ids").Length);                          // raw bytes are still available
    }
}
