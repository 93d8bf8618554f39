// FP8 e4m3fn ↔ f32 (the "float8_e4m3fn" of PyTorch and DeepSeek-V3's weights): 1 sign, 4 exponent bits
// with bias 7, 3 mantissa bits; no infinities; 0x7F / 0xFF are NaN; max ±448 (0x7E); subnormals m·2^-9.
// Decoding uses a 256-entry table in the scalar path and bit arithmetic in the SIMD path. Encoding rounds
// to nearest even and saturates to ±448 (inf included) — unlike a plain torch cast, which gives NaN.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors;

public static partial class Dtypes
{
    public const float Fp8E4M3Max = 448f;

    static readonly float[] Fp8E4M3Table = BuildFp8E4M3Table();

    // The definition, written out: value = (-1)^s · 2^(e-7) · (1 + m/8), or 2^-6 · m/8 when e = 0.
    static float[] BuildFp8E4M3Table()
    {
        var table = new float[256];
        for (int b = 0; b < 256; b++)
        {
            int sign = b >> 7, exp = (b >> 3) & 0xF, man = b & 7;
            float magnitude = exp == 0 ? MathF.ScaleB(man, -9) : MathF.ScaleB(1f + man / 8f, exp - 7);
            if (exp == 15 && man == 7) magnitude = BitConverter.UInt32BitsToSingle(0x7FC0_0000);  // NaN
            table[b] = sign == 1 ? -magnitude : magnitude;
        }
        return table;
    }

    public static float Fp8E4M3ToF32(byte bits) => Fp8E4M3Table[bits];

