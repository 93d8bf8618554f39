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

// F16 decode without the per-element rebias. The f16 bits moved to f32 position (sign at bit 31, exponent and
// mantissa at bits 13..27) read as f32 are exactly w·2^-112, normals and subnormals alike, so a lane costs a shift
// and a mask: the even half of each 32-bit word is shifted up 16 then arithmetic-shifted down 3 (the odd half only
// the latter), and 0x8FFFE000 keeps the sign and the 15 bits. The side copy of x holds each vector chunk's even
// elements then its odd ones, scaled by 2^56; the sum is scaled by 2^56 again (powers of two: exact). A running
// max of |bits| spots exponent 31 (inf/NaN): such a row is redone by DotF16, which widens exactly.
public static partial class Quant
{
    const float Two56 = 72057594037927936f;

    /// <summary>Rows longer than this go two at a time (DotF16Split2): their x side copy (4 bytes a value) leaves L1.</summary>
    internal static int F16SplitPairCols { get; set; } = 4096;

    /// <summary>f16 values per chunk of the split layout (one weight vector): 32 on V512, 16 on V256, 0 below.</summary>
    internal static int F16SplitChunk(KernelPath path) => path switch { KernelPath.V512 => 32, KernelPath.V256 => 16, _ => 0 };

    /// <summary>side[c + j] = scale·x[c + 2j], side[c + h + j] = scale·x[c + 2j + 1] per chunk c of 2h values
    /// (scale 2^56 for F16's w·2^-112, 1 for BF16).</summary>
    internal static unsafe void PrepareSplit(float* x, int cols, float* side, KernelPath path, float scale)
    {
        int c = F16SplitChunk(path), h = c / 2;
        for (int i0 = 0; i0 + c <= cols; i0 += c)
            for (int j = 0; j < h; j++)
            {
                side[i0 + j] = x[i0 + 2 * j] * scale;
                side[i0 + h + j] = x[i0 + 2 * j + 1] * scale;
            }
    }

