// Reference quantizers: ports of llama.cpp ggml-quants.c `quantize_row_{q8_0,q4_0,q5_0,q5_1,q8_1,q4_K,q6_K,q8_K}_ref`, including
// the make_qkx2_quants / make_qx_quants scale searches, written in the same float operation order so that the
// bytes match llama.cpp's (compiled without FMA contraction) bit for bit. Not fast: used when writing files.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    const float GroupMaxEps = 1e-15f;

    /// <summary>Quantizes src (a multiple of the block size) into dst blocks, as llama.cpp's reference does.</summary>
    public static unsafe void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        CheckSizes(type, dst.Length, src.Length, "the destination");
        int n = src.Length;
        fixed (float* x = src)
        fixed (byte* y = dst)
        {
            switch (type)
            {
                case GgmlType.F32: MemoryMarshal.AsBytes(src).CopyTo(dst); break;
                case GgmlType.F16: Dtypes.F32ToF16(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
                case GgmlType.BF16: Dtypes.F32ToBf16(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
                case GgmlType.Q8_0: for (int b = 0; b < n / QK; b++) QuantizeQ8_0(x + b * QK, y + b * 34); break;
                case GgmlType.Q4_0: for (int b = 0; b < n / QK; b++) QuantizeQ4_0(x + b * QK, y + b * 18); break;
                case GgmlType.Q5_0: for (int b = 0; b < n / QK; b++) QuantizeQ5_0(x + b * QK, y + b * 22); break;
                case GgmlType.Q5_1: for (int b = 0; b < n / QK; b++) QuantizeQ5_1(x + b * QK, y + b * 24); break;
                case GgmlType.Q8_1: for (int b = 0; b < n / QK; b++) QuantizeQ8_1(x + b * QK, y + b * 36); break;
                case GgmlType.Q4_K: for (int b = 0; b < n / QK_K; b++) QuantizeQ4_K(x + b * QK_K, y + b * 144); break;
                case GgmlType.Q6_K: for (int b = 0; b < n / QK_K; b++) QuantizeQ6_K(x + b * QK_K, y + b * 210); break;
                case GgmlType.Q8_K: for (int b = 0; b < n / QK_K; b++) QuantizeQ8_K(x + b * QK_K, y + b * 292); break;
                default: throw Unsupported(type);
            }
        }
    }

    /// <summary>ggml nearest_int: round half to even via the 1.5·2^23 magic number (|f| ≤ 4194303).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int NearestInt(float f)
    {
        float v = f + 12582912f;
        return (BitConverter.SingleToInt32Bits(v) & 0x007FFFFF) - 0x00400000;
    }

    internal static unsafe void QuantizeQ8_0(float* x, byte* y)
    {
        float amax = 0;
        for (int j = 0; j < QK; j++) { float a = MathF.Abs(x[j]); amax = amax > a ? amax : a; }   // ggml MAX(a, b)
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        PutF16(y, d);
        sbyte* q = (sbyte*)(y + 2);
        for (int j = 0; j < QK; j++) q[j] = (sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    /// <summary>
    /// <see cref="QuantizeQ8_0"/> in Vector256, bit for bit: the same amax, the same f32 product x·id (no FMA), and
    /// round-half-away-from-zero as truncate, then ±1 where the dropped fraction is ≥ 0.5 (exact for |v| ≤ 127).
    /// </summary>
    internal static unsafe void QuantizeQ8_0V256(float* x, byte* y)
    {
        var v0 = Avx.LoadVector256(x); var v1 = Avx.LoadVector256(x + 8);
        var v2 = Avx.LoadVector256(x + 16); var v3 = Avx.LoadVector256(x + 24);
        var m = Avx.Max(Avx.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Avx.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
        var m4 = Sse.Max(m.GetLower(), m.GetUpper());
        m4 = Sse.Max(m4, Sse.Shuffle(m4, m4, 0b01_00_11_10));
        m4 = Sse.Max(m4, Sse.Shuffle(m4, m4, 0b10_11_00_01));
        float amax = m4.ToScalar();
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        PutF16(y, d);
        var vid = Vector256.Create(id);
        var i0 = Round(v0 * vid); var i1 = Round(v1 * vid); var i2 = Round(v2 * vid); var i3 = Round(v3 * vid);
        var s01 = Avx2.PackSignedSaturate(i0, i1);   // lanes [0-3 8-11 | 4-7 12-15] as i16
        var s23 = Avx2.PackSignedSaturate(i2, i3);
        var b = Avx2.PackSignedSaturate(s01, s23);    // [0-3 8-11 16-19 24-27 | 4-7 12-15 20-23 28-31]
        Avx2.PermuteVar8x32(b.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte().Store((sbyte*)(y + 2));

        static Vector256<int> Round(Vector256<float> v)
        {
            var t = Avx.RoundToZero(v);
            var up = Avx.CompareGreaterThanOrEqual(Vector256.Abs(v - t), Vector256.Create(0.5f));
            var sgn = (v.AsUInt32() & Vector256.Create(0x80000000u)) | Vector256.Create(1f).AsUInt32();
            return Avx.ConvertToVector256Int32WithTruncation(t + (up.AsUInt32() & sgn).AsSingle());
        }
    }

    static unsafe void QuantizeQ4_0(float* x, byte* y)
    {
        float amax = 0, max = 0;
        for (int j = 0; j < QK; j++)
        {
            float v = x[j];
            if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        PutF16(y, d);
        byte* q = y + 2;
        for (int j = 0; j < QK / 2; j++)
        {
            float x0 = x[j] * id, x1 = x[QK / 2 + j] * id;
            int xi0 = Math.Min(15, (int)(sbyte)(int)(x0 + 8.5f));
            int xi1 = Math.Min(15, (int)(sbyte)(int)(x1 + 8.5f));
            q[j] = (byte)(xi0 | xi1 << 4);
        }
    }

    // d = max/−16 (max = the signed value of largest magnitude), q5 = min(31, (int8)(x/d + 16.5)); the fifth bits
    // of values j and j+16 go to bits j and j+16 of qh.
    static unsafe void QuantizeQ5_0(float* x, byte* y)
    {
        float amax = 0, max = 0;
        for (int j = 0; j < QK; j++)
        {
            float v = x[j];
            if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
        }
        float d = max / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        PutF16(y, d);
        uint qh = 0;
        byte* q = y + 6;
        for (int j = 0; j < QK / 2; j++)
        {
            float x0 = x[j] * id, x1 = x[QK / 2 + j] * id;
            int xi0 = Math.Min(31, (int)(sbyte)(int)(x0 + 16.5f));
            int xi1 = Math.Min(31, (int)(sbyte)(int)(x1 + 16.5f));
            q[j] = (byte)((xi0 & 0xF) | ((xi1 & 0xF) << 4));
            qh |= (uint)((xi0 & 0x10) >> 4) << j;
            qh |= (uint)((xi1 & 0x10) >> 4) << (j + QK / 2);
        }
        *(uint*)(y + 2) = qh;
    }

    // d = (max − min)/31, m = min, q5 = (uint8)((x − min)/d + 0.5).
    static unsafe void QuantizeQ5_1(float* x, byte* y)
    {
        float min = float.MaxValue, max = -float.MaxValue;
        for (int j = 0; j < QK; j++)
        {
            float v = x[j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        PutF16(y, d);
        PutF16(y + 2, min);
        uint qh = 0;
        byte* q = y + 8;
        for (int j = 0; j < QK / 2; j++)
        {
            float x0 = (x[j] - min) * id, x1 = (x[QK / 2 + j] - min) * id;
            int xi0 = (byte)(int)(x0 + 0.5f), xi1 = (byte)(int)(x1 + 0.5f);
            q[j] = (byte)((xi0 & 0xF) | ((xi1 & 0xF) << 4));
            qh |= (uint)((xi0 & 0x10) >> 4) << j;
            qh |= (uint)((xi1 & 0x10) >> 4) << (j + QK / 2);
        }
        *(uint*)(y + 4) = qh;
    }

    // Q8_0's d and qs (same amax, same roundf) with s = f16(Σqs · d), d the f32 scale before its f16 rounding.
    internal static unsafe void QuantizeQ8_1(float* x, byte* y)
    {
        float amax = 0;
        for (int j = 0; j < QK; j++) { float a = MathF.Abs(x[j]); amax = amax > a ? amax : a; }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        PutF16(y, d);
        sbyte* q = (sbyte*)(y + 4);
        int sum = 0;
        for (int j = 0; j < QK; j++) { q[j] = (sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero); sum += q[j]; }
        PutF16(y + 2, sum * d);
    }

    /// <summary><see cref="QuantizeQ8_1"/> through <see cref="QuantizeQ8_0V256"/> (bit for bit), Σqs by vpsadbw.</summary>
    internal static unsafe void QuantizeQ8_1V256(float* x, byte* y)
    {
        QuantizeQ8_0V256(x, y + 2);                   // d at y+2 (moved below), qs at y+4
        float amax = 0;
        for (int j = 0; j < QK; j++) { float a = MathF.Abs(x[j]); amax = amax > a ? amax : a; }
        float d = amax / 127;
        *(ushort*)y = *(ushort*)(y + 2);
        var u = Avx.LoadVector256(y + 4) ^ Vector256.Create((byte)0x80);   // q + 128 as unsigned
        var sad = Avx2.SumAbsoluteDifferences(u, Vector256<byte>.Zero).AsInt64();
        int sum = (int)Vector256.Sum(sad) - 32 * 128;
        PutF16(y + 2, sum * d);
    }

    internal static unsafe void QuantizeQ8_K(float* x, byte* y)
    {
        float max = 0, amax = 0;
        for (int j = 0; j < QK_K; j++)
        {
            float ax = MathF.Abs(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        sbyte* q = (sbyte*)(y + 4);
        short* bsums = (short*)(y + 260);
        if (amax == 0)
        {
            new Span<byte>(y, 292).Clear();
            return;
        }
        float iscale = -127f / max;
        for (int j = 0; j < QK_K; j++) q[j] = (sbyte)Math.Min(127, NearestInt(iscale * x[j]));
        for (int j = 0; j < QK_K / 16; j++)
        {
            int sum = 0;
            for (int i = 0; i < 16; i++) sum += q[j * 16 + i];
            bsums[j] = (short)sum;
        }
        *(float*)y = 1 / iscale;
    }

    static unsafe void QuantizeQ4_K(float* x, byte* y)
    {
        byte* L = stackalloc byte[QK_K];
        byte* Laux = stackalloc byte[32];
        float* weights = stackalloc float[32];
        float* mins = stackalloc float[QK_K / 32];
        float* scales = stackalloc float[QK_K / 32];
        byte* ys = y + 4;
        new Span<byte>(y, 144).Clear();

        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < QK_K / 32; j++)
        {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[32 * j + l] * x[32 * j + l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(x[32 * j + l]);
            scales[j] = MakeQkx2Quants(32, 15, x + 32 * j, weights, L + 32 * j, out mins[j], Laux, -1f, 0.1f, 20, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }

        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < QK_K / 32; j++)
        {
            byte ls = Math.Min((byte)63, (byte)NearestInt(invScale * scales[j]));
            byte lm = Math.Min((byte)63, (byte)NearestInt(invMin * mins[j]));
            if (j < 4) { ys[j] = ls; ys[j + 4] = lm; }
            else
            {
                ys[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                ys[j - 4] |= (byte)((ls >> 4) << 6);
                ys[j] |= (byte)((lm >> 4) << 6);
            }
        }
        PutF16(y, maxScale / 63f);
        PutF16(y + 2, maxMin / 63f);

        for (int j = 0; j < QK_K / 32; j++)
        {
            ScaleMinK4(j, ys, out int sc, out int m);
            float d = F16(y) * sc;
            if (d == 0) continue;
            float dm = F16(y + 2) * m;
            for (int ii = 0; ii < 32; ii++)
            {
                int l = NearestInt((x[32 * j + ii] + dm) / d);
                L[32 * j + ii] = (byte)Math.Max(0, Math.Min(15, l));
            }
        }

        byte* q = y + 16;
        for (int j = 0; j < QK_K; j += 64, q += 32)
            for (int l = 0; l < 32; l++) q[l] = (byte)(L[j + l] | (L[j + l + 32] << 4));
    }

    static unsafe float MakeQkx2Quants(int n, int nmax, float* x, float* weights, byte* L, out float theMin,
        byte* Laux, float rmin, float rdelta, int nstep, bool useMad)
    {
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            for (int i = 0; i < n; i++) L[i] = 0;
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int l = NearestInt(iscale * (x[i] - min));
            L[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            float diff = scale * L[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) { theMin = -min; return scale; }
        for (int s = 0; s <= nstep; s++)
        {
            iscale = (rmin + rdelta * s + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int l = NearestInt(iscale * (x[i] - min));
                l = Math.Max(0, Math.Min(nmax, l));
                Laux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * Laux[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError)
                {
                    for (int i = 0; i < n; i++) L[i] = Laux[i];
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    static unsafe void QuantizeQ6_K(float* x, byte* y)
    {
        sbyte* L = stackalloc sbyte[QK_K];
        float* scales = stackalloc float[QK_K / 16];
        new Span<byte>(y, 210).Clear();
        sbyte* ysc = (sbyte*)(y + 192);

        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < QK_K / 16; ib++)
        {
            float scale = MakeQxQuants(16, 32, x + 16 * ib, L + 16 * ib, 1);
            scales[ib] = scale;
            float abs = MathF.Abs(scale);
            if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scale; }
        }
        if (maxAbsScale < GroupMaxEps) return;   // all-zero block (d = +0)

        float iscale = -128f / maxScale;
        PutF16(y + 208, 1 / iscale);
        for (int ib = 0; ib < QK_K / 16; ib++) ysc[ib] = (sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));

        for (int j = 0; j < QK_K / 16; j++)
        {
            float d = F16(y + 208) * ysc[j];
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++)
            {
                int l = NearestInt(x[16 * j + ii] / d);
                L[16 * j + ii] = (sbyte)(Math.Max(-32, Math.Min(31, l)) + 32);
            }
        }

        byte* ql = y, qh = y + 128;
        for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32)
            for (int l = 0; l < 32; l++)
            {
                int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                ql[l] = (byte)(q1 | (q3 << 4));
                ql[l + 32] = (byte)(q2 | (q4 << 4));
                qh[l] = (byte)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
            }
    }

    // make_qx_quants with qw = NULL; rmse_type 1 (weights x²) is the only one Q6_K uses.
    static unsafe float MakeQxQuants(int n, int nmax, float* x, sbyte* L, int rmseType)
    {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            for (int i = 0; i < n; i++) L[i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0)
        {
            for (int i = 0; i < n; i++) L[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i]))));
            return 1 / iscale;
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
            L[i] = (sbyte)(l + nmax);
            float w = Weight(x[i], rmseType);
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int s = -9; s <= 9; s++)
        {
            if (s == 0) continue;
            iscale = -(nmax + 0.1f * s) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
                float w = Weight(x[i], rmseType);
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; i++)
                    L[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i]))));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    static float Weight(float x, int rmseType) => rmseType switch
    {
        1 => x * x,
        2 => 1,
        3 => MathF.Abs(x),
        _ => MathF.Sqrt(MathF.Abs(x)),
    };
}
