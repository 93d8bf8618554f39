// ggml block formats (llama.cpp ggml-common.h) and their reference quantize / dequantize, bit for bit with
// ggml-quants.c (`quantize_row_*_ref`, `dequantize_row_*`) and gguf-py quants.py. Dot kernels, MatVec and
// MatMul over these blocks live in the sibling Quant.*.cs files; this file is only the formats.
//
//   type  values/block  bytes  layout
//   Q8_0   32            34    f16 d | i8 qs[32]                       x = d·q
//   Q4_0   32            18    f16 d | u8 qs[16]                       x[j] = d·((qs[j]&15)−8), x[j+16] = d·((qs[j]>>4)−8)
//   Q5_0   32            22    f16 d | u8 qh[4] | u8 qs[16]            q5 = nibble | (bit j of qh)<<4, x = d·(q5 − 16)
//   Q5_1   32            24    f16 d | f16 m | u8 qh[4] | u8 qs[16]    as Q5_0 but unsigned: x = d·q5 + m
//   Q8_1   32            36    f16 d | f16 s | i8 qs[32]               Q8_0 plus s = d·Σqs: activations for Q5_1 dots
//   Q4_K  256           144    f16 d | f16 dmin | u8 scales[12] | u8 qs[128]
//                              8 sub-blocks of 32 with 6-bit scale sc and min m: x = d·sc·q − dmin·m
//   Q6_K  256           210    u8 ql[128] | u8 qh[64] | i8 scales[16] | f16 d
//                              16 groups of 16 with i8 scale: x = d·sc·(q6 − 32)
//   Q8_K  256           292    f32 d | i8 qs[256] | i16 bsums[16]     activations for K-quant dot products
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: InternalsVisibleTo("SharpSeek.Tensors.Tests")]
[assembly: InternalsVisibleTo("SharpSeek.Bench.Kernels")]

namespace SharpSeek.Tensors;

public static partial class Quant
{
    public const int QK = 32;      // Q8_0 / Q4_0 block
    public const int QK_K = 256;   // K-quant super-block

