// Dot kernels for float weight rows (F32, F16, BF16) × f32 activations: widen on the fly (f16 by exact bit
// manipulation, bf16 by a 16-bit shift) and FMA into several accumulators. The reference sums in order.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotF32(byte* wb, float* x, int n, KernelPath path)
    {
        float* w = (float*)wb;
        int i = 0;
        float tail = 0;
        if (path == KernelPath.V512)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 64 <= n; i += 64)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i + 16), Vector512.Load(x + i + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i + 32), Vector512.Load(x + i + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i + 48), Vector512.Load(x + i + 48), a3);
            }
            for (; i + 16 <= n; i += 16) a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), a0);
            tail = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (path == KernelPath.V256)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 32 <= n; i += 32)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i + 8), Vector256.Load(x + i + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i + 16), Vector256.Load(x + i + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i + 24), Vector256.Load(x + i + 24), a3);
            }
            for (; i + 8 <= n; i += 8) a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
            tail = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        else if (path == KernelPath.V128)
        {
            Vector128<float> a0 = default, a1 = default;
            for (; i + 8 <= n; i += 8)
            {
                a0 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i), Vector128.Load(x + i), a0);
                a1 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 4), Vector128.Load(x + i + 4), a1);
            }
            for (; i + 4 <= n; i += 4) a0 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i), Vector128.Load(x + i), a0);
            tail = Vector128.Sum(a0 + a1);
        }
        return tail + DotFloatRef(GgmlType.F32, (byte*)(w + i), x + i, n - i);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotBf16(byte* wb, float* x, int n, KernelPath path)
    {
        ushort* w = (ushort*)wb;
        int i = 0;
        float tail = 0;
        if (path == KernelPath.V512)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 64 <= n; i += 64)
            {
                var v0 = Vector512.Load(w + i); var v1 = Vector512.Load(w + i + 32);
                a0 = Vector512.FusedMultiplyAdd((Vector512.WidenLower(v0) << 16).AsSingle(), Vector512.Load(x + i), a0);
                a1 = Vector512.FusedMultiplyAdd((Vector512.WidenUpper(v0) << 16).AsSingle(), Vector512.Load(x + i + 16), a1);
                a2 = Vector512.FusedMultiplyAdd((Vector512.WidenLower(v1) << 16).AsSingle(), Vector512.Load(x + i + 32), a2);
                a3 = Vector512.FusedMultiplyAdd((Vector512.WidenUpper(v1) << 16).AsSingle(), Vector512.Load(x + i + 48), a3);
            }
            tail = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (path == KernelPath.V256)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 32 <= n; i += 32)
            {
                var v0 = Vector256.Load(w + i); var v1 = Vector256.Load(w + i + 16);
                a0 = Vector256.FusedMultiplyAdd((Vector256.WidenLower(v0) << 16).AsSingle(), Vector256.Load(x + i), a0);
                a1 = Vector256.FusedMultiplyAdd((Vector256.WidenUpper(v0) << 16).AsSingle(), Vector256.Load(x + i + 8), a1);
                a2 = Vector256.FusedMultiplyAdd((Vector256.WidenLower(v1) << 16).AsSingle(), Vector256.Load(x + i + 16), a2);
                a3 = Vector256.FusedMultiplyAdd((Vector256.WidenUpper(v1) << 16).AsSingle(), Vector256.Load(x + i + 24), a3);
            }
            tail = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        else if (path == KernelPath.V128)
        {
            Vector128<float> a0 = default, a1 = default;
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector128.Load(w + i);
                a0 = Vector128.FusedMultiplyAdd((Vector128.WidenLower(v) << 16).AsSingle(), Vector128.Load(x + i), a0);
                a1 = Vector128.FusedMultiplyAdd((Vector128.WidenUpper(v) << 16).AsSingle(), Vector128.Load(x + i + 4), a1);
            }
            tail = Vector128.Sum(a0 + a1);
        }
        return tail + DotFloatRef(GgmlType.BF16, (byte*)(w + i), x + i, n - i);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotF16(byte* wb, float* x, int n, KernelPath path)
    {
        ushort* w = (ushort*)wb;
        int i = 0;
        float tail = 0;
        if (path == KernelPath.V512)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 64 <= n; i += 64)
            {
                var v0 = Vector512.Load(w + i); var v1 = Vector512.Load(w + i + 32);
                a0 = Vector512.FusedMultiplyAdd(H2F(Vector512.WidenLower(v0)), Vector512.Load(x + i), a0);
                a1 = Vector512.FusedMultiplyAdd(H2F(Vector512.WidenUpper(v0)), Vector512.Load(x + i + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(H2F(Vector512.WidenLower(v1)), Vector512.Load(x + i + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(H2F(Vector512.WidenUpper(v1)), Vector512.Load(x + i + 48), a3);
            }
            tail = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (path == KernelPath.V256)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 32 <= n; i += 32)
            {
                var v0 = Vector256.Load(w + i); var v1 = Vector256.Load(w + i + 16);
                a0 = Vector256.FusedMultiplyAdd(H2F(Vector256.WidenLower(v0)), Vector256.Load(x + i), a0);
                a1 = Vector256.FusedMultiplyAdd(H2F(Vector256.WidenUpper(v0)), Vector256.Load(x + i + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(H2F(Vector256.WidenLower(v1)), Vector256.Load(x + i + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(H2F(Vector256.WidenUpper(v1)), Vector256.Load(x + i + 24), a3);
            }
            tail = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        else if (path == KernelPath.V128)
        {
            Vector128<float> a0 = default, a1 = default;
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector128.Load(w + i);
                a0 = Vector128.FusedMultiplyAdd(H2F(Vector128.WidenLower(v)), Vector128.Load(x + i), a0);
                a1 = Vector128.FusedMultiplyAdd(H2F(Vector128.WidenUpper(v)), Vector128.Load(x + i + 4), a1);
            }
            tail = Vector128.Sum(a0 + a1);
        }
        return tail + DotFloatRef(GgmlType.F16, (byte*)(w + i), x + i, n - i);
    }

    const uint Pow2_112 = (127u + 112) << 23;   // 2^112 as f32 bits: rebias f16 → f32 exponent

    // Exact f16 → f32 on widened bits: shift the magnitude into place and rescale by 2^112 in f32 (exact for
    // normals and subnormals alike), then force the exponent to all-ones for inf/NaN and put the sign back.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> H2F(Vector512<uint> h)
    {
        var mag = (h & Vector512.Create(0x7FFFu)) << 13;
        var f = mag.AsSingle() * Vector512.Create(Pow2_112).AsSingle();
        var infnan = Vector512.GreaterThanOrEqual(mag, Vector512.Create(0x7C00u << 13));
        var bits = f.AsUInt32() | (infnan & Vector512.Create(0x7F800000u));
        return (bits | ((h & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> H2F(Vector256<uint> h)
    {
        var mag = (h & Vector256.Create(0x7FFFu)) << 13;
        var f = mag.AsSingle() * Vector256.Create(Pow2_112).AsSingle();
        var infnan = Vector256.GreaterThanOrEqual(mag, Vector256.Create(0x7C00u << 13));
        var bits = f.AsUInt32() | (infnan & Vector256.Create(0x7F800000u));
        return (bits | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> H2F(Vector128<uint> h)
    {
        var mag = (h & Vector128.Create(0x7FFFu)) << 13;
        var f = mag.AsSingle() * Vector128.Create(Pow2_112).AsSingle();
        var infnan = Vector128.GreaterThanOrEqual(mag, Vector128.Create(0x7C00u << 13));
        var bits = f.AsUInt32() | (infnan & Vector128.Create(0x7F800000u));
        return (bits | ((h & Vector128.Create(0x8000u)) << 16)).AsSingle();
    }
}
