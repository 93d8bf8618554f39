// Dtypes: every bf16/f16/fp8 bit pattern against independent references, f32 → narrow conversions
// against .NET's Half cast and brute-force nearest-even searches, and each SIMD width (512/256/128, all
// run here even if the machine lacks them: wider vectors are emulated) against the scalar path, lengths 0..300.
using System.Runtime.InteropServices;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Tests;

public class DtypesTests
{
    delegate void Convert<TS, TD>(ReadOnlySpan<TS> source, Span<TD> destination);
    delegate int Body<TS, TD>(ReadOnlySpan<TS> source, Span<TD> destination);

    static readonly ushort[] AllU16 = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
    static readonly byte[] AllU8 = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
    static readonly float[] FloatPool = BuildFloatPool();

    static float[] BuildFloatPool()
    {
        var rng = new Random(1234);
        var pool = new List<float>
        {
            0f, -0f, 1f, -1f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
            BitConverter.UInt32BitsToSingle(0x7F80_0001), BitConverter.UInt32BitsToSingle(0xFFFF_FFFF),
            float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, 448f, -448f, 464f, 480f, 1e6f,
            65504f, 65520f, 65519.99f, 6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f, 1f / 512, 1f / 1024, 1.5f / 1024,
        };
        for (int i = 0; i < 3000; i++) pool.Add(BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32)));
        for (int i = 0; i < 3000; i++) pool.Add((float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-30, 20))));
        // Exact ties, where round-to-nearest-even is decided: fp8 and f16 midpoints, bf16 halfway bits.
        for (int b = 0; b < 0x7E; b++) AddTie(pool, (Dtypes.Fp8E4M3ToF32((byte)b) + (double)Dtypes.Fp8E4M3ToF32((byte)(b + 1))) / 2);
        for (int h = 0; h < 0x7BFF; h += 7) AddTie(pool, (Dtypes.F16ToF32((ushort)h) + (double)Dtypes.F16ToF32((ushort)(h + 1))) / 2);
        for (int i = 0; i < 2000; i++) pool.Add(BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32) & 0xFFFF_0000 | 0x8000));
        return pool.OrderBy(_ => rng.Next()).ToArray();
    }

    static void AddTie(List<float> pool, double mid)
    {
        float m = (float)mid;
        pool.AddRange([m, -m, MathF.BitIncrement(m), MathF.BitDecrement(m)]);
    }

    // ---- bf16 ----

    [Fact]
    public void Bf16ToF32_AllPatterns_AreTheTopHalfOfAnF32()
    {
        var dst = new float[65536];
        Dtypes.Bf16ToF32(AllU16, dst);
        for (int h = 0; h < 65536; h++)
        {
            Assert.Equal((uint)h << 16, BitConverter.SingleToUInt32Bits(dst[h]));
            Assert.Equal((uint)h << 16, BitConverter.SingleToUInt32Bits(Dtypes.Bf16ToF32((ushort)h)));
        }
    }

    [Fact]
    public void F32ToBf16_RoundsToNearestEven_AroundEveryBf16()
    {
        uint[] lows = [0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF];
        for (uint h = 0; h < 65536; h++)
            foreach (uint low in lows)
            {
                float x = BitConverter.UInt32BitsToSingle(h << 16 | low);
                ushort got = Dtypes.F32ToBf16(x);
                if (float.IsNaN(x))
                {
                    Assert.True(float.IsNaN(Dtypes.Bf16ToF32(got)), $"NaN {h << 16 | low:X8} → {got:X4}");
                    Assert.Equal(h & 0x8000, got & 0x8000u);
                }
                else Assert.Equal(ReferenceBf16(x), got);
            }
    }

    // Nearest bf16 by exact arithmetic in double; ties to the even pattern; past the max → ±inf.
    static ushort ReferenceBf16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint lo = bits >> 16, hi = lo + 1;
        double vlo = Dtypes.Bf16ToF32((ushort)lo), vhi = (hi & 0x7FFF) == 0x7F80 ? Math.CopySign(Math.Pow(2, 128), x) : Dtypes.Bf16ToF32((ushort)hi);
        double dlo = Math.Abs(x - vlo), dhi = Math.Abs(vhi - x);
        return (ushort)(dlo < dhi ? lo : dhi < dlo ? hi : (lo & 1) == 0 ? lo : hi);
    }

    // ---- f16 ----

    [Fact]
    public void F16ToF32_AllPatterns_MatchDotNetHalf()
    {
        var dst = new float[65536];
        Dtypes.F16ToF32(AllU16, dst);
        for (int h = 0; h < 65536; h++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)h);
            if (float.IsNaN(expected))
            {
                Assert.True(float.IsNaN(dst[h]));
                Assert.Equal(float.IsNegative(expected), float.IsNegative(dst[h]));
            }
            else Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(dst[h]));
        }
        var halves = MemoryMarshal.Cast<ushort, Half>(AllU16.AsSpan());
        var viaHalf = new float[65536];
        Dtypes.F16ToF32(halves, viaHalf);
        Assert.Equal(MemoryMarshal.AsBytes(dst.AsSpan()).ToArray(), MemoryMarshal.AsBytes(viaHalf.AsSpan()).ToArray());
    }

    [Fact]
    public void F32ToF16_MatchesDotNetHalf_OnEveryHalfAndEveryMidpoint()
    {
        var inputs = new List<float>(FloatPool);
        for (int h = 0; h < 0x7C00; h++)
        {
            float v = Dtypes.F16ToF32((ushort)h), next = Dtypes.F16ToF32((ushort)(h + 1));
            float mid = (float)(((double)v + next) / 2);           // exact: 12 significant bits
            inputs.AddRange([v, -v, mid, -mid, MathF.BitIncrement(mid), MathF.BitDecrement(mid)]);
        }
        foreach (float x in inputs)
        {
            ushort got = Dtypes.F32ToF16(x);
            if (float.IsNaN(x))
            {
                Assert.True(Half.IsNaN(BitConverter.UInt16BitsToHalf(got)));
                Assert.Equal(float.IsNegative(x), (got & 0x8000) != 0);
            }
            else Assert.True(BitConverter.HalfToUInt16Bits((Half)x) == got, $"{x:R} ({BitConverter.SingleToUInt32Bits(x):X8}) → {got:X4}, .NET {BitConverter.HalfToUInt16Bits((Half)x):X4}");
        }
    }

    // ---- fp8 e4m3fn ----

    [Theory]
    [InlineData(0x00, 0f)]
    [InlineData(0x38, 1f)]
    [InlineData(0xB8, -1f)]
    [InlineData(0x30, 0.5f)]
    [InlineData(0x3C, 1.5f)]
    [InlineData(0x40, 2f)]
    [InlineData(0x77, 240f)]
    [InlineData(0x78, 256f)]
    [InlineData(0x7E, 448f)]
    [InlineData(0xFE, -448f)]
    [InlineData(0x01, 1f / 512)]         // 2^-9, smallest subnormal
    [InlineData(0x07, 7f / 512)]         // largest subnormal
    [InlineData(0x08, 1f / 64)]          // 2^-6, smallest normal
    public void Fp8E4M3_HandCheckedValues(int bits, float expected)
    {
        Assert.Equal(expected, Dtypes.Fp8E4M3ToF32((byte)bits));
        Assert.Equal((byte)bits, Dtypes.F32ToFp8E4M3(expected));
    }

    [Fact]
    public void Fp8E4M3_NegativeZeroAndNaNs()
    {
        Assert.Equal(0x8000_0000u, BitConverter.SingleToUInt32Bits(Dtypes.Fp8E4M3ToF32(0x80)));
        Assert.True(float.IsNaN(Dtypes.Fp8E4M3ToF32(0x7F)));
        Assert.True(float.IsNaN(Dtypes.Fp8E4M3ToF32(0xFF)));
        Assert.Equal(0x80, Dtypes.F32ToFp8E4M3(-0f));
        Assert.Equal(0x7F, Dtypes.F32ToFp8E4M3(float.NaN) & 0x7F);
    }

    [Fact]
    public void Fp8E4M3ToF32_AllPatterns_MatchTheDefinition()
    {
        var dst = new float[256];
        Dtypes.Fp8E4M3ToF32(AllU8, dst);
        for (int b = 0; b < 256; b++)
        {
            int e = (b >> 3) & 15, m = b & 7;
            double magnitude = e == 0 ? m * Math.Pow(2, -9) : Math.Pow(2, e - 7) * (1 + m / 8.0);
            if ((b & 0x7F) == 0x7F) { Assert.True(float.IsNaN(dst[b])); continue; }
            Assert.Equal((b & 0x80) != 0 ? -magnitude : magnitude, (double)dst[b]);
            Assert.Equal((b & 0x80) != 0, float.IsNegative(dst[b]));
            Assert.Equal(b, Dtypes.F32ToFp8E4M3(dst[b]));   // every finite pattern round-trips
        }
    }

    [Theory]
    [InlineData(449f, 0x7E)]
    [InlineData(464f, 0x7E)]
    [InlineData(479.9f, 0x7E)]
    [InlineData(480f, 0x7E)]
    [InlineData(1e6f, 0x7E)]
    [InlineData(float.PositiveInfinity, 0x7E)]
    [InlineData(float.NegativeInfinity, 0xFE)]
    [InlineData(-1e30f, 0xFE)]
    [InlineData(1f / 1024, 0x00)]        // half the smallest subnormal: tie → even (0)
    [InlineData(3f / 1024, 0x02)]        // 1.5 · 2^-9: tie → even (2)
    [InlineData(1f / 4096, 0x00)]
    [InlineData(432f, 0x7E)]             // between 416 and 448: tie → even (0x7E)
    public void F32ToFp8E4M3_SaturatesAndRoundsToEven(float x, int expected) =>
        Assert.Equal((byte)expected, Dtypes.F32ToFp8E4M3(x));

    [Fact]
    public void F32ToFp8E4M3_MatchesBruteForceNearestEven()
    {
        var positives = Enumerable.Range(0, 0x7F).Select(b => (double)Dtypes.Fp8E4M3ToF32((byte)b)).ToArray();
        var inputs = new List<float>(FloatPool);
        for (int b = 0; b < 0x7E; b++)
        {
            float mid = (float)((positives[b] + positives[b + 1]) / 2);
            inputs.AddRange([mid, -mid, MathF.BitIncrement(mid), MathF.BitDecrement(mid)]);
        }
        foreach (float x in inputs)
        {
            if (float.IsNaN(x)) continue;
            double a = Math.Abs((double)x);
            int best = 0x7E;
            if (a < 448)
            {
                best = 0;
                for (int b = 1; b < 0x7F; b++)
                {
                    double d = Math.Abs(positives[b] - a), db = Math.Abs(positives[best] - a);
                    if (d < db || (d == db && (b & 1) == 0)) best = b;
                }
            }
            int expected = best | (float.IsNegative(x) ? 0x80 : 0);
            Assert.True(expected == Dtypes.F32ToFp8E4M3(x), $"{x:R} → {Dtypes.F32ToFp8E4M3(x):X2}, expected {expected:X2}");
        }
    }

    // ---- SIMD against scalar ----

    [Fact]
    public void Simd_Bf16ToF32_MatchesScalar() =>
        CheckWidths<ushort, float>(AllU16, Dtypes.Bf16ToF32Scalar, Dtypes.Bf16ToF32,
            Dtypes.Bf16ToF32V512, Dtypes.Bf16ToF32V256, Dtypes.Bf16ToF32V128);

    [Fact]
    public void Simd_F32ToBf16_MatchesScalar() =>
        CheckWidths<float, ushort>(FloatPool, Dtypes.F32ToBf16Scalar, Dtypes.F32ToBf16,
            Dtypes.F32ToBf16V512, Dtypes.F32ToBf16V256, Dtypes.F32ToBf16V128);

    [Fact]
    public void Simd_F16ToF32_MatchesScalar() =>
        CheckWidths<ushort, float>(AllU16, Dtypes.F16ToF32Scalar, Dtypes.F16ToF32,
            Dtypes.F16ToF32V512, Dtypes.F16ToF32V256, Dtypes.F16ToF32V128);

    [Fact]
    public void Simd_F32ToF16_MatchesScalar() =>
        CheckWidths<float, ushort>(FloatPool, Dtypes.F32ToF16Scalar, Dtypes.F32ToF16,
            Dtypes.F32ToF16V512, Dtypes.F32ToF16V256, Dtypes.F32ToF16V128);

    [Fact]
    public void Simd_Fp8E4M3ToF32_MatchesScalar() =>
        CheckWidths<byte, float>(Enumerable.Repeat(AllU8, 8).SelectMany(x => x).ToArray(), Dtypes.Fp8E4M3ToF32Scalar, Dtypes.Fp8E4M3ToF32,
            Dtypes.Fp8E4M3ToF32V512, Dtypes.Fp8E4M3ToF32V256, Dtypes.Fp8E4M3ToF32V128);

    [Fact]
    public void Simd_F32ToFp8E4M3_MatchesScalar() =>
        CheckWidths<float, byte>(FloatPool, Dtypes.F32ToFp8E4M3Scalar, Dtypes.F32ToFp8E4M3,
            Dtypes.F32ToFp8E4M3V512, Dtypes.F32ToFp8E4M3V256, Dtypes.F32ToFp8E4M3V128);

    // The whole pool at once, then lengths 0..300 at seeded offsets, each width plus its scalar tail.
    static void CheckWidths<TS, TD>(TS[] pool, Convert<TS, TD> scalar, Convert<TS, TD> dispatched, params Body<TS, TD>[] widths)
        where TS : unmanaged where TD : unmanaged
    {
        var rng = new Random(42);
        var lengths = Enumerable.Range(0, 301).Append(pool.Length);
        foreach (int length in lengths)
        {
            int start = length == pool.Length ? 0 : rng.Next(0, pool.Length - length + 1);
            var source = pool.AsSpan(start, length);
            var expected = new TD[length];
            scalar(source, expected);

            var got = new TD[length];
            dispatched(source, got);
            AssertSameBits(expected, got, "dispatched", length);

            foreach (var body in widths)
            {
                Array.Clear(got);
                int done = body(source, got);
                Assert.InRange(done, 0, length);
                Assert.True(length - done < 64, $"{body.Method.Name} left {length - done} of {length} to the tail");
                scalar(source[done..], got.AsSpan(done));
                AssertSameBits(expected, got, body.Method.Name, length);
            }
        }
    }

    static void AssertSameBits<T>(T[] expected, T[] got, string what, int length) where T : unmanaged
    {
        if (MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(got.AsSpan()))) return;
        int i = Enumerable.Range(0, length).First(k => !expected[k].Equals(got[k]) || !MemoryMarshal.AsBytes(expected.AsSpan(k, 1)).SequenceEqual(MemoryMarshal.AsBytes(got.AsSpan(k, 1))));
        Assert.Fail($"{what} length {length}: element {i} is {got[i]}, scalar gives {expected[i]}");
    }

    [Fact]
    public void Conversions_RejectShortDestination()
    {
        Assert.Throws<ArgumentException>(() => Dtypes.Bf16ToF32(new ushort[4], new float[3]));
        Assert.Throws<ArgumentException>(() => Dtypes.F32ToFp8E4M3(new float[4], new byte[3]));
    }

    // ---- FP8 block dequantization ----

    [Fact]
    public void DequantFp8Blocks_HandWorkedExample()
    {
        // 3×3 weight, block 2 → scales [2, 2]; element (i, j) uses scale[i/2, j/2].
        byte[] w = [0x38, 0x40, 0x30, 0x38, 0x38, 0x38, 0xB8, 0x01, 0x7E];   // 1, 2, .5 / 1, 1, 1 / -1, 2^-9, 448
        float[] s = [10, 100, 1000, 10000];
        var y = new float[9];
        Dtypes.DequantFp8Blocks(w, s, 3, 3, y, block: 2);
        Assert.Equal([10, 20, 50, 10, 10, 100, -1000, 1000f / 512, 448 * 10000], y);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 1)]
    [InlineData(128, 128)]
    [InlineData(130, 257)]
    [InlineData(300, 129)]
    [InlineData(7, 200)]
    public void DequantFp8Blocks_RaggedEdges_MatchScalar(int rows, int cols)
    {
        var rng = new Random(rows * 1000 + cols);
        var w = new byte[rows * cols];
        rng.NextBytes(w);
        int br = (rows + 127) / 128, bc = (cols + 127) / 128;
        var s = Enumerable.Range(0, br * bc).Select(_ => (float)rng.NextDouble() * 0.01f).ToArray();
        var fast = new float[rows * cols];
        var slow = new float[rows * cols];
        Dtypes.DequantFp8Blocks(w, s, rows, cols, fast);
        Dtypes.DequantFp8BlocksScalar(w, s, rows, cols, slow);
        AssertSameBits(slow, fast, "dequant", rows * cols);
    }

    [Fact]
    public void DequantFp8Blocks_RejectsWrongScaleShape() =>
        Assert.Throws<ArgumentException>(() => Dtypes.DequantFp8Blocks(new byte[129 * 2], new float[1], 129, 2, new float[129 * 2]));
}