    /// <summary>Values per block (1 for F32/F16/BF16).</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 1,
        GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_1 => QK,
        GgmlType.Q4_K or GgmlType.Q6_K or GgmlType.Q8_K => QK_K,
        _ => throw Unsupported(type),
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q8_0 => 34,
        GgmlType.Q4_0 => 18,
        GgmlType.Q5_0 => 22,
        GgmlType.Q5_1 => 24,
        GgmlType.Q8_1 => 36,
        GgmlType.Q4_K => 144,
        GgmlType.Q6_K => 210,
        GgmlType.Q8_K => 292,
        _ => throw Unsupported(type),
    };

    /// <summary>Bytes of a row of <paramref name="n"/> values; n must be a multiple of the block size.</summary>
    public static long RowBytes(GgmlType type, long n)
    {
        int bs = BlockSize(type);
        if (n < 0 || n % bs != 0)
            throw new ArgumentException($"{type} rows hold whole blocks of {bs} values; {n} is not a multiple of {bs}", nameof(n));
        return n / bs * BlockBytes(type);
    }

    public static bool IsSupported(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_1 or GgmlType.Q4_K or GgmlType.Q6_K
        or GgmlType.Q8_K;

    static NotSupportedException Unsupported(GgmlType type) =>
        new($"ggml type {type} ({(int)type}) is not supported by SharpSeek kernels (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q5_1, Q8_1, Q4_K, Q6_K, Q8_K are)");

    static void CheckSizes(GgmlType type, int srcBytes, int values, string what)
    {
        long need = RowBytes(type, values);
        if (srcBytes != need)
            throw new ArgumentException($"{type}: {values} values take {need} bytes but {what} has {srcBytes}");
    }

    // ---- dequantize ----

    /// <summary>dst[i] = value i of the blocks in src; bit-exact with llama.cpp's dequantize_row_*.</summary>
    public static unsafe void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        CheckSizes(type, src.Length, dst.Length, "the source");
        int n = dst.Length;
        fixed (byte* s = src)
        fixed (float* y = dst)
        {
            switch (type)
            {
                case GgmlType.F32: src.CopyTo(MemoryMarshal.AsBytes(dst)); break;
                case GgmlType.F16: Dtypes.F16ToF32(MemoryMarshal.Cast<byte, ushort>(src), dst); break;
                case GgmlType.BF16: Dtypes.Bf16ToF32(MemoryMarshal.Cast<byte, ushort>(src), dst); break;
                case GgmlType.Q8_0: for (int b = 0; b < n / QK; b++) DequantQ8_0(s + b * 34, y + b * QK); break;
                case GgmlType.Q4_0: for (int b = 0; b < n / QK; b++) DequantQ4_0(s + b * 18, y + b * QK); break;
                case GgmlType.Q5_0: for (int b = 0; b < n / QK; b++) DequantQ5_0(s + b * 22, y + b * QK); break;
                case GgmlType.Q5_1: for (int b = 0; b < n / QK; b++) DequantQ5_1(s + b * 24, y + b * QK); break;
                case GgmlType.Q8_1: for (int b = 0; b < n / QK; b++) DequantQ8_1(s + b * 36, y + b * QK); break;
                case GgmlType.Q4_K: for (int b = 0; b < n / QK_K; b++) DequantQ4_K(s + b * 144, y + b * QK_K); break;
                case GgmlType.Q6_K: for (int b = 0; b < n / QK_K; b++) DequantQ6_K(s + b * 210, y + b * QK_K); break;
                case GgmlType.Q8_K: for (int b = 0; b < n / QK_K; b++) DequantQ8_K(s + b * 292, y + b * QK_K); break;
                default: throw Unsupported(type);
            }
        }
    }

    static unsafe void DequantQ8_0(byte* b, float* y)
    {
        float d = F16(b);
        sbyte* q = (sbyte*)(b + 2);
        for (int j = 0; j < QK; j++) y[j] = q[j] * d;
    }

    static unsafe void DequantQ4_0(byte* b, float* y)
    {
        float d = F16(b);
        byte* q = b + 2;
        for (int j = 0; j < QK / 2; j++)
        {
            y[j] = ((q[j] & 0xF) - 8) * d;
            y[j + QK / 2] = ((q[j] >> 4) - 8) * d;
        }
    }

    static unsafe void DequantQ5_0(byte* b, float* y)
    {
        float d = F16(b);
        uint qh = *(uint*)(b + 2);
        byte* q = b + 6;
        for (int j = 0; j < QK / 2; j++)
        {
            int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
            y[j] = (((q[j] & 0xF) | h0) - 16) * d;
            y[j + QK / 2] = (((q[j] >> 4) | h1) - 16) * d;
        }
    }

    static unsafe void DequantQ5_1(byte* b, float* y)
    {
        float d = F16(b), m = F16(b + 2);
        uint qh = *(uint*)(b + 4);
        byte* q = b + 8;
        for (int j = 0; j < QK / 2; j++)
        {
            int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
            y[j] = ((q[j] & 0xF) | h0) * d + m;
            y[j + QK / 2] = ((q[j] >> 4) | h1) * d + m;
        }
    }

    // ggml has no dequantize_row_q8_1 (Q8_1 is only ever an activation); the values are d·qs as for Q8_0.
    static unsafe void DequantQ8_1(byte* b, float* y)
    {
        float d = F16(b);
        sbyte* q = (sbyte*)(b + 4);
        for (int j = 0; j < QK; j++) y[j] = q[j] * d;
    }

    static unsafe void DequantQ4_K(byte* b, float* y)
    {
        float d = F16(b), min = F16(b + 2);
        byte* scales = b + 4, q = b + 16;
        for (int j = 0, js = 0; j < QK_K; j += 64, js += 2, q += 32)
        {
            ScaleMinK4(js, scales, out int sc1, out int m1);
            ScaleMinK4(js + 1, scales, out int sc2, out int m2);
            float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
            for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0xF) - mm1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - mm2;
        }
    }

    static unsafe void DequantQ6_K(byte* b, float* y)
    {
        float d = F16(b + 208);
        byte* ql = b, qh = b + 128;
        sbyte* sc = (sbyte*)(b + 192);
        for (int n = 0; n < QK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8)
            for (int l = 0; l < 32; l++)
            {
                int s = l / 16;
                int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0 & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2 & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32;
                y[l] = d * sc[s] * q1;
                y[l + 32] = d * sc[s + 2] * q2;
                y[l + 64] = d * sc[s + 4] * q3;
                y[l + 96] = d * sc[s + 6] * q4;
            }
    }

    static unsafe void DequantQ8_K(byte* b, float* y)
    {
        float d = *(float*)b;
        sbyte* q = (sbyte*)(b + 4);
        for (int j = 0; j < QK_K; j++) y[j] = d * q[j];
    }

    /// <summary>6-bit scale and min of sub-block j (0..7) from the 12 packed bytes (ggml get_scale_min_k4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void ScaleMinK4(int j, byte* q, out int d, out int m)
    {
        if (j < 4) { d = q[j] & 63; m = q[j + 4] & 63; }
        else
        {
            d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    // f16 → f32 by table: exact (every f16 is a float), and one load instead of the bit dance per block scale.
    // Pinned, and read through a raw pointer in the kernels (no bounds check per block scale).
    internal static readonly float[] F16Table = BuildF16Table();
    static readonly unsafe float* F16Ptr = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(F16Table));

    static float[] BuildF16Table()
    {
        var t = GC.AllocateArray<float>(65536, pinned: true);
        for (int i = 0; i < t.Length; i++) t[i] = Dtypes.F16ToF32((ushort)i);
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float F16(byte* p) => F16Ptr[*(ushort*)p];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void PutF16(byte* p, float v) => *(ushort*)p = Dtypes.F32ToF16(v);
}
