// SIMD dot kernels for Q5_0 weight rows × Q8_0 activations and Q5_1 rows × Q8_1 activations (32-value blocks).
// The 32 fifth bits (qh) expand to one byte each as ggml's bytes_from_bits_32 does; integer block sums are exact, so
// the paths differ from the scalar reference only in f32 summation order. No 512-bit forms: V512 runs the V256 ones.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    /// <summary>Byte i = 0xFF where bit i of the 32-bit little-endian qh is set, else 0 (ggml bytes_from_bits_32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<byte> BitsToBytesV256(byte* qh)
    {
        var v = Vector256.Create(*(uint*)qh).AsByte();
        var bytes = Avx2.Shuffle(v, Vector256.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte());
        bytes |= Vector256.Create(0x7FBFDFEFF7FBFDFEUL).AsByte();   // every bit but bit (i mod 8)
        return Avx2.CompareEqual(bytes, Vector256<byte>.AllBitsSet);
    }

    /// <summary>Nibbles of the 16 qs bytes: values 0..15 (low nibbles) then 16..31 (high nibbles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<byte> NibblesV256(byte* qs)
    {
        var q = Sse2.LoadVector128(qs);
        var m4 = Vector128.Create((byte)0x0F);
        return Vector256.Create(q & m4, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & m4);
    }

    // ---- Q5_0: q5 − 16 as a signed byte = nibble | (bit ? 0 : 0xF0); then |w|·sign(x, w) through maddubs ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> BlockQ5_0V256(byte* w, byte* x)
    {
        var qw = (NibblesV256(w + 6) | Avx2.AndNot(BitsToBytesV256(w + 2), Vector256.Create((byte)0xF0))).AsSByte();
        var qx = Avx.LoadVector256((sbyte*)(x + 2));
        return Avx.ConvertToVector256Single(MulAddU8I8(Vector256<int>.Zero, Avx2.Abs(qw), Avx2.Sign(qx, qw)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ5_0V256(byte* w, byte* x, int nb)
    {
        Vector256<float> acc0 = default, acc1 = default;
        int b = 0;
        for (; b + 2 <= nb; b += 2, w += 44, x += 68)
        {
            acc0 = Fma.MultiplyAdd(BlockQ5_0V256(w, x), Vector256.Create(F16(w) * F16(x)), acc0);
            acc1 = Fma.MultiplyAdd(BlockQ5_0V256(w + 22, x + 34), Vector256.Create(F16(w + 22) * F16(x + 34)), acc1);
        }
        if (b < nb) acc0 = Fma.MultiplyAdd(BlockQ5_0V256(w, x), Vector256.Create(F16(w) * F16(x)), acc0);
        return Vector256.Sum(acc0 + acc1);
    }

    // ---- Q5_1: q5 = nibble | (bit & 0x10), unsigned 0..31 straight into maddubs; m·s added per block ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> BlockQ5_1V256(byte* w, byte* x)
    {
        var qw = NibblesV256(w + 8) | (BitsToBytesV256(w + 4) & Vector256.Create((byte)0x10));
        var qx = Avx.LoadVector256((sbyte*)(x + 4));
        return Avx.ConvertToVector256Single(MulAddU8I8(Vector256<int>.Zero, qw, qx));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ5_1V256(byte* w, byte* x, int nb)
    {
        Vector256<float> acc0 = default, acc1 = default;
        float summ = 0;
        int b = 0;
        for (; b + 2 <= nb; b += 2, w += 48, x += 72)
        {
            acc0 = Fma.MultiplyAdd(BlockQ5_1V256(w, x), Vector256.Create(F16(w) * F16(x)), acc0);
            acc1 = Fma.MultiplyAdd(BlockQ5_1V256(w + 24, x + 36), Vector256.Create(F16(w + 24) * F16(x + 36)), acc1);
            summ += F16(w + 2) * F16(x + 2) + F16(w + 26) * F16(x + 38);
        }
        if (b < nb)
        {
            acc0 = Fma.MultiplyAdd(BlockQ5_1V256(w, x), Vector256.Create(F16(w) * F16(x)), acc0);
            summ += F16(w + 2) * F16(x + 2);
        }
        return Vector256.Sum(acc0 + acc1) + summ;
    }

    // ---- Vector128 (portable) ----

    /// <summary>Byte i = 0x10 where bit i of the low 16 bits of <paramref name="bits"/> is set, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<byte> FifthBitsV128(uint bits)
    {
        var b = Vector128.Shuffle(Vector128.Create((ushort)bits).AsByte(),
            Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        var m = Vector128.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        return Vector128.Equals(b & m, m) & Vector128.Create((byte)0x10);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ5_0V128(byte* w, byte* x, int nb)
    {
        Vector128<float> acc = default;
        var m4 = Vector128.Create((byte)0x0F);
        var sixteen = Vector128.Create((sbyte)16);
        for (int b = 0; b < nb; b++, w += 22, x += 34)
        {
            uint qh = *(uint*)(w + 2);
            var q = Vector128.Load(w + 6);
            var lo = ((q & m4) | FifthBitsV128(qh)).AsSByte() - sixteen;
            var hi = (Vector128.ShiftRightLogical(q, 4) | FifthBitsV128(qh >> 16)).AsSByte() - sixteen;
            var sumi = DotI8(lo, Vector128.Load((sbyte*)(x + 2))) + DotI8(hi, Vector128.Load((sbyte*)(x + 18)));
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sumi), Vector128.Create(F16(w) * F16(x)), acc);
        }
        return Vector128.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ5_1V128(byte* w, byte* x, int nb)
    {
        Vector128<float> acc = default;
        float summ = 0;
        var m4 = Vector128.Create((byte)0x0F);
        for (int b = 0; b < nb; b++, w += 24, x += 36)
        {
            uint qh = *(uint*)(w + 4);
            var q = Vector128.Load(w + 8);
            var lo = ((q & m4) | FifthBitsV128(qh)).AsSByte();
            var hi = (Vector128.ShiftRightLogical(q, 4) | FifthBitsV128(qh >> 16)).AsSByte();
            var sumi = DotI8(lo, Vector128.Load((sbyte*)(x + 4))) + DotI8(hi, Vector128.Load((sbyte*)(x + 20)));
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sumi), Vector128.Create(F16(w) * F16(x)), acc);
            summ += F16(w + 2) * F16(x + 2);
        }
        return Vector128.Sum(acc) + summ;
    }
}
