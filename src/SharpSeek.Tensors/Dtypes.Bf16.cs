// bf16 ↔ f32. A bf16 is the top 16 bits of an f32: widening is a shift left by 16; narrowing rounds to
// nearest even on the dropped 16 bits, and keeps NaN a (quiet) NaN with its sign and top payload bits.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors;

public static partial class Dtypes
{
    public static float Bf16ToF32(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static ushort F32ToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((bits >> 16) | 0x0040); // NaN → quiet NaN
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);                     // RNE; overflow → ±inf
    }

    public static void Bf16ToF32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckDestination(source.Length, destination.Length);
        int i = Vector512.IsHardwareAccelerated ? Bf16ToF32V512(source, destination)
              : Vector256.IsHardwareAccelerated ? Bf16ToF32V256(source, destination)
              : Vector128.IsHardwareAccelerated ? Bf16ToF32V128(source, destination) : 0;
        Bf16ToF32Scalar(source[i..], destination[i..]);
    }

    public static void F32ToBf16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckDestination(source.Length, destination.Length);
        int i = Vector512.IsHardwareAccelerated ? F32ToBf16V512(source, destination)
              : Vector256.IsHardwareAccelerated ? F32ToBf16V256(source, destination)
              : Vector128.IsHardwareAccelerated ? F32ToBf16V128(source, destination) : 0;
        F32ToBf16Scalar(source[i..], destination[i..]);
    }

    public static void Bf16ToF32Scalar(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckDestination(source.Length, destination.Length);
        for (int i = 0; i < source.Length; i++) destination[i] = Bf16ToF32(source[i]);
    }

    public static void F32ToBf16Scalar(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckDestination(source.Length, destination.Length);
        for (int i = 0; i < source.Length; i++) destination[i] = F32ToBf16(source[i]);
    }

    // ---- SIMD bodies: each converts whole vectors and returns how many elements it did ----

    internal static int Bf16ToF32V512(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector512<ushort>.Count; i += Vector512<ushort>.Count)
        {
            var v = Vector512.LoadUnsafe(ref s, (nuint)i);
            (Vector512.WidenLower(v) << 16).AsSingle().StoreUnsafe(ref d, (nuint)i);
            (Vector512.WidenUpper(v) << 16).AsSingle().StoreUnsafe(ref d, (nuint)(i + Vector512<uint>.Count));
        }
        return i;
    }

    internal static int Bf16ToF32V256(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
        {
            var v = Vector256.LoadUnsafe(ref s, (nuint)i);
            (Vector256.WidenLower(v) << 16).AsSingle().StoreUnsafe(ref d, (nuint)i);
            (Vector256.WidenUpper(v) << 16).AsSingle().StoreUnsafe(ref d, (nuint)(i + Vector256<uint>.Count));
        }
        return i;
    }

    internal static int Bf16ToF32V128(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
        {
            var v = Vector128.LoadUnsafe(ref s, (nuint)i);
            (Vector128.WidenLower(v) << 16).AsSingle().StoreUnsafe(ref d, (nuint)i);
            (Vector128.WidenUpper(v) << 16).AsSingle().StoreUnsafe(ref d, (nuint)(i + Vector128<uint>.Count));
        }
        return i;
    }

    internal static int F32ToBf16V512(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector512<ushort>.Count; i += Vector512<ushort>.Count)
        {
            var lo = Bf16Bits(Vector512.LoadUnsafe(ref s, (nuint)i));
            var hi = Bf16Bits(Vector512.LoadUnsafe(ref s, (nuint)(i + Vector512<uint>.Count)));
            Vector512.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
        }
        return i;
    }

    internal static int F32ToBf16V256(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
        {
            var lo = Bf16Bits(Vector256.LoadUnsafe(ref s, (nuint)i));
            var hi = Bf16Bits(Vector256.LoadUnsafe(ref s, (nuint)(i + Vector256<uint>.Count)));
            Vector256.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
        }
        return i;
    }

    internal static int F32ToBf16V128(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort d = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= source.Length - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
        {
            var lo = Bf16Bits(Vector128.LoadUnsafe(ref s, (nuint)i));
            var hi = Bf16Bits(Vector128.LoadUnsafe(ref s, (nuint)(i + Vector128<uint>.Count)));
            Vector128.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
        }
        return i;
    }

    // f32 bits → bf16 bits in the low half of each lane (same rule as the scalar F32ToBf16).
    static Vector512<uint> Bf16Bits(Vector512<uint> b)
    {
        var rounded = (b + Vector512.Create(0x7FFFu) + ((b >> 16) & Vector512<uint>.One)) >> 16;
        var nan = Vector512.GreaterThan(b & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        return Vector512.ConditionalSelect(nan, (b >> 16) | Vector512.Create(0x40u), rounded);
    }

    static Vector256<uint> Bf16Bits(Vector256<uint> b)
    {
        var rounded = (b + Vector256.Create(0x7FFFu) + ((b >> 16) & Vector256<uint>.One)) >> 16;
        var nan = Vector256.GreaterThan(b & Vector256.Create(0x7FFF_FFFFu), Vector256.Create(0x7F80_0000u));
        return Vector256.ConditionalSelect(nan, (b >> 16) | Vector256.Create(0x40u), rounded);
    }

    static Vector128<uint> Bf16Bits(Vector128<uint> b)
    {
        var rounded = (b + Vector128.Create(0x7FFFu) + ((b >> 16) & Vector128<uint>.One)) >> 16;
        var nan = Vector128.GreaterThan(b & Vector128.Create(0x7FFF_FFFFu), Vector128.Create(0x7F80_0000u));
        return Vector128.ConditionalSelect(nan, (b >> 16) | Vector128.Create(0x40u), rounded);
    }
}
