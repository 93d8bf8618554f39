// f16 (IEEE binary16) ↔ f32, on raw bits so the SIMD path and the scalar one agree bit for bit.
// Widening is exact (subnormals included); narrowing rounds to nearest even, overflows to ±inf, and keeps
// NaN a quiet NaN with its sign and top payload bits. Method: F. Giesen, "half_to_float" and
// "float_to_half_fast3_rtne" (magic-number renormalisation), written branch-free for the vector paths.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors;

public static partial class Dtypes
{
    const uint HalfExpShifted = 0x7C00u << 13;      // f16 exponent field after << 13
    const uint ExpAdjust = (127 - 15) << 23;          // rebias f16 → f32 exponent
    const uint HalfMagicBits = 113u << 23;            // 2^-14: renormalises f16 subnormals
    const uint F16MaxBits = (127 + 16) << 23;         // 65536: at or above → inf (or NaN)
    const uint F16MinNormalBits = 113u << 23;         // 2^-14: below → f16 subnormal or zero
    const uint DenormMagicBits = 126u << 23;          // 0.5: aligns the f16 subnormal step (2^-24) at bit 0

    public static float F16ToF32(ushort h)
    {
        uint o = (uint)(h & 0x7FFF) << 13;
        uint exp = o & HalfExpShifted;
        o += ExpAdjust;
        if (exp == HalfExpShifted) o += ExpAdjust;                       // inf / NaN
        else if (exp == 0)                                                // zero / subnormal
            o = BitConverter.SingleToUInt32Bits(
                BitConverter.UInt32BitsToSingle(o + (1u << 23)) - BitConverter.UInt32BitsToSingle(HalfMagicBits));
        return BitConverter.UInt32BitsToSingle(o | (uint)(h & 0x8000) << 16);
    }