    public static byte F32ToFp8E4M3(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint sign = (bits >> 24) & 0x80;
        uint a = bits & 0x7FFF_FFFF;
        uint o;
        if (a > 0x7F80_0000) o = 0x7F;                                  // NaN
        else if (a >= 0x43E0_0000) o = 0x7E;                            // ≥ 448 (and inf): saturate
        else if (a < 121u << 23)                                        // < 2^-6: subnormal; adding 2^14 rounds at 2^-9
            o = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(a) + 16384f) - (141u << 23);
        else
            o = (a + unchecked((uint)((7 - 127) << 23)) + 0x7FFFF + ((a >> 20) & 1)) >> 20;  // rebias, RNE on 20 bits
        return (byte)(o | sign);
    }

    public static void Fp8E4M3ToF32(ReadOnlySpan<byte> source, Span<float> destination)
    {
        CheckDestination(source.Length, destination.Length);
        int i = Vector512.IsHardwareAccelerated ? Fp8E4M3ToF32V512(source, destination)
              : Vector256.IsHardwareAccelerated ? Fp8E4M3ToF32V256(source, destination)
              : Vector128.IsHardwareAccelerated ? Fp8E4M3ToF32V128(source, destination) : 0;
        Fp8E4M3ToF32Scalar(source[i..], destination[i..]);
    }

    public static void F32ToFp8E4M3(ReadOnlySpan<float> source, Span<byte> destination)
    {
        CheckDestination(source.Length, destination.Length);
        int i = Vector512.IsHardwareAccelerated ? F32ToFp8E4M3V512(source, destination)
              : Vector256.IsHardwareAccelerated ? F32ToFp8E4M3V256(source, destination)
              : Vector128.IsHardwareAccelerated ? F32ToFp8E4M3V128(source, destination) : 0;
        F32ToFp8E4M3Scalar(source[i..], destination[i..]);
    }

    public static void Fp8E4M3ToF32Scalar(ReadOnlySpan<byte> source, Span<float> destination)
    {
        CheckDestination(source.Length, destination.Length);
        var table = Fp8E4M3Table;
        for (int i = 0; i < source.Length; i++) destination[i] = table[source[i]];
    }

    public static void F32ToFp8E4M3Scalar(ReadOnlySpan<float> source, Span<byte> destination)
    {
        CheckDestination(source.Length, destination.Length);
        for (int i = 0; i < source.Length; i++) destination[i] = F32ToFp8E4M3(source[i]);
    }

    // ---- SIMD bodies: one byte vector ↔ four f32 vectors ----

    internal static int Fp8E4M3ToF32V512(ReadOnlySpan<byte> source, Span<float> destination)
    {
        ref byte s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int n = Vector512<uint>.Count, i = 0;
        for (; i <= source.Length - Vector512<byte>.Count; i += Vector512<byte>.Count)
        {
            var v = Vector512.LoadUnsafe(ref s, (nuint)i);
            var lo = Vector512.WidenLower(v);
            var hi = Vector512.WidenUpper(v);
            Fp8ToF32Bits(Vector512.WidenLower(lo)).AsSingle().StoreUnsafe(ref d, (nuint)i);
            Fp8ToF32Bits(Vector512.WidenUpper(lo)).AsSingle().StoreUnsafe(ref d, (nuint)(i + n));
            Fp8ToF32Bits(Vector512.WidenLower(hi)).AsSingle().StoreUnsafe(ref d, (nuint)(i + 2 * n));
            Fp8ToF32Bits(Vector512.WidenUpper(hi)).AsSingle().StoreUnsafe(ref d, (nuint)(i + 3 * n));
        }
        return i;
    }

    internal static int Fp8E4M3ToF32V256(ReadOnlySpan<byte> source, Span<float> destination)
    {
        ref byte s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int n = Vector256<uint>.Count, i = 0;
        for (; i <= source.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
        {
            var v = Vector256.LoadUnsafe(ref s, (nuint)i);
            var lo = Vector256.WidenLower(v);
            var hi = Vector256.WidenUpper(v);
            Fp8ToF32Bits(Vector256.WidenLower(lo)).AsSingle().StoreUnsafe(ref d, (nuint)i);
            Fp8ToF32Bits(Vector256.WidenUpper(lo)).AsSingle().StoreUnsafe(ref d, (nuint)(i + n));
            Fp8ToF32Bits(Vector256.WidenLower(hi)).AsSingle().StoreUnsafe(ref d, (nuint)(i + 2 * n));
            Fp8ToF32Bits(Vector256.WidenUpper(hi)).AsSingle().StoreUnsafe(ref d, (nuint)(i + 3 * n));
        }
        return i;
    }

    internal static int Fp8E4M3ToF32V128(ReadOnlySpan<byte> source, Span<float> destination)
    {
        ref byte s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int n = Vector128<uint>.Count, i = 0;
        for (; i <= source.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
        {
            var v = Vector128.LoadUnsafe(ref s, (nuint)i);
            var lo = Vector128.WidenLower(v);
            var hi = Vector128.WidenUpper(v);
            Fp8ToF32Bits(Vector128.WidenLower(lo)).AsSingle().StoreUnsafe(ref d, (nuint)i);
            Fp8ToF32Bits(Vector128.WidenUpper(lo)).AsSingle().StoreUnsafe(ref d, (nuint)(i + n));
            Fp8ToF32Bits(Vector128.WidenLower(hi)).AsSingle().StoreUnsafe(ref d, (nuint)(i + 2 * n));
            Fp8ToF32Bits(Vector128.WidenUpper(hi)).AsSingle().StoreUnsafe(ref d, (nuint)(i + 3 * n));
        }
        return i;
    }

    internal static int F32ToFp8E4M3V512(ReadOnlySpan<float> source, Span<byte> destination)
    {
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref byte d = ref MemoryMarshal.GetReference(destination);
        int n = Vector512<uint>.Count, i = 0;
        for (; i <= source.Length - Vector512<byte>.Count; i += Vector512<byte>.Count)
        {
            var a = F32ToFp8Bits(Vector512.LoadUnsafe(ref s, (nuint)i));
            var b = F32ToFp8Bits(Vector512.LoadUnsafe(ref s, (nuint)(i + n)));
            var c = F32ToFp8Bits(Vector512.LoadUnsafe(ref s, (nuint)(i + 2 * n)));
            var e = F32ToFp8Bits(Vector512.LoadUnsafe(ref s, (nuint)(i + 3 * n)));
            Vector512.Narrow(Vector512.Narrow(a, b), Vector512.Narrow(c, e)).StoreUnsafe(ref d, (nuint)i);
        }
        return i;
    }

    internal static int F32ToFp8E4M3V256(ReadOnlySpan<float> source, Span<byte> destination)
    {
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref byte d = ref MemoryMarshal.GetReference(destination);
        int n = Vector256<uint>.Count, i = 0;
        for (; i <= source.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
        {
            var a = F32ToFp8Bits(Vector256.LoadUnsafe(ref s, (nuint)i));
            var b = F32ToFp8Bits(Vector256.LoadUnsafe(ref s, (nuint)(i + n)));
            var c = F32ToFp8Bits(Vector256.LoadUnsafe(ref s, (nuint)(i + 2 * n)));
            var e = F32ToFp8Bits(Vector256.LoadUnsafe(ref s, (nuint)(i + 3 * n)));
            Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, e)).StoreUnsafe(ref d, (nuint)i);
        }
        return i;
    }

    internal static int F32ToFp8E4M3V128(ReadOnlySpan<float> source, Span<byte> destination)
    {
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref byte d = ref MemoryMarshal.GetReference(destination);
        int n = Vector128<uint>.Count, i = 0;
        for (; i <= source.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
        {
            var a = F32ToFp8Bits(Vector128.LoadUnsafe(ref s, (nuint)i));
            var b = F32ToFp8Bits(Vector128.LoadUnsafe(ref s, (nuint)(i + n)));
            var c = F32ToFp8Bits(Vector128.LoadUnsafe(ref s, (nuint)(i + 2 * n)));
            var e = F32ToFp8Bits(Vector128.LoadUnsafe(ref s, (nuint)(i + 3 * n)));
            Vector128.Narrow(Vector128.Narrow(a, b), Vector128.Narrow(c, e)).StoreUnsafe(ref d, (nuint)i);
        }
        return i;
    }

    // fp8 byte (0..255 in a u32 lane) → f32 bits. Normals: shift e and m into place and rebias by 120;
    // subnormals (e = 0): m · 2^-9 by an int→float convert, which is exact; 0x7F / 0xFF → NaN.
    static Vector512<uint> Fp8ToF32Bits(Vector512<uint> x)
    {
        var em = x & Vector512.Create(0x7Fu);
        var normal = (em << 20) + Vector512.Create(120u << 23);
        var sub = (Vector512.ConvertToSingle(em.AsInt32()) * Vector512.Create(1f / 512)).AsUInt32();
        var o = Vector512.ConditionalSelect(Vector512.LessThan(em, Vector512.Create(8u)), sub, normal);
        o = Vector512.ConditionalSelect(Vector512.Equals(em, Vector512.Create(0x7Fu)), Vector512.Create(0x7FC0_0000u), o);
        return o | (x & Vector512.Create(0x80u)) << 24;
    }

    static Vector256<uint> Fp8ToF32Bits(Vector256<uint> x)
    {
        var em = x & Vector256.Create(0x7Fu);
        var normal = (em << 20) + Vector256.Create(120u << 23);
        var sub = (Vector256.ConvertToSingle(em.AsInt32()) * Vector256.Create(1f / 512)).AsUInt32();
        var o = Vector256.ConditionalSelect(Vector256.LessThan(em, Vector256.Create(8u)), sub, normal);
        o = Vector256.ConditionalSelect(Vector256.Equals(em, Vector256.Create(0x7Fu)), Vector256.Create(0x7FC0_0000u), o);
        return o | (x & Vector256.Create(0x80u)) << 24;
    }

    static Vector128<uint> Fp8ToF32Bits(Vector128<uint> x)
    {
        var em = x & Vector128.Create(0x7Fu);
        var normal = (em << 20) + Vector128.Create(120u << 23);
        var sub = (Vector128.ConvertToSingle(em.AsInt32()) * Vector128.Create(1f / 512)).AsUInt32();
        var o = Vector128.ConditionalSelect(Vector128.LessThan(em, Vector128.Create(8u)), sub, normal);
        o = Vector128.ConditionalSelect(Vector128.Equals(em, Vector128.Create(0x7Fu)), Vector128.Create(0x7FC0_0000u), o);
        return o | (x & Vector128.Create(0x80u)) << 24;
    }

    // f32 bits → fp8 byte in the low 8 bits of each lane (same rule as the scalar F32ToFp8E4M3).
    static Vector512<uint> F32ToFp8Bits(Vector512<uint> bits)
    {
        var sign = (bits >> 24) & Vector512.Create(0x80u);
        var a = bits & Vector512.Create(0x7FFF_FFFFu);
        var sub = (a.AsSingle() + Vector512.Create(16384f)).AsUInt32() - Vector512.Create(141u << 23);
        var normal = (a + Vector512.Create(unchecked((uint)((7 - 127) << 23)) + 0x7FFFF) + ((a >> 20) & Vector512<uint>.One)) >> 20;
        var o = Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(121u << 23)), sub, normal);
        o = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512.Create(0x43E0_0000u)), Vector512.Create(0x7Eu), o);
        o = Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512.Create(0x7F80_0000u)), Vector512.Create(0x7Fu), o);
        return o | sign;
    }

    static Vector256<uint> F32ToFp8Bits(Vector256<uint> bits)
    {
        var sign = (bits >> 24) & Vector256.Create(0x80u);
        var a = bits & Vector256.Create(0x7FFF_FFFFu);
        var sub = (a.AsSingle() + Vector256.Create(16384f)).AsUInt32() - Vector256.Create(141u << 23);
        var normal = (a + Vector256.Create(unchecked((uint)((7 - 127) << 23)) + 0x7FFFF) + ((a >> 20) & Vector256<uint>.One)) >> 20;
        var o = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(121u << 23)), sub, normal);
        o = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256.Create(0x43E0_0000u)), Vector256.Create(0x7Eu), o);
        o = Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256.Create(0x7F80_0000u)), Vector256.Create(0x7Fu), o);
        return o | sign;
    }

    static Vector128<uint> F32ToFp8Bits(Vector128<uint> bits)
    {
        var sign = (bits >> 24) & Vector128.Create(0x80u);
        var a = bits & Vector128.Create(0x7FFF_FFFFu);
        var sub = (a.AsSingle() + Vector128.Create(16384f)).AsUInt32() - Vector128.Create(141u << 23);
        var normal = (a + Vector128.Create(unchecked((uint)((7 - 127) << 23)) + 0x7FFFF) + ((a >> 20) & Vector128<uint>.One)) >> 20;
        var o = Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128.Create(121u << 23)), sub, normal);
        o = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a, Vector128.Create(0x43E0_0000u)), Vector128.Create(0x7Eu), o);
        o = Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128.Create(0x7F80_0000u)), Vector128.Create(0x7Fu), o);
        return o | sign;
    }
}
