// GGUF reader/writer: every metadata value type (nested arrays included) round-trips, alignment and offsets
// follow the spec, and each kind of damage gives a CheckpointException naming the problem.
using System.Buffers.Binary;
using System.Text;
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors;
using Xunit;

namespace SharpSeek.Gguf.Tests;

public class GgufFormatTests
{
    static GgufWriter Sample(int alignment = 32)
    {
        var w = new GgufWriter { Alignment = alignment };
        w.Set("general.architecture", "llama");
        w.Set("u8", GgufValue.U8(200)).Set("i8", GgufValue.I8(-5)).Set("u16", GgufValue.U16(60000)).Set("i16", GgufValue.I16(-30000));
        w.Set("u32", GgufValue.U32(4000000000)).Set("i32", GgufValue.I32(-2000000000)).Set("f32", GgufValue.F32(1.5f));
        w.Set("bool", GgufValue.Bool(true)).Set("str", GgufValue.String("héllo ｜ 世界"));
        w.Set("u64", GgufValue.U64(ulong.MaxValue)).Set("i64", GgufValue.I64(long.MinValue)).Set("f64", GgufValue.F64(Math.PI));
        w.Set("arr.str", GgufValue.Strings(["a", "", "Ġb"]));
        w.Set("arr.i32", GgufValue.Int32s([1, -2, 3]));
        w.Set("arr.f32", GgufValue.Float32s([0.5f, -0.25f]));
        w.Set("arr.bool", GgufValue.Array(new GgufArray(GgufValueType.Bool, new[] { true, false })));
        w.Set("arr.u64", GgufValue.Array(new GgufArray(GgufValueType.UInt64, new ulong[] { 1, ulong.MaxValue })));
        w.Set("arr.nested", GgufValue.Array(new GgufArray(GgufValueType.Array, new[]
        {
            new GgufArray(GgufValueType.Int32, new[] { 1, 2 }),
            new GgufArray(GgufValueType.String, new[] { "x" }),
            new GgufArray(GgufValueType.Array, new[] { new GgufArray(GgufValueType.Float64, new[] { 2.5 }) }),
        })));
        w.Set("arr.empty", GgufValue.Array(new GgufArray(GgufValueType.UInt8, Array.Empty<byte>())));
        w.AddFloat32("a", GgmlType.F32, [3, 4], () => Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray());
        w.AddFloat32("b", GgmlType.F16, [5], () => [1, 2, 3, 4, 5]);
        w.AddFloat32("c", GgmlType.BF16, [2, 2, 2], () => [1, -1, 2, -2, 0.5f, -0.5f, 8, 16]);
        return w;
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(8)]
    public void Round_trips_every_value_type_and_tensor(int alignment)
    {
        using var dir = new TempDir();
        string path = dir.File("x.gguf");
        Sample(alignment).Write(path);
        using var f = GgufFile.Open(path);
        Assert.Equal(3u, f.Version);
        Assert.Equal(alignment, f.Alignment);
        Assert.Equal(0, f.DataOffset % alignment);
        Assert.Equal((byte)200, f.Get("u8")!.Raw);
        Assert.Equal((sbyte)-5, f.Get("i8")!.Raw);
        Assert.Equal((ushort)60000, f.Get("u16")!.Raw);
        Assert.Equal((short)-30000, f.Get("i16")!.Raw);
        Assert.Equal(4000000000u, f.Get("u32")!.Raw);
        Assert.Equal(-2000000000, f.Get("i32")!.Raw);
        Assert.Equal(1.5f, f.Get("f32")!.Raw);
        Assert.Equal(true, f.Get("bool")!.Raw);
        Assert.Equal("héllo ｜ 世界", f.GetString("str"));
        Assert.Equal(ulong.MaxValue, f.Get("u64")!.Raw);
        Assert.Equal(long.MinValue, f.Get("i64")!.Raw);
        Assert.Equal(Math.PI, f.Get("f64")!.Raw);
        Assert.Equal(["a", "", "Ġb"], f.GetArray("arr.str")!.AsStrings());
        Assert.Equal([1L, -2, 3], f.GetArray("arr.i32")!.AsInt64s());
        Assert.Equal([0.5f, -0.25f], f.GetArray("arr.f32")!.AsFloat32s());
        Assert.Equal(new[] { true, false }, (bool[])f.GetArray("arr.bool")!.Items);
        Assert.Equal(new ulong[] { 1, ulong.MaxValue }, (ulong[])f.GetArray("arr.u64")!.Items);
        var nested = (GgufArray[])f.GetArray("arr.nested")!.Items;
        Assert.Equal(new[] { 1, 2 }, (int[])nested[0].Items);
        Assert.Equal(["x"], nested[1].AsStrings());
        Assert.Equal(new[] { 2.5 }, (double[])((GgufArray[])nested[2].Items)[0].Items);
        Assert.Equal(0, f.GetArray("arr.empty")!.Count);
        Assert.Equal("general.architecture", f.MetadataList[alignment == 32 ? 0 : 1].Key);

        Assert.Equal(["a", "b", "c"], f.TensorList.Select(t => t.Name));
        Assert.Equal([4L, 3], f.Info("a").Dims);
        Assert.Equal([3L, 4], f.Info("a").Shape);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 0.5f), f.ReadFloat32("a"));
        Assert.Equal([1f, 2, 3, 4, 5], f.ReadFloat32("b"));
        Assert.Equal([1f, -1, 2, -2, 0.5f, -0.5f, 8, 16], f.ReadFloat32("c"));
        foreach (var t in f.TensorList) Assert.Equal(0, (t.Offset - f.DataOffset) % alignment);
        Assert.Equal(0, f.Length % alignment);
    }

    [Fact]
    public void Writes_byte_exact_layout_of_the_spec()
    {
        using var dir = new TempDir();
        string path = dir.File("tiny.gguf");
        new GgufWriter().Set("k", GgufValue.U32(7)).AddTensor("t", GgmlType.F32, [2], BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(2f)).ToArray()).Write(path);
        var b = File.ReadAllBytes(path);
        var expect = new List<byte>();
        expect.AddRange("GGUF"u8.ToArray());
        expect.AddRange(BitConverter.GetBytes(3u));
        expect.AddRange(BitConverter.GetBytes(1UL));            // n_tensors
        expect.AddRange(BitConverter.GetBytes(1UL));            // n_kv
        expect.AddRange(BitConverter.GetBytes(1UL)); expect.Add((byte)'k');
        expect.AddRange(BitConverter.GetBytes(4u)); expect.AddRange(BitConverter.GetBytes(7u));
        expect.AddRange(BitConverter.GetBytes(1UL)); expect.Add((byte)'t');
        expect.AddRange(BitConverter.GetBytes(1u)); expect.AddRange(BitConverter.GetBytes(2UL));
        expect.AddRange(BitConverter.GetBytes(0u)); expect.AddRange(BitConverter.GetBytes(0UL));
        while (expect.Count % 32 != 0) expect.Add(0);
        expect.AddRange(BitConverter.GetBytes(1f)); expect.AddRange(BitConverter.GetBytes(2f));
        while (expect.Count % 32 != 0) expect.Add(0);
        Assert.Equal(expect.ToArray(), b);
    }

    [Fact]
    public void Writer_rejects_what_llama_cpp_could_not_load()
    {
        var w = new GgufWriter();
        Assert.Throws<ArgumentException>(() => w.AddTensor(new string('x', 64), GgmlType.F32, [1], new byte[4]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("q", GgmlType.Q8_0, [2, 48], () => []));     // 48 % 32
        Assert.Throws<ArgumentException>(() => w.AddTensor("f", GgmlType.F32, [2], new byte[4]));       // wrong size
        w.AddTensor("ok", GgmlType.F32, [1], new byte[4]);
        Assert.Throws<ArgumentException>(() => w.AddTensor("ok", GgmlType.F32, [1], new byte[4]));      // duplicate
    }

    [Fact]
    public void Failed_write_leaves_no_file()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.gguf");
        var w = new GgufWriter().AddTensor("t", GgmlType.F32, [2], () => new byte[4]);   // produces the wrong size
        Assert.Throws<InvalidOperationException>(() => w.Write(path));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    // ---------------------------------------------------------------- hand-made damage

    static byte[] Header(uint version = 3, ulong nTensors = 0, ulong nKv = 0, uint magic = GgufFile.Magic)
    {
        var b = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(b, magic);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), version);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), nTensors);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), nKv);
        return b;
    }

    static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    static byte[] U32(uint v) => BitConverter.GetBytes(v);
    static byte[] U64(ulong v) => BitConverter.GetBytes(v);
    static byte[] Str(string s) => Cat(U64((ulong)Encoding.UTF8.GetByteCount(s)), Encoding.UTF8.GetBytes(s));
    static byte[] Info(string name, ulong[] dims, uint type, ulong offset) =>
        Cat(Str(name), U32((uint)dims.Length), Cat(dims.Select(U64).ToArray()), U32(type), U64(offset));
    static byte[] Pad(byte[] b, int align = 32) => Cat(b, new byte[(align - b.Length % align) % align]);

    static CheckpointException Fails(byte[] bytes, string expectedText, string? field = null)
    {
        using var dir = new TempDir();
        string path = dir.Write("bad.gguf", bytes);
        var e = Assert.Throws<CheckpointException>(() => { using var _ = GgufFile.Open(path); });
        Assert.Contains(expectedText, e.Message);
        Assert.StartsWith(path, e.Message);
        if (field != null) Assert.Equal(field, e.Field);
        return e;
    }

    [Fact] public void Empty_file() => Fails([], "shorter than the 24-byte GGUF header");
    [Fact] public void Bad_magic() => Fails(Header(magic: 0x4C4C4747), "bad magic 'GGLL'", "magic");
    [Fact] public void Version_1() => Fails(Header(version: 1), "version 1 is not supported", "version");
    [Fact] public void Version_big_endian() => Fails(Header(version: 0x03000000), "big-endian", "version");
    [Fact] public void Version_future() => Fails(Header(version: 4), "unsupported GGUF version 4", "version");
    [Fact] public void Absurd_tensor_count() => Fails(Header(nTensors: ulong.MaxValue / 2), "tensor count", "tensor_count");
    [Fact] public void Absurd_kv_count() => Fails(Header(nKv: 1UL << 40), "metadata count", "metadata_kv_count");

    [Fact]
    public void Absurd_string_length() =>
        Fails(Cat(Header(nKv: 1), U64(1UL << 50), new byte[16]), "claims 1125899906842624 bytes");

    [Fact]
    public void Absurd_array_length() =>
        Fails(Cat(Header(nKv: 1), Str("tokens"), U32(9), U32(8), U64(1UL << 40), new byte[16]), "claims 1099511627776 String elements", "tokens");

    [Fact]
    public void Absurd_array_length_of_scalars() =>
        Fails(Cat(Header(nKv: 1), Str("ids"), U32(9), U32(5), U64(100), new byte[16]), "claims 100 Int32 elements", "ids");

    [Fact] public void Unknown_value_type() => Fails(Cat(Header(nKv: 1), Str("k"), U32(13), new byte[8]), "unknown value type 13", "k");
    [Fact] public void Unknown_array_element_type() => Fails(Cat(Header(nKv: 1), Str("k"), U32(9), U32(77), U64(0)), "unknown value type 77", "k");
    [Fact] public void Bad_bool() => Fails(Cat(Header(nKv: 1), Str("k"), U32(7), [2]), "bool byte 2", "k");
    [Fact] public void Empty_key() => Fails(Cat(Header(nKv: 1), Str(""), U32(4), U32(1)), "is empty");
    [Fact] public void Duplicate_key() => Fails(Cat(Header(nKv: 2), Str("k"), U32(4), U32(1), Str("k"), U32(4), U32(1)), "appears twice", "k");
    [Fact] public void Truncated_value() => Fails(Cat(Header(nKv: 1), Str("k"), U32(10), U32(1)), "truncated", "k");

    [Fact]
    public void Deep_nesting()
    {
        var b = new List<byte>(Cat(Header(nKv: 1), Str("deep"), U32(9)));
        for (int i = 0; i < 20; i++) b.AddRange(Cat(U32(9), U64(1)));
        b.AddRange(Cat(U32(4), U64(0)));
        Fails(b.ToArray(), "deeper than 8", "deep");
    }

    [Fact]
    public void Alignment_wrong_type_or_not_power_of_two()
    {
        Fails(Cat(Header(nKv: 1), Str("general.alignment"), U32(10), U64(32)), "must be a uint32", "general.alignment");
        Fails(Cat(Header(nKv: 1), Str("general.alignment"), U32(4), U32(48)), "not a power of two", "general.alignment");
        Fails(Cat(Header(nKv: 1), Str("general.alignment"), U32(4), U32(0)), "not a power of two", "general.alignment");
    }

    [Fact]
    public void Too_many_dims() => Fails(Pad(Cat(Header(nTensors: 1), Info("t", [1, 1, 1, 1, 1], 0, 0))), "5 dimensions", "t");

    [Fact]
    public void Negative_dim() => Fails(Pad(Cat(Header(nTensors: 1), Info("t", [ulong.MaxValue], 0, 0))), "negative as int64", "t");

    [Fact]
    public void Dims_product_overflow() =>
        Fails(Pad(Cat(Header(nTensors: 1), Info("t", [1UL << 40, 1UL << 40], 0, 0))), "overflows int64", "t");

    [Fact]
    public void Byte_count_overflow() =>
        Fails(Pad(Cat(Header(nTensors: 1), Info("t", [1UL << 31, 1UL << 31, 1UL << 0], 0, 0))), "byte size overflows", "t");

    [Fact] public void Unknown_tensor_type() => Fails(Pad(Cat(Header(nTensors: 1), Info("t", [4], 4, 0))), "unknown ggml type 4", "t");
    [Fact] public void Huge_tensor_type() => Fails(Pad(Cat(Header(nTensors: 1), Info("t", [4], 0xFFFFFFFF, 0))), "unknown ggml type 4294967295", "t");
    [Fact] public void Partial_block() => Fails(Pad(Cat(Header(nTensors: 1), Info("t", [48], 8, 0))), "not a multiple of its block size 32", "t");
    [Fact] public void Misaligned_offset() => Fails(Pad(Cat(Header(nTensors: 1), Info("t", [1], 0, 4)), 32).Concat(new byte[64]).ToArray(), "not a multiple of the alignment", "t");
    [Fact] public void Offset_past_end() => Fails(Cat(Pad(Cat(Header(nTensors: 1), Info("t", [4], 0, 1UL << 60))), new byte[16]), "runs past the end", "t");
    [Fact] public void Data_truncated() => Fails(Cat(Pad(Cat(Header(nTensors: 1), Info("t", [8], 0, 0))), new byte[16]), "runs past the end", "t");
    [Fact] public void Duplicate_tensor() => Fails(Pad(Cat(Header(nTensors: 2), Info("t", [1], 0, 0), Info("t", [1], 0, 32))), "appears twice", "t");
    [Fact] public void Long_name() => Fails(Pad(Cat(Header(nTensors: 1), Info(new string('n', 2000), [1], 0, 0))), "over the 1024-byte limit");

    [Fact]
    public void Overlapping_tensors() =>
        Fails(Cat(Pad(Cat(Header(nTensors: 2), Info("a", [16], 0, 0), Info("b", [16], 0, 32))), new byte[128]), "overlaps tensor 'a'", "b");

    [Fact]
    public void Unsupported_type_opens_but_does_not_decode()
    {
        using var dir = new TempDir();
        string path = dir.Write("iq.gguf", Cat(Pad(Cat(Header(nTensors: 1), Info("t", [256], 20 /* IQ4_NL */, 0))), new byte[8 * 18 + 16]));
        using var f = GgufFile.Open(path);
        Assert.Equal("IQ4_NL", f.Info("t").TypeName);
        var e = Assert.Throws<CheckpointException>(() => f.ReadFloat32("t"));
        Assert.Contains("is IQ4_NL; SharpSeek reads", e.Message);
    }

    [Fact]
    public void Typed_metadata_getters_name_the_key()
    {
        using var dir = new TempDir();
        string path = dir.File("m.gguf");
        new GgufWriter().Set("s", "text").Set("n", 3u).Write(path);
        using var f = GgufFile.Open(path);
        Assert.Equal(3, f.GetInt("n"));
        Assert.Null(f.GetInt("missing"));
        var e = Assert.Throws<CheckpointException>(() => f.GetInt("s"));
        Assert.Equal("s", e.Field);
        Assert.Contains("expected an integer", e.Message);
        Assert.Contains("'absent' is missing", Assert.Throws<CheckpointException>(() => f.RequireInt("absent")).Message);
    }
}
