// SIMD dot kernels for the K-quants (Q4_K, Q6_K; 256-value super-blocks) × Q8_K activations, after ggml's AVX2
// kernels: unsigned quants × signed activations through maddubs, the sub-block scale folded into the following
// vpmaddwd, and the constant offsets (Q4_K mins, Q6_K's −32) taken from the Q8_K block sums instead of the data.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    /// <summary>Q4_K packed 6-bit scales → 8 scales (low qword) and 8 mins (high qword), ggml's utmp shuffle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void UnpackQ4_KScales(byte* s, out ulong scales, out ulong mins)
    {
        const uint k1 = 0x3f3f3f3f, k2 = 0x0f0f0f0f, k3 = 0x03030303;
        uint u0 = *(uint*)s, u1 = *(uint*)(s + 4), u2 = *(uint*)(s + 8);
        uint s0 = u0 & k1, s1 = (u2 & k2) | (((u0 >> 6) & k3) << 4);
        uint m0 = u1 & k1, m1 = ((u2 >> 4) & k2) | (((u1 >> 6) & k3) << 4);
        scales = s0 | (ulong)s1 << 32;
        mins = m0 | (ulong)m1 << 32;
    }

    /// <summary>Σ_j m_j·(Σ x over sub-block j) from the 16 Q8_K bsums (two per 32-value sub-block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe int Q4_KMinSum(ulong mins, short* bsums)
    {
        int s = 0;
        for (int j = 0; j < 8; j++) s += (int)((mins >> (8 * j)) & 0xFF) * (bsums[2 * j] + bsums[2 * j + 1]);
        return s;
    }

    // ---- Q4_K ----

    // pshufb masks broadcasting i16 element e of each 128-bit lane to the whole lane (ggml get_scale_shuffle_k4).
    static readonly Vector256<byte>[] BroadcastI16 = BuildBroadcastI16();

    static Vector256<byte>[] BuildBroadcastI16()
    {
        var r = new Vector256<byte>[8];
        Span<byte> m = stackalloc byte[32];
        for (int e = 0; e < 8; e++)
        {
            for (int i = 0; i < 32; i += 2) { m[i] = (byte)(2 * e); m[i + 1] = (byte)(2 * e + 1); }
            r[e] = Vector256.Create((ReadOnlySpan<byte>)m);
        }
        return r;
    }

    /// <summary>8 lanes of m_j·(bsum_2j + bsum_2j+1) as f32 (the Q4_K min term before the dmin·dx scale).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> Q4_KMins256(ulong mins, short* bsums)
    {
        var pairs = Avx2.MultiplyAddAdjacent(Avx.LoadVector256(bsums), Vector256.Create((short)1));
        var m = Avx2.ConvertToVector256Int32(Vector128.CreateScalar(mins).AsByte());
        return Avx.ConvertToVector256Single(Avx2.MultiplyLow(pairs, m));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ4_KV256(byte* w, byte* x, int nb)
    {
        Vector256<float> acc = default, accm = default;
        var m4 = Vector256.Create((byte)0x0F);
        var shuf = BroadcastI16;
        Vector256<byte> s0 = shuf[0], s1 = shuf[1], s2 = shuf[2], s3 = shuf[3], s4 = shuf[4], s5 = shuf[5], s6 = shuf[6], s7 = shuf[7];
        for (int b = 0; b < nb; b++, w += 144, x += 292)
        {
            float dx = *(float*)x;
            UnpackQ4_KScales(w + 4, out ulong sc, out ulong mn);
            accm = Fma.MultiplyAdd(Q4_KMins256(mn, (short*)(x + 260)), Vector256.Create(dx * F16(w + 2)), accm);
            var sc128 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(sc).AsByte());
            var scales = Vector256.Create(sc128, sc128).AsByte();
            byte* q = w + 16;
            sbyte* q8 = (sbyte*)(x + 4);
            var sumi = Sub(q, q8, scales, s0, s1, m4) + Sub(q + 32, q8 + 64, scales, s2, s3, m4)
                     + Sub(q + 64, q8 + 128, scales, s4, s5, m4) + Sub(q + 96, q8 + 192, scales, s6, s7, m4);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(dx * F16(w)), acc);
        }
        return Vector256.Sum(acc) - Vector256.Sum(accm);

        // 64 values: sub-block 2j from the low nibbles, 2j+1 from the high ones, each times its scale.
        static Vector256<int> Sub(byte* q, sbyte* q8, Vector256<byte> scales, Vector256<byte> sl, Vector256<byte> sh, Vector256<byte> m4)
        {
            var bits = Avx.LoadVector256(q);
            var lo = bits & m4;
            var hi = Avx2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & m4;
            var pl = Avx2.MultiplyAddAdjacent(lo, Avx.LoadVector256(q8));
            var ph = Avx2.MultiplyAddAdjacent(hi, Avx.LoadVector256(q8 + 32));
            return Avx2.MultiplyAddAdjacent(pl, Avx2.Shuffle(scales, sl).AsInt16())
                 + Avx2.MultiplyAddAdjacent(ph, Avx2.Shuffle(scales, sh).AsInt16());
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ4_KV512(byte* w, byte* x, int nb)
    {
        Vector512<float> acc = default;
        Vector256<float> accm = default;
        var m4 = Vector512.Create((byte)0x0F);
        for (int b = 0; b < nb; b++, w += 144, x += 292)
        {
            float dx = *(float*)x;
            UnpackQ4_KScales(w + 4, out ulong sc, out ulong mn);
            accm = Fma.MultiplyAdd(Q4_KMins256(mn, (short*)(x + 260)), Vector256.Create(dx * F16(w + 2)), accm);
            byte* q = w + 16;
            sbyte* q8 = (sbyte*)(x + 4);
            Vector512<int> sumi = default;
            for (int j = 0; j < 2; j++, q += 64, q8 += 128, sc >>= 32)
            {
                var bits = Avx512BW.LoadVector512(q);        // sub-blocks 4j (lo), 4j+1 (hi) | 4j+2 (lo), 4j+3 (hi)
                var lo = bits & m4;
                var hi = Avx512BW.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & m4;
                var xl = Vector512.Create(Avx.LoadVector256(q8), Avx.LoadVector256(q8 + 64));
                var xh = Vector512.Create(Avx.LoadVector256(q8 + 32), Avx.LoadVector256(q8 + 96));
                var sl = Vector512.Create(Vector256.Create((short)(byte)sc), Vector256.Create((short)(byte)(sc >> 16)));
                var sh = Vector512.Create(Vector256.Create((short)(byte)(sc >> 8)), Vector256.Create((short)(byte)(sc >> 24)));
                sumi += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(lo, xl), sl)
                      + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(hi, xh), sh);
            }
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sumi), Vector512.Create(dx * F16(w)), acc);
        }
        return Vector512.Sum(acc) - Vector256.Sum(accm);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ4_KV128(byte* w, byte* x, int nb)
    {
        Vector128<float> acc = default;
        float accm = 0;
        var m4 = Vector128.Create((byte)0x0F);
        for (int b = 0; b < nb; b++, w += 144, x += 292)
        {
            float dx = *(float*)x;
            UnpackQ4_KScales(w + 4, out ulong sc, out ulong mn);
            accm += dx * F16(w + 2) * Q4_KMinSum(mn, (short*)(x + 260));
            byte* q = w + 16;
            sbyte* q8 = (sbyte*)(x + 4);
            Vector128<int> sumi = default;
            for (int j = 0; j < 4; j++, q += 32, q8 += 64)
            {
                var b0 = Vector128.Load(q); var b1 = Vector128.Load(q + 16);
                var lo = DotI8((b0 & m4).AsSByte(), Vector128.Load(q8)) + DotI8((b1 & m4).AsSByte(), Vector128.Load(q8 + 16));
                var hi = DotI8(Vector128.ShiftRightLogical(b0, 4).AsSByte(), Vector128.Load(q8 + 32))
                       + DotI8(Vector128.ShiftRightLogical(b1, 4).AsSByte(), Vector128.Load(q8 + 48));
                sumi += lo * Vector128.Create((int)(byte)(sc >> (16 * j))) + hi * Vector128.Create((int)(byte)(sc >> (16 * j + 8)));
            }
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sumi), Vector128.Create(dx * F16(w)), acc);
        }
        return Vector128.Sum(acc) - accm;
    }

    // ---- Q6_K: q6 unsigned 0..63 against x, then − 32·Σ_g sc_g·bsum_g ----

    /// <summary>32·Σ_g sc_g·bsum_g over the 16 groups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe int Q6_KOffset(sbyte* sc, short* bsums)
    {
        if (Avx2.IsSupported)
        {
            var p = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.LoadVector128(sc)), Avx.LoadVector256(bsums));
            return Vector256.Sum(p) << 5;
        }
        int s = 0;
        for (int g = 0; g < 16; g++) s += sc[g] * bsums[g];
        return s << 5;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ6_KV256(byte* w, byte* x, int nb)
    {
        Vector256<float> acc = default;
        var m4 = Vector256.Create((byte)0x0F);
        var m30 = Vector256.Create((byte)0x30);
        var shuf = Q6Shuffle;
        Vector256<byte> k0 = shuf[0], k1 = shuf[1], k2 = shuf[2], k3 = shuf[3];
        for (int b = 0; b < nb; b++, w += 210, x += 292)
        {
            sbyte* sc = (sbyte*)(w + 192);
            sbyte* q8 = (sbyte*)(x + 4);
            Vector256<int> sumi = default;
            for (int h = 0; h < 2; h++, q8 += 128, sc += 8)
            {
                var s8 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(*(ulong*)sc).AsSByte());
                var scales = Vector256.Create(s8, s8).AsByte();
                byte* ql = w + 64 * h, qh = w + 128 + 32 * h;
                var Q0 = Avx.LoadVector256(ql); var Q1 = Avx.LoadVector256(ql + 32);
                var H = Avx.LoadVector256(qh).AsUInt16();
                var q1 = (Q0 & m4) | (Avx2.ShiftLeftLogical(H, 4).AsByte() & m30);
                var q2 = (Q1 & m4) | (Avx2.ShiftLeftLogical(H, 2).AsByte() & m30);
                var q3 = (Avx2.ShiftRightLogical(Q0.AsUInt16(), 4).AsByte() & m4) | (H.AsByte() & m30);
                var q4 = (Avx2.ShiftRightLogical(Q1.AsUInt16(), 4).AsByte() & m4) | (Avx2.ShiftRightLogical(H, 2).AsByte() & m30);
                sumi += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q1, Avx.LoadVector256(q8)), Avx2.Shuffle(scales, k0).AsInt16())
                      + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q2, Avx.LoadVector256(q8 + 32)), Avx2.Shuffle(scales, k1).AsInt16())
                      + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q3, Avx.LoadVector256(q8 + 64)), Avx2.Shuffle(scales, k2).AsInt16())
                      + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q4, Avx.LoadVector256(q8 + 96)), Avx2.Shuffle(scales, k3).AsInt16());
            }
            int off = Q6_KOffset((sbyte*)(w + 192), (short*)(x + 260));
            var s = Avx.ConvertToVector256Single(sumi - Vector256.CreateScalar(off));
            acc = Fma.MultiplyAdd(s, Vector256.Create(*(float*)x * F16(w + 208)), acc);
        }
        return Vector256.Sum(acc);
    }

    // pshufb masks for Q6_K: with the 8 scales of a half as i16 in both lanes, q_k needs scale 2k in the low
    // lane (values 0..15) and 2k+1 in the high lane (values 16..31).
    static readonly Vector256<byte>[] Q6Shuffle = BuildQ6Shuffle();

    static Vector256<byte>[] BuildQ6Shuffle()
    {
        var r = new Vector256<byte>[4];
        Span<byte> m = stackalloc byte[32];
        for (int k = 0; k < 4; k++)
        {
            for (int i = 0; i < 32; i += 2)
            {
                int e = i < 16 ? 2 * k : 2 * k + 1;
                m[i] = (byte)(2 * e); m[i + 1] = (byte)(2 * e + 1);
            }
            r[k] = Vector256.Create((ReadOnlySpan<byte>)m);
        }
        return r;
    }

    // Indices for vpermw: scale i16 vector [s0..s15] → [s_a ×8, s_a+1 ×8, s_a+8 ×8, s_a+9 ×8] for a = 0, 2, 4, 6.
    static readonly Vector512<short>[] Q6Perm = BuildQ6Perm();

    static Vector512<short>[] BuildQ6Perm()
    {
        var r = new Vector512<short>[4];
        Span<short> idx = stackalloc short[32];
        for (int k = 0; k < 4; k++)
        {
            for (int i = 0; i < 32; i++) idx[i] = (short)(2 * k + (i / 8 % 2) + (i / 16) * 8);
            r[k] = Vector512.Create((ReadOnlySpan<short>)idx);
        }
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ6_KV512(byte* w, byte* x, int nb)
    {
        Vector512<float> acc = default;
        var m4 = Vector512.Create((byte)0x0F);
        var m30 = Vector512.Create((byte)0x30);
        var p0 = Q6Perm[0]; var p1 = Q6Perm[1]; var p2 = Q6Perm[2]; var p3 = Q6Perm[3];
        for (int b = 0; b < nb; b++, w += 210, x += 292)
        {
            sbyte* q8 = (sbyte*)(x + 4);
            var sc16 = Vector512.Create(Avx2.ConvertToVector256Int16(Sse2.LoadVector128((sbyte*)(w + 192))), Vector256<short>.Zero);
            // both 128-value halves side by side: 256-bit half 0 ← values 0..127, half 1 ← values 128..255
            var Q0 = Vector512.Create(Avx.LoadVector256(w), Avx.LoadVector256(w + 64));
            var Q1 = Vector512.Create(Avx.LoadVector256(w + 32), Avx.LoadVector256(w + 96));
            var H = Avx512BW.LoadVector512(w + 128).AsUInt16();
            var q1 = (Q0 & m4) | (Avx512BW.ShiftLeftLogical(H, 4).AsByte() & m30);
            var q2 = (Q1 & m4) | (Avx512BW.ShiftLeftLogical(H, 2).AsByte() & m30);
            var q3 = (Avx512BW.ShiftRightLogical(Q0.AsUInt16(), 4).AsByte() & m4) | (H.AsByte() & m30);
            var q4 = (Avx512BW.ShiftRightLogical(Q1.AsUInt16(), 4).AsByte() & m4) | (Avx512BW.ShiftRightLogical(H, 2).AsByte() & m30);
            var sumi = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q1, X2(q8, 0)), Avx512BW.PermuteVar32x16(sc16, p0))
                     + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q2, X2(q8, 32)), Avx512BW.PermuteVar32x16(sc16, p1))
                     + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q3, X2(q8, 64)), Avx512BW.PermuteVar32x16(sc16, p2))
                     + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q4, X2(q8, 96)), Avx512BW.PermuteVar32x16(sc16, p3));
            int off = Q6_KOffset((sbyte*)(w + 192), (short*)(x + 260));
            var s = Avx512F.ConvertToVector512Single(sumi - Vector512.CreateScalar(off));
            acc = Avx512F.FusedMultiplyAdd(s, Vector512.Create(*(float*)x * F16(w + 208)), acc);
        }
        return Vector512.Sum(acc);

        static Vector512<sbyte> X2(sbyte* q8, int o) => Vector512.Create(Avx.LoadVector256(q8 + o), Avx.LoadVector256(q8 + 128 + o));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: full opts from the first call, no OSR
    static unsafe float DotQ6_KV128(byte* w, byte* x, int nb)
    {
        Vector128<float> acc = default;
        var m4 = Vector128.Create((byte)0x0F);
        var m30 = Vector128.Create((byte)0x30);
        for (int b = 0; b < nb; b++, w += 210, x += 292)
        {
            sbyte* sc = (sbyte*)(w + 192);
            sbyte* q8 = (sbyte*)(x + 4);
            Vector128<int> sumi = default;
            for (int h = 0; h < 2; h++)
                for (int half = 0; half < 2; half++)          // 16 of the 32 lanes at a time: one scale group each
                {
                    byte* ql = w + 64 * h + 16 * half, qh = w + 128 + 32 * h + 16 * half;
                    sbyte* xx = q8 + 128 * h + 16 * half;
                    int g = 8 * h + half;
                    var Q0 = Vector128.Load(ql); var Q1 = Vector128.Load(ql + 32); var H = Vector128.Load(qh);
                    var q1 = (Q0 & m4) | (Vector128.ShiftLeft(H, 4) & m30);
                    var q2 = (Q1 & m4) | (Vector128.ShiftLeft(H, 2) & m30);
                    var q3 = Vector128.ShiftRightLogical(Q0, 4) | (H & m30);
                    var q4 = Vector128.ShiftRightLogical(Q1, 4) | (Vector128.ShiftRightLogical(H, 2) & m30);
                    sumi += DotI8(q1.AsSByte(), Vector128.Load(xx)) * Vector128.Create((int)sc[g])
                          + DotI8(q2.AsSByte(), Vector128.Load(xx + 32)) * Vector128.Create((int)sc[g + 2])
                          + DotI8(q3.AsSByte(), Vector128.Load(xx + 64)) * Vector128.Create((int)sc[g + 4])
                          + DotI8(q4.AsSByte(), Vector128.Load(xx + 96)) * Vector128.Create((int)sc[g + 6]);
                }
            int off = Q6_KOffset(sc, (short*)(x + 260));
            var s = Vector128.ConvertToSingle(sumi - Vector128.CreateScalar(off));
            acc = Vector128.FusedMultiplyAdd(s, Vector128.Create(*(float*)x * F16(w + 208)), acc);
        }
        return Vector128.Sum(acc);
    }
}
