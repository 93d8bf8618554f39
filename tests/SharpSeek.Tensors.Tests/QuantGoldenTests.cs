// Bit-exactness against llama.cpp's reference (gguf-py quants.py), through the golden blocks in
// tests/fixtures/quant made by tools/quant/make_quant_goldens.py (rerun it with a llama.cpp checkout to refresh).
using System.Runtime.InteropServices;
using System.Text.Json;
using SharpSeek.Tensors;
using SharpSeek.Tests;

namespace SharpSeek.Tensors.Tests;

public class QuantGoldenTests
{
    static readonly JsonElement Manifest = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("quant", "manifest.json"))).RootElement;

    static byte[] Bytes(string name) => File.ReadAllBytes(Fixtures.Path("quant", name));
    static uint[] Bits(string name) => MemoryMarshal.Cast<byte, uint>(Bytes(name)).ToArray();

    public static TheoryData<string> Types()
    {
        var d = new TheoryData<string>();
        foreach (var p in Manifest.GetProperty("types").EnumerateObject()) d.Add(p.Name);
        return d;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Dequantize_is_bit_exact(string name)
    {
        var t = Enum.Parse<GgmlType>(name);
        var blocks = Bytes($"{name}.blocks.bin");
        var expected = Bits($"{name}.dequant.f32");
        var got = new float[expected.Length];
        Quant.Dequantize(t, blocks, got);
        var gotBits = MemoryMarshal.Cast<float, uint>(got);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == gotBits[i], $"{name} value {i}: expected 0x{expected[i]:X8}, got 0x{gotBits[i]:X8}");
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Quantize_is_bit_exact_where_gguf_py_quantizes(string name)
    {
        if (!Manifest.GetProperty("types").GetProperty(name).GetProperty("quantize").GetBoolean()) return; // Q4_K, Q6_K: see round-trip tests
        var t = Enum.Parse<GgmlType>(name);
        var x = MemoryMarshal.Cast<byte, float>(Bytes($"{name}.input.f32")).ToArray();
        var expected = Bytes($"{name}.quant.bin");
        var got = new byte[expected.Length];
        Quant.Quantize(t, x, got);
        int bs = Quant.BlockBytes(t);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == got[i], $"{name} block {i / bs} byte {i % bs}: expected {expected[i]}, got {got[i]}");
    }
}
