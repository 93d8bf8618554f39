// SIMD dot kernels for Q8_0 and Q4_0 weight rows × Q8_0 activations (32-value blocks).
// Integer block sums exactly as the scalar reference; blocks are scaled by d_w·d_x and summed in f32 lanes.
// x86 trick (ggml): u8×i8 pairs via maddubs (vpmaddubsw) then pairs of i16 via vpmaddwd; no product here can
// saturate i16 (|w| ≤ 128 unsigned after abs, |x| ≤ 127 from our activation quantizer).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    // ---- shared helpers ----

    /// <summary>acc + Σ4 u·s per i32 lane (vpdpbusd where AVX-VNNI exists; maddubs + madd otherwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> MulAddU8I8(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(acc, u, s);
        return Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> MulAddU8I8(Vector512<int> acc, Vector512<byte> u, Vector512<sbyte> s) =>
        Avx512BW.Add(acc, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u, s), Vector512.Create((short)1)));

    /// <summary>Σ a·b of 16 signed bytes, as 4 i32 partial sums (portable: SSE2 pmaddwd or widening multiply).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> DotI8(Vector128<sbyte> a, Vector128<sbyte> b)
    {
        var al = Vector128.WidenLower(a); var ah = Vector128.WidenUpper(a);
        var bl = Vector128.WidenLower(b); var bh = Vector128.WidenUpper(b);
        if (Sse2.IsSupported) return Sse2.MultiplyAddAdjacent(al, bl) + Sse2.MultiplyAddAdjacent(ah, bh);
        var pl = al * bl; var ph = ah * bh;   // |a·b| ≤ 128·128 fits i16
        return Vector128.WidenLower(pl) + Vector128.WidenUpper(pl) + Vector128.WidenLower(ph) + Vector128.WidenUpper(ph);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector512<float> Scale2(byte* w0, byte* x0, byte* w1, byte* x1) =>
        Vector512.Create(Vector256.Create(F16(w0) * F16(x0)), Vector256.Create(F16(w1) * F16(x1)));

    // ---- Q8_0 ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> BlockQ8_0V256(byte* w, byte* x)
    {
        var qw = Avx.LoadVector256((sbyte*)(w + 2));
        var qx = Avx.LoadVector256((sbyte*)(x + 2));
        var sumi = MulAddU8I8(Vector256<int>.Zero, Avx2.Abs(qw), Avx2.Sign(qx, qw));
        return Avx.ConvertToVector256Single(sumi);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ8_0V256(byte* w, byte* x, int nb)
    {
        Vector256<float> acc0 = default, acc1 = default;
        int b = 0;
        for (; b + 2 <= nb; b += 2, w += 68, x += 68)
        {
            acc0 = Fma.MultiplyAdd(BlockQ8_0V256(w, x), Vector256.Create(F16(w) * F16(x)), acc0);
            acc1 = Fma.MultiplyAdd(BlockQ8_0V256(w + 34, x + 34), Vector256.Create(F16(w + 34) * F16(x + 34)), acc1);
        }
        if (b < nb) acc0 = Fma.MultiplyAdd(BlockQ8_0V256(w, x), Vector256.Create(F16(w) * F16(x)), acc0);
        return Vector256.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ8_0V512(byte* w, byte* x, int nb)
    {
        Vector512<float> acc0 = default, acc1 = default;
        int b = 0;
        for (; b + 4 <= nb; b += 4, w += 136, x += 136)
        {
            acc0 = Avx512F.FusedMultiplyAdd(Block2Q8_0V512(w, x), Scale2(w, x, w + 34, x + 34), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Block2Q8_0V512(w + 68, x + 68), Scale2(w + 68, x + 68, w + 102, x + 102), acc1);
        }
        for (; b + 2 <= nb; b += 2, w += 68, x += 68)
            acc0 = Avx512F.FusedMultiplyAdd(Block2Q8_0V512(w, x), Scale2(w, x, w + 34, x + 34), acc0);
        float sum = Vector512.Sum(acc0 + acc1);
        if (b < nb) sum += Vector256.Sum(BlockQ8_0V256(w, x) * Vector256.Create(F16(w) * F16(x)));
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector512<float> Block2Q8_0V512(byte* w, byte* x)
    {
        var qw = Vector512.Create(Avx.LoadVector256((sbyte*)(w + 2)), Avx.LoadVector256((sbyte*)(w + 36)));
        var qx = Vector512.Create(Avx.LoadVector256((sbyte*)(x + 2)), Avx.LoadVector256((sbyte*)(x + 36)));
        var neg = Vector512.LessThan(qw, Vector512<sbyte>.Zero);
        var sx = (qx ^ neg) - neg;                       // x·sign(w); where w = 0 the product is 0 anyway
        return Avx512F.ConvertToVector512Single(MulAddU8I8(Vector512<int>.Zero, Avx512BW.Abs(qw), sx));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ8_0V128(byte* w, byte* x, int nb)
    {
        Vector128<float> acc = default;
        for (int b = 0; b < nb; b++, w += 34, x += 34)
        {
            var sumi = DotI8(Vector128.Load((sbyte*)(w + 2)), Vector128.Load((sbyte*)(x + 2)))
                     + DotI8(Vector128.Load((sbyte*)(w + 18)), Vector128.Load((sbyte*)(x + 18)));
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sumi), Vector128.Create(F16(w) * F16(x)), acc);
        }
        return Vector128.Sum(acc);
    }

    // ---- Q4_0: Σ (q−8)·x = Σ q·x − 8·Σ x, both through maddubs with q, 8 unsigned ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> BlockQ4_0V256(byte* w, byte* x)
    {
        var q = Sse2.LoadVector128(w + 2);
        var m4 = Vector128.Create((byte)0x0F);
        var nib = Vector256.Create(q & m4, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & m4);
        var qx = Avx.LoadVector256((sbyte*)(x + 2));
        Vector256<int> sumi;
        if (AvxVnni.IsSupported)
            sumi = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, nib, qx)
                 - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Vector256.Create((byte)8), qx);
        else
        {
            var p16 = Avx2.MultiplyAddAdjacent(nib, qx) - Avx2.MultiplyAddAdjacent(Vector256.Create((byte)8), qx);
            sumi = Avx2.MultiplyAddAdjacent(p16, Vector256.Create((short)1));
        }
        return Avx.ConvertToVector256Single(sumi);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ4_0V256(byte* w, byte* x, int nb)
    {
        Vector256<float> acc0 = default, acc1 = default;
        int b = 0;
        for (; b + 2 <= nb; b += 2, w += 36, x += 68)
        {
            acc0 = Fma.MultiplyAdd(BlockQ4_0V256(w, x), Vector256.Create(F16(w) * F16(x)), acc0);
            acc1 = Fma.MultiplyAdd(BlockQ4_0V256(w + 18, x + 34), Vector256.Create(F16(w + 18) * F16(x + 34)), acc1);
        }
        if (b < nb) acc0 = Fma.MultiplyAdd(BlockQ4_0V256(w, x), Vector256.Create(F16(w) * F16(x)), acc0);
        return Vector256.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector512<float> Block2Q4_0V512(byte* w, byte* x)
    {
        var t = Vector256.Create(Sse2.LoadVector128(w + 2), Sse2.LoadVector128(w + 20));
        var m4 = Vector256.Create((byte)0x0F);
        var v = Vector512.Create(t & m4, Avx2.ShiftRightLogical(t.AsUInt16(), 4).AsByte() & m4); // [lo0 lo1 hi0 hi1]
        var nib = Avx512F.Shuffle4x128(v.AsUInt32(), v.AsUInt32(), 0b11_01_10_00).AsByte();      // [lo0 hi0 lo1 hi1]
        var qx = Vector512.Create(Avx.LoadVector256((sbyte*)(x + 2)), Avx.LoadVector256((sbyte*)(x + 36)));
        var p16 = Avx512BW.MultiplyAddAdjacent(nib, qx) - Avx512BW.MultiplyAddAdjacent(Vector512.Create((byte)8), qx);
        return Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(p16, Vector512.Create((short)1)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ4_0V512(byte* w, byte* x, int nb)
    {
        Vector512<float> acc0 = default, acc1 = default;
        int b = 0;
        for (; b + 4 <= nb; b += 4, w += 72, x += 136)
        {
            acc0 = Avx512F.FusedMultiplyAdd(Block2Q4_0V512(w, x), Scale2(w, x, w + 18, x + 34), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Block2Q4_0V512(w + 36, x + 68), Scale2(w + 36, x + 68, w + 54, x + 102), acc1);
        }
        for (; b + 2 <= nb; b += 2, w += 36, x += 68)
            acc0 = Avx512F.FusedMultiplyAdd(Block2Q4_0V512(w, x), Scale2(w, x, w + 18, x + 34), acc0);
        float sum = Vector512.Sum(acc0 + acc1);
        if (b < nb) sum += Vector256.Sum(BlockQ4_0V256(w, x) * Vector256.Create(F16(w) * F16(x)));
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ4_0V128(byte* w, byte* x, int nb)
    {
        Vector128<float> acc = default;
        var m4 = Vector128.Create((byte)0x0F);
        var eight = Vector128.Create((sbyte)8);
        for (int b = 0; b < nb; b++, w += 18, x += 34)
        {
            var q = Vector128.Load(w + 2);
            var lo = (q & m4).AsSByte() - eight;
            var hi = Vector128.ShiftRightLogical(q, 4).AsSByte() - eight;
            var sumi = DotI8(lo, Vector128.Load((sbyte*)(x + 2))) + DotI8(hi, Vector128.Load((sbyte*)(x + 18)));
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sumi), Vector128.Create(F16(w) * F16(x)), acc);
        }
        return Vector128.Sum(acc);
    }
}