    /// <summary>Σ w[i]·x[i] for an f16 row against x and its split side copy (PrepareSplit by 2^56 on the same path).
    /// Sums in the order DotF16Split2 does, so a row's result never depends on whether it was paired.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe float DotF16Split(byte* wb, float* side, float* x, int n, KernelPath path)
    {
        int i = 0;
        float sum;
        if (path == KernelPath.V512)
        {
            var keep = Vector512.Create(unchecked((int)0x8FFFE000));
            var abs = Vector512.Create(0x7FFF7FFF);
            Vector512<float> a0 = default, a1 = default;
            Vector512<ushort> mx = default;
            for (; i + 32 <= n; i += 32)
            {
                var v = Vector512.Load((int*)(wb + 2 * i));
                a0 = Vector512.FusedMultiplyAdd((((v << 16) >> 3) & keep).AsSingle(), Vector512.Load(side + i), a0);
                a1 = Vector512.FusedMultiplyAdd(((v >> 3) & keep).AsSingle(), Vector512.Load(side + i + 16), a1);
                mx = Vector512.Max(mx, (v & abs).AsUInt16());
            }
            if (Vector512.GreaterThanOrEqualAny(mx, Vector512.Create((ushort)0x7C00))) return DotF16(wb, x, n, path);
            sum = Vector512.Sum(a0 + a1) * Two56;
        }
        else if (path == KernelPath.V256)
        {
            var keep = Vector256.Create(unchecked((int)0x8FFFE000));
            var abs = Vector256.Create(0x7FFF7FFF);
            Vector256<float> a0 = default, a1 = default;
            Vector256<ushort> mx = default;
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector256.Load((int*)(wb + 2 * i));
                a0 = Vector256.FusedMultiplyAdd((((v << 16) >> 3) & keep).AsSingle(), Vector256.Load(side + i), a0);
                a1 = Vector256.FusedMultiplyAdd(((v >> 3) & keep).AsSingle(), Vector256.Load(side + i + 8), a1);
                mx = Vector256.Max(mx, (v & abs).AsUInt16());
            }
            if (Vector256.GreaterThanOrEqualAny(mx, Vector256.Create((ushort)0x7C00))) return DotF16(wb, x, n, path);
            sum = Vector256.Sum(a0 + a1) * Two56;
        }
        else return DotF16(wb, x, n, path);
        return sum + DotFloatRef(GgmlType.F16, wb + 2 * i, x + i, n - i);
    }

    /// <summary>DotF16Split for rows w0 and w1 at once: each x chunk is loaded once for both (rows longer than L1
    /// holds x for re-read from L2, where the x traffic, twice the weights' bytes, is the limit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe (float, float) DotF16Split2(byte* w0, byte* w1, float* side, float* x, int n, KernelPath path)
    {
        int i = 0;
        float s0, s1;
        if (path == KernelPath.V512)
        {
            var keep = Vector512.Create(unchecked((int)0x8FFFE000));
            var abs = Vector512.Create(0x7FFF7FFF);
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            Vector512<ushort> mv = default, mu = default;
            for (; i + 32 <= n; i += 32)
            {
                var xe = Vector512.Load(side + i); var xo = Vector512.Load(side + i + 16);
                var v = Vector512.Load((int*)(w0 + 2 * i)); var u = Vector512.Load((int*)(w1 + 2 * i));
                a0 = Vector512.FusedMultiplyAdd((((v << 16) >> 3) & keep).AsSingle(), xe, a0);
                a1 = Vector512.FusedMultiplyAdd(((v >> 3) & keep).AsSingle(), xo, a1);
                b0 = Vector512.FusedMultiplyAdd((((u << 16) >> 3) & keep).AsSingle(), xe, b0);
                b1 = Vector512.FusedMultiplyAdd(((u >> 3) & keep).AsSingle(), xo, b1);
                mv = Vector512.Max(mv, (v & abs).AsUInt16());
                mu = Vector512.Max(mu, (u & abs).AsUInt16());
            }
            var infNaN = Vector512.Create((ushort)0x7C00);
            bool bad0 = Vector512.GreaterThanOrEqualAny(mv, infNaN), bad1 = Vector512.GreaterThanOrEqualAny(mu, infNaN);
            if (bad0 || bad1)
                return (bad0 ? DotF16(w0, x, n, path) : DotF16Split(w0, side, x, n, path), bad1 ? DotF16(w1, x, n, path) : DotF16Split(w1, side, x, n, path));
            s0 = Vector512.Sum(a0 + a1) * Two56; s1 = Vector512.Sum(b0 + b1) * Two56;
        }
        else if (path == KernelPath.V256)
        {
            var keep = Vector256.Create(unchecked((int)0x8FFFE000));
            var abs = Vector256.Create(0x7FFF7FFF);
            Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default;
            Vector256<ushort> mv = default, mu = default;
            for (; i + 16 <= n; i += 16)
            {
                var xe = Vector256.Load(side + i); var xo = Vector256.Load(side + i + 8);
                var v = Vector256.Load((int*)(w0 + 2 * i)); var u = Vector256.Load((int*)(w1 + 2 * i));
                a0 = Vector256.FusedMultiplyAdd((((v << 16) >> 3) & keep).AsSingle(), xe, a0);
                a1 = Vector256.FusedMultiplyAdd(((v >> 3) & keep).AsSingle(), xo, a1);
                b0 = Vector256.FusedMultiplyAdd((((u << 16) >> 3) & keep).AsSingle(), xe, b0);
                b1 = Vector256.FusedMultiplyAdd(((u >> 3) & keep).AsSingle(), xo, b1);
                mv = Vector256.Max(mv, (v & abs).AsUInt16());
                mu = Vector256.Max(mu, (u & abs).AsUInt16());
            }
            var infNaN = Vector256.Create((ushort)0x7C00);
            bool bad0 = Vector256.GreaterThanOrEqualAny(mv, infNaN), bad1 = Vector256.GreaterThanOrEqualAny(mu, infNaN);
            if (bad0 || bad1)
                return (bad0 ? DotF16(w0, x, n, path) : DotF16Split(w0, side, x, n, path), bad1 ? DotF16(w1, x, n, path) : DotF16Split(w1, side, x, n, path));
            s0 = Vector256.Sum(a0 + a1) * Two56; s1 = Vector256.Sum(b0 + b1) * Two56;
        }
        else return (DotF16(w0, x, n, path), DotF16(w1, x, n, path));
        return (s0 + DotFloatRef(GgmlType.F16, w0 + 2 * i, x + i, n - i), s1 + DotFloatRef(GgmlType.F16, w1 + 2 * i, x + i, n - i));
    }
}