    public static ushort F32ToF16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint sign = bits & 0x8000_0000;
        uint a = bits ^ sign;
        uint o;
        if (a >= F16MaxBits)
            o = a > 0x7F80_0000 ? 0x7E00 | ((a >> 13) & 0x3FF) : 0x7C00;   // NaN stays NaN, else ±inf
        else if (a < F16MinNormalBits)
            o = BitConverter.SingleToUInt32Bits(
                BitConverter.UInt32BitsToSingle(a) + BitConverter.UInt32BitsToSingle(DenormMagicBits)) - DenormMagicBits;
        else
            o = (a + unchecked((uint)((15 - 127) << 23)) + 0xFFF + ((a >> 13) & 1)) >> 13;
        return (ushort)(o | sign >> 16);
    }

    public static void F16ToF32(ReadOnlySpan<Half> source, Span<float> destination) =>
        F16ToF32(MemoryMarshal.Cast<Half, ushort>(source), destination);

    public static void F16ToF32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckDestination(source.Length, destination.Length);
        int i = Vector512.IsHardwareAccelerated ? F16ToF32V512(source, destination)
              : Vector256.IsHardwareAccelerated ? F16ToF32V256(source, destination)
              : Vector128.IsHardwareAccelerated ? F16ToF32V128(source, destination) : 0;
        F16ToF32Scalar(source[i..], destination[i..]);
    }

    public static void F32ToF16(ReadOnlySpan<float> source, Span<Half> destination) =>
        F32ToF16(source, MemoryMarshal.Cast<Half, ushort>(destination));

    public static void F32ToF16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckDestination(source.Length, destination.Length);
        int i = Vector512.IsHardwareAccelerated ? F32ToF16V512(source, destination)
              : Vector256.IsHardwareAccelerated ? F32ToF16V256(source, destination)
              : Vector128.IsHardwareAccelerated ? F32ToF16V128(source, destination) : 0;
        F32ToF16Scalar(source[i..], destination[i..]);
    }

    public static void F16ToF32Scalar(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckDestination(source.Length, destination.Length);
        for (int i = 0; i < source.Length; i++) destination[i] = F16ToF32(source[i]);
    }

    public static void F32ToF16Scalar(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckDestination(source.Length, destination.Length);
        for (int i = 0; i < source.Length; i++) destination[i] = F32ToF16(source[i]);
    }

    // ---- SIMD bodies ----

    internal static int F16ToF32V512(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector512<ushort>.Count; i += Vector512<ushort>.Count)
        {
            var v = Vector512.LoadUnsafe(ref s, (nuint)i);
            F16ToF32Bits(Vector512.WidenLower(v)).AsSingle().StoreUnsafe(ref d, (nuint)i);
            F16ToF32Bits(Vector512.WidenUpper(v)).AsSingle().StoreUnsafe(ref d, (nuint)(i + Vector512<uint>.Count));
        }
        return i;
    }

    internal static int F16ToF32V256(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
        {
            var v = Vector256.LoadUnsafe(ref s, (nuint)i);
            F16ToF32Bits(Vector256.WidenLower(v)).AsSingle().StoreUnsafe(ref d, (nuint)i);
            F16ToF32Bits(Vector256.WidenUpper(v)).AsSingle().StoreUnsafe(ref d, (nuint)(i + Vector256<uint>.Count));
        }
        return i;
    }

    internal static int F16ToF32V128(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
        {
            var v = Vector128.LoadUnsafe(ref s, (nuint)i);
            F16ToF32Bits(Vector128.WidenLower(v)).AsSingle().StoreUnsafe(ref d, (nuint)i);
            F16ToF32Bits(Vector128.WidenUpper(v)).AsSingle().StoreUnsafe(ref d, (nuint)(i + Vector128<uint>.Count));
        }
        return i;
    }

    internal static int F32ToF16V512(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector512<ushort>.Count; i += Vector512<ushort>.Count)
        {
            var lo = F32ToF16Bits(Vector512.LoadUnsafe(ref s, (nuint)i));
            var hi = F32ToF16Bits(Vector512.LoadUnsafe(ref s, (nuint)(i + Vector512<uint>.Count)));
            Vector512.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
        }
        return i;
    }

    internal static int F32ToF16V256(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
        {
            var lo = F32ToF16Bits(Vector256.LoadUnsafe(ref s, (nuint)i));
            var hi = F32ToF16Bits(Vector256.LoadUnsafe(ref s, (nuint)(i + Vector256<uint>.Count)));
            Vector256.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
        }
        return i;
    }

    internal static int F32ToF16V128(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
        {
            var lo = F32ToF16Bits(Vector128.LoadUnsafe(ref s, (nuint)i));
            var hi = F32ToF16Bits(Vector128.LoadUnsafe(ref s, (nuint)(i + Vector128<uint>.Count)));
            Vector128.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
        }
        return i;
    }

    // Lane-wise copies of the scalar F16ToF32 / F32ToF16 above (both branches computed, then selected).
    static Vector512<uint> F16ToF32Bits(Vector512<uint> h)
    {
        var o = (h & Vector512.Create(0x7FFFu)) << 13;
        var exp = o & Vector512.Create(HalfExpShifted);
        o += Vector512.Create(ExpAdjust);
        o += Vector512.Equals(exp, Vector512.Create(HalfExpShifted)) & Vector512.Create(ExpAdjust);
        var sub = ((o + Vector512.Create(1u << 23)).AsSingle() - Vector512.Create(HalfMagicBits).AsSingle()).AsUInt32();
        o = Vector512.ConditionalSelect(Vector512.Equals(exp, Vector512<uint>.Zero), sub, o);
        return o | (h & Vector512.Create(0x8000u)) << 16;
    }

    static Vector256<uint> F16ToF32Bits(Vector256<uint> h)
    {
        var o = (h & Vector256.Create(0x7FFFu)) << 13;
        var exp = o & Vector256.Create(HalfExpShifted);
        o += Vector256.Create(ExpAdjust);
        o += Vector256.Equals(exp, Vector256.Create(HalfExpShifted)) & Vector256.Create(ExpAdjust);
        var sub = ((o + Vector256.Create(1u << 23)).AsSingle() - Vector256.Create(HalfMagicBits).AsSingle()).AsUInt32();
        o = Vector256.ConditionalSelect(Vector256.Equals(exp, Vector256<uint>.Zero), sub, o);
        return o | (h & Vector256.Create(0x8000u)) << 16;
    }

    static Vector128<uint> F16ToF32Bits(Vector128<uint> h)
    {
        var o = (h & Vector128.Create(0x7FFFu)) << 13;
        var exp = o & Vector128.Create(HalfExpShifted);
        o += Vector128.Create(ExpAdjust);
        o += Vector128.Equals(exp, Vector128.Create(HalfExpShifted)) & Vector128.Create(ExpAdjust);
        var sub = ((o + Vector128.Create(1u << 23)).AsSingle() - Vector128.Create(HalfMagicBits).AsSingle()).AsUInt32();
        o = Vector128.ConditionalSelect(Vector128.Equals(exp, Vector128<uint>.Zero), sub, o);
        return o | (h & Vector128.Create(0x8000u)) << 16;
    }

    static Vector512<uint> F32ToF16Bits(Vector512<uint> bits)
    {
        var sign = bits & Vector512.Create(0x8000_0000u);
        var a = bits ^ sign;
        var special = Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512.Create(0x7F80_0000u)),
            Vector512.Create(0x7E00u) | ((a >> 13) & Vector512.Create(0x3FFu)), Vector512.Create(0x7C00u));
        var sub = (a.AsSingle() + Vector512.Create(DenormMagicBits).AsSingle()).AsUInt32() - Vector512.Create(DenormMagicBits);
        var normal = (a + Vector512.Create(unchecked((uint)((15 - 127) << 23)) + 0xFFF) + ((a >> 13) & Vector512<uint>.One)) >> 13;
        var o = Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(F16MinNormalBits)), sub, normal);
        o = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512.Create(F16MaxBits)), special, o);
        return o | sign >> 16;
    }

    static Vector256<uint> F32ToF16Bits(Vector256<uint> bits)
    {
        var sign = bits & Vector256.Create(0x8000_0000u);
        var a = bits ^ sign;
        var special = Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256.Create(0x7F80_0000u)),
            Vector256.Create(0x7E00u) | ((a >> 13) & Vector256.Create(0x3FFu)), Vector256.Create(0x7C00u));
        var sub = (a.AsSingle() + Vector256.Create(DenormMagicBits).AsSingle()).AsUInt32() - Vector256.Create(DenormMagicBits);
        var normal = (a + Vector256.Create(unchecked((uint)((15 - 127) << 23)) + 0xFFF) + ((a >> 13) & Vector256<uint>.One)) >> 13;
        var o = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(F16MinNormalBits)), sub, normal);
        o = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256.Create(F16MaxBits)), special, o);
        return o | sign >> 16;
    }

    static Vector128<uint> F32ToF16Bits(Vector128<uint> bits)
    {
        var sign = bits & Vector128.Create(0x8000_0000u);
        var a = bits ^ sign;
        var special = Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128.Create(0x7F80_0000u)),
            Vector128.Create(0x7E00u) | ((a >> 13) & Vector128.Create(0x3FFu)), Vector128.Create(0x7C00u));
        var sub = (a.AsSingle() + Vector128.Create(DenormMagicBits).AsSingle()).AsUInt32() - Vector128.Create(DenormMagicBits);
        var normal = (a + Vector128.Create(unchecked((uint)((15 - 127) << 23)) + 0xFFF) + ((a >> 13) & Vector128<uint>.One)) >> 13;
        var o = Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128.Create(F16MinNormalBits)), sub, normal);
        o = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a, Vector128.Create(F16MaxBits)), special, o);
        return o | sign >> 16;
    }
}
