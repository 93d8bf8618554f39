// Register-tiled quantized products for MatMul (prefill, n > 1) and multi-row MatVec (decode, n = 1): each weight
// block is loaded and unpacked once and multiplied with TX activation rows (1, 2 or 4) while 4 weight rows share
// each activation load, so y[i, r] for a 4 × TX tile accumulates in registers. Integer block sums are the ones
// of the Dot kernels (Quant.Dot.*.cs); only the order of the f32 block sums differs, so the per-row Dot
// (and behind it the scalar reference) is the oracle. AVX2 only (Vector256 + maddubs/madd); other paths use Dot.
//
// Side arrays built once per call from the quantized activations (QuantizeActivations layout untouched):
//   Q8_0 x: dx[i, b]  f32 block scale (the f16 one, widened)       — all
//           m8[i, b]  i16×16 = maddubs(8, x_b): Σ 8·x in pairs     — Q4_0 only (its −8 offset, off the hot loop)
//   Q8_K x: mn[i, b]  f32×8 = dx·(bsum_2j + bsum_2j+1)              — Q4_K only (its mins term, one FMA per block)
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

/// <summary>A JIT-time constant (tile widths): `if (T.N > 2)` branches vanish in each instantiation.</summary>
internal interface ITileRows { static abstract int N { get; } }
internal struct X1 : ITileRows { public static int N => 1; }
internal struct X2 : ITileRows { public static int N => 2; }
internal struct X4 : ITileRows { public static int N => 4; }

public static partial class Quant
{
    internal const int TileW = 4;   // weight rows per tile

    /// <summary>Whether the tiled kernels serve this type on this path (else MatMul does one Dot per pair).</summary>
    internal static bool Tiled(GgmlType t, KernelPath path) =>
        path >= KernelPath.V256 && t is GgmlType.Q4_0 or GgmlType.Q8_0 or GgmlType.Q4_K or GgmlType.Q6_K;

    /// <summary>Bytes of side arrays <see cref="PrepareTiles"/> writes for n activation rows of cols values.</summary>
    internal static long TileSideBytes(GgmlType t, int n, int cols) => t switch
    {
        GgmlType.Q8_0 => (long)n * (cols / QK) * 4,
        GgmlType.Q4_0 => (long)n * (cols / QK) * (4 + 32),
        GgmlType.Q4_K => (long)n * (cols / QK_K) * 32,
        _ => 0,
    };

    /// <summary>Fills the side arrays (layout in the file header) from n quantized activation rows at xq.</summary>
    internal static unsafe void PrepareTiles(GgmlType t, byte* xq, int xBytes, int n, int cols, byte* side)
    {
        if (t is GgmlType.Q8_0 or GgmlType.Q4_0)
        {
            int nb = cols / QK;
            float* dx = (float*)side;
            short* m8 = (short*)(side + (long)n * nb * 4);
            var eight = Vector256.Create((byte)8);
            for (int i = 0; i < n; i++)
            {
                byte* x = xq + (long)i * xBytes;
                for (int b = 0; b < nb; b++, x += 34)
                {
                    dx[(long)i * nb + b] = F16(x);
                    if (t == GgmlType.Q4_0)
                        Avx2.MultiplyAddAdjacent(eight, Avx.LoadVector256((sbyte*)(x + 2))).Store(m8 + ((long)i * nb + b) * 16);
                }
            }
        }
        else if (t == GgmlType.Q4_K)
        {
            int nb = cols / QK_K;
            float* mn = (float*)side;
            for (int i = 0; i < n; i++)
            {
                byte* x = xq + (long)i * xBytes;
                for (int b = 0; b < nb; b++, x += 292)
                {
                    var pairs = Avx2.MultiplyAddAdjacent(Avx.LoadVector256((short*)(x + 260)), Vector256.Create((short)1));
                    (Avx.ConvertToVector256Single(pairs) * Vector256.Create(*(float*)x)).Store(mn + ((long)i * nb + b) * 8);
                }
            }
        }
    }

    /// <summary>
    /// The 4 × tx outputs y[i0 + i, r0 + r] (r &lt; rw, i &lt; tx) on the tiled kernels; weight rows past rw and
    /// activation rows past tx repeat the first one and are not stored.
    /// </summary>
    internal static unsafe void Tile(GgmlType t, byte* w, long rowBytes, int rw, byte* xq, int xBytes, byte* side,
        int n, int i0, int tx, int cols, float* y, int ldy)
    {
        byte** wr = stackalloc byte*[TileW];
        byte** xr = stackalloc byte*[4];
        float* o = stackalloc float[TileW * 4];
        for (int r = 0; r < TileW; r++) wr[r] = w + (r < rw ? r : 0) * rowBytes;
        for (int i = 0; i < 4; i++) xr[i] = xq + (long)(i0 + (i < tx ? i : 0)) * xBytes;
        switch (t)
        {
            case GgmlType.Q4_0:
            case GgmlType.Q8_0:
            {
                int nb = cols / QK;
                float** dr = stackalloc float*[4];
                short** mr = stackalloc short*[4];
                for (int i = 0; i < 4; i++)
                {
                    long row = i0 + (i < tx ? i : 0);
                    dr[i] = (float*)side + row * nb;
                    mr[i] = (short*)(side + (long)n * nb * 4) + row * nb * 16;
                }
                if (t == GgmlType.Q4_0)
                {
                    if (tx == 1) TileQ4_0<X1>(wr, xr, dr, mr, nb, o);
                    else if (tx == 2) TileQ4_0<X2>(wr, xr, dr, mr, nb, o);
                    else TileQ4_0<X4>(wr, xr, dr, mr, nb, o);
                }
                else
                {
                    if (tx == 1) TileQ8_0<X1>(wr, xr, dr, nb, o);
                    else if (tx == 2) TileQ8_0<X2>(wr, xr, dr, nb, o);
                    else TileQ8_0<X4>(wr, xr, dr, nb, o);
                }
                break;
            }
            case GgmlType.Q4_K:
            {
                int nb = cols / QK_K;
                float** mr = stackalloc float*[4];
                for (int i = 0; i < 4; i++) mr[i] = (float*)side + (long)(i0 + (i < tx ? i : 0)) * nb * 8;
                if (tx == 1) TileQ4_K<X1>(wr, xr, mr, nb, o);
                else if (tx == 2) TileQ4_K<X2>(wr, xr, mr, nb, o);
                else TileQ4_K<X4>(wr, xr, mr, nb, o);
                break;
            }
            case GgmlType.Q6_K:
            {
                int nb = cols / QK_K;
                if (tx == 1) TileQ6_K<X1>(wr, xr, nb, o);
                else if (tx == 2) TileQ6_K<X2>(wr, xr, nb, o);
                else TileQ6_K<X4>(wr, xr, nb, o);
                break;
            }
            default: throw Unsupported(t);
        }
        for (int i = 0; i < tx; i++)
            for (int r = 0; r < rw; r++) y[(long)(i0 + i) * ldy + r] = o[i * TileW + r];
    }

    // ---- Q4_0 × Q8_0: per pair and block maddubs(nibbles, x) − maddubs(8, x) → madd → cvt → FMA(d_w·d_x) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<byte> Nibbles(byte* w)
    {
        var q = Sse2.LoadVector128(w + 2);
        var m4 = Vector128.Create((byte)0x0F);
        return Vector256.Create(q & m4, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & m4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> PairQ4(Vector256<byte> nib, Vector256<sbyte> x, Vector256<short> m8, Vector256<float> s, Vector256<float> acc)
    {
        var p = Avx2.Subtract(Avx2.MultiplyAddAdjacent(nib, x), m8);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(p, Vector256.Create((short)1))), s, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TileQ4_0<TX>(byte** wr, byte** xr, float** dr, short** mr, int nb, float* o) where TX : struct, ITileRows
    {
        byte* w0 = wr[0], w1 = wr[1], w2 = wr[2], w3 = wr[3];
        byte* x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3];
        float* d0 = dr[0], d1 = dr[1], d2 = dr[2], d3 = dr[3];
        short* m0 = mr[0], m1 = mr[1], m2 = mr[2], m3 = mr[3];
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int b = 0; b < nb; b++, w0 += 18, w1 += 18, w2 += 18, w3 += 18)
        {
            var n0 = Nibbles(w0); var n1 = Nibbles(w1); var n2 = Nibbles(w2); var n3 = Nibbles(w3);
            var s0 = Vector256.Create(F16(w0)); var s1 = Vector256.Create(F16(w1));
            var s2 = Vector256.Create(F16(w2)); var s3 = Vector256.Create(F16(w3));
            {
                var x = Avx.LoadVector256((sbyte*)(x0 + 2)); var m = Avx.LoadVector256(m0); var d = Vector256.Create(d0[b]);
                a00 = PairQ4(n0, x, m, s0 * d, a00); a01 = PairQ4(n1, x, m, s1 * d, a01);
                a02 = PairQ4(n2, x, m, s2 * d, a02); a03 = PairQ4(n3, x, m, s3 * d, a03);
                x0 += 34; m0 += 16;
            }
            if (TX.N > 1)
            {
                var x = Avx.LoadVector256((sbyte*)(x1 + 2)); var m = Avx.LoadVector256(m1); var d = Vector256.Create(d1[b]);
                a10 = PairQ4(n0, x, m, s0 * d, a10); a11 = PairQ4(n1, x, m, s1 * d, a11);
                a12 = PairQ4(n2, x, m, s2 * d, a12); a13 = PairQ4(n3, x, m, s3 * d, a13);
                x1 += 34; m1 += 16;
            }
            if (TX.N > 2)
            {
                var x = Avx.LoadVector256((sbyte*)(x2 + 2)); var m = Avx.LoadVector256(m2); var d = Vector256.Create(d2[b]);
                a20 = PairQ4(n0, x, m, s0 * d, a20); a21 = PairQ4(n1, x, m, s1 * d, a21);
                a22 = PairQ4(n2, x, m, s2 * d, a22); a23 = PairQ4(n3, x, m, s3 * d, a23);
                x2 += 34; m2 += 16;
                x = Avx.LoadVector256((sbyte*)(x3 + 2)); m = Avx.LoadVector256(m3); d = Vector256.Create(d3[b]);
                a30 = PairQ4(n0, x, m, s0 * d, a30); a31 = PairQ4(n1, x, m, s1 * d, a31);
                a32 = PairQ4(n2, x, m, s2 * d, a32); a33 = PairQ4(n3, x, m, s3 * d, a33);
                x3 += 34; m3 += 16;
            }
        }
        Store4(o, a00, a01, a02, a03);
        if (TX.N > 1) Store4(o + 4, a10, a11, a12, a13);
        if (TX.N > 2) { Store4(o + 8, a20, a21, a22, a23); Store4(o + 12, a30, a31, a32, a33); }
    }

    /// <summary>o[0..4) = the horizontal sums of four accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Store4(float* o, Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        o[0] = Vector256.Sum(a); o[1] = Vector256.Sum(b); o[2] = Vector256.Sum(c); o[3] = Vector256.Sum(d);
    }

    // ---- Q8_0 × Q8_0: |w| against x·sign(w) (the sign per pair, |w| per weight block) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> PairQ8(Vector256<byte> aw, byte* w, Vector256<sbyte> x, Vector256<float> s, Vector256<float> acc)
    {
        var p = Avx2.MultiplyAddAdjacent(aw, Avx2.Sign(x, Avx.LoadVector256((sbyte*)(w + 2))));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(p, Vector256.Create((short)1))), s, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TileQ8_0<TX>(byte** wr, byte** xr, float** dr, int nb, float* o) where TX : struct, ITileRows
    {
        byte* w0 = wr[0], w1 = wr[1], w2 = wr[2], w3 = wr[3];
        byte* x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3];
        float* d0 = dr[0], d1 = dr[1], d2 = dr[2], d3 = dr[3];
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int b = 0; b < nb; b++, w0 += 34, w1 += 34, w2 += 34, w3 += 34)
        {
            var n0 = Avx2.Abs(Avx.LoadVector256((sbyte*)(w0 + 2))); var n1 = Avx2.Abs(Avx.LoadVector256((sbyte*)(w1 + 2)));
            var n2 = Avx2.Abs(Avx.LoadVector256((sbyte*)(w2 + 2))); var n3 = Avx2.Abs(Avx.LoadVector256((sbyte*)(w3 + 2)));
            var s0 = Vector256.Create(F16(w0)); var s1 = Vector256.Create(F16(w1));
            var s2 = Vector256.Create(F16(w2)); var s3 = Vector256.Create(F16(w3));
            {
                var x = Avx.LoadVector256((sbyte*)(x0 + 2)); var d = Vector256.Create(d0[b]);
                a00 = PairQ8(n0, w0, x, s0 * d, a00); a01 = PairQ8(n1, w1, x, s1 * d, a01);
                a02 = PairQ8(n2, w2, x, s2 * d, a02); a03 = PairQ8(n3, w3, x, s3 * d, a03);
                x0 += 34;
            }
            if (TX.N > 1)
            {
                var x = Avx.LoadVector256((sbyte*)(x1 + 2)); var d = Vector256.Create(d1[b]);
                a10 = PairQ8(n0, w0, x, s0 * d, a10); a11 = PairQ8(n1, w1, x, s1 * d, a11);
                a12 = PairQ8(n2, w2, x, s2 * d, a12); a13 = PairQ8(n3, w3, x, s3 * d, a13);
                x1 += 34;
            }
            if (TX.N > 2)
            {
                var x = Avx.LoadVector256((sbyte*)(x2 + 2)); var d = Vector256.Create(d2[b]);
                a20 = PairQ8(n0, w0, x, s0 * d, a20); a21 = PairQ8(n1, w1, x, s1 * d, a21);
                a22 = PairQ8(n2, w2, x, s2 * d, a22); a23 = PairQ8(n3, w3, x, s3 * d, a23);
                x2 += 34;
                x = Avx.LoadVector256((sbyte*)(x3 + 2)); d = Vector256.Create(d3[b]);
                a30 = PairQ8(n0, w0, x, s0 * d, a30); a31 = PairQ8(n1, w1, x, s1 * d, a31);
                a32 = PairQ8(n2, w2, x, s2 * d, a32); a33 = PairQ8(n3, w3, x, s3 * d, a33);
                x3 += 34;
            }
        }
        Store4(o, a00, a01, a02, a03);
        if (TX.N > 1) Store4(o + 4, a10, a11, a12, a13);
        if (TX.N > 2) { Store4(o + 8, a20, a21, a22, a23); Store4(o + 12, a30, a31, a32, a33); }
    }

    // ---- Q4_K × Q8_K: per weight row and 64-value chunk, nibbles and scale vectors once, then every x row;
    //      the mins term folds into the same f32 accumulator as −(dmin·m_j)·(dx·bsum pairs). ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<int> ChunkQ4_K(Vector256<byte> lo, Vector256<byte> hi, sbyte* x, Vector256<short> sl, Vector256<short> sh) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(lo, Avx.LoadVector256(x)), sl)
      + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hi, Avx.LoadVector256(x + 32)), sh);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TileQ4_K<TX>(byte** wr, byte** xr, float** mr, int nb, float* o) where TX : struct, ITileRows
    {
        byte* x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3];
        float* m0 = mr[0], m1 = mr[1], m2 = mr[2], m3 = mr[3];
        var shuf = BroadcastI16;
        var m4 = Vector256.Create((byte)0x0F);
        // acc[r][i]: r weight row (0..3), i activation row
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int b = 0; b < nb; b++)
        {
            long xo = (long)b * 292 + 4;
            var dx0 = Vector256.Create(*(float*)(x0 + xo - 4));
            var dx1 = TX.N > 1 ? Vector256.Create(*(float*)(x1 + xo - 4)) : default;
            var dx2 = TX.N > 2 ? Vector256.Create(*(float*)(x2 + xo - 4)) : default;
            var dx3 = TX.N > 2 ? Vector256.Create(*(float*)(x3 + xo - 4)) : default;
            for (int r = 0; r < TileW; r++)
            {
                byte* w = wr[r] + (long)b * 144;
                UnpackQ4_KScales(w + 4, out ulong sc, out ulong mnb);
                var sc128 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(sc).AsByte());
                var scales = Vector256.Create(sc128, sc128).AsByte();
                var mins = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Vector128.CreateScalar(mnb).AsByte()))
                         * Vector256.Create(F16(w + 2));
                var d = Vector256.Create(F16(w));
                Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
                byte* q = w + 16;
                for (int j = 0; j < 4; j++, q += 32)
                {
                    var bits = Avx.LoadVector256(q);
                    var lo = bits & m4;
                    var hi = Avx2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & m4;
                    var sl = Avx2.Shuffle(scales, shuf[2 * j]).AsInt16();
                    var sh = Avx2.Shuffle(scales, shuf[2 * j + 1]).AsInt16();
                    long off = xo + 64 * j;
                    i0 += ChunkQ4_K(lo, hi, (sbyte*)(x0 + off), sl, sh);
                    if (TX.N > 1) i1 += ChunkQ4_K(lo, hi, (sbyte*)(x1 + off), sl, sh);
                    if (TX.N > 2)
                    {
                        i2 += ChunkQ4_K(lo, hi, (sbyte*)(x2 + off), sl, sh);
                        i3 += ChunkQ4_K(lo, hi, (sbyte*)(x3 + off), sl, sh);
                    }
                }
                long mo = (long)b * 8;
                switch (r)   // constant-folded after the JIT unrolls nothing: four small copies keep the accumulators in registers
                {
                    case 0:
                        a00 = Acc(i0, d * dx0, mins, m0 + mo, a00);
                        if (TX.N > 1) a10 = Acc(i1, d * dx1, mins, m1 + mo, a10);
                        if (TX.N > 2) { a20 = Acc(i2, d * dx2, mins, m2 + mo, a20); a30 = Acc(i3, d * dx3, mins, m3 + mo, a30); }
                        break;
                    case 1:
                        a01 = Acc(i0, d * dx0, mins, m0 + mo, a01);
                        if (TX.N > 1) a11 = Acc(i1, d * dx1, mins, m1 + mo, a11);
                        if (TX.N > 2) { a21 = Acc(i2, d * dx2, mins, m2 + mo, a21); a31 = Acc(i3, d * dx3, mins, m3 + mo, a31); }
                        break;
                    case 2:
                        a02 = Acc(i0, d * dx0, mins, m0 + mo, a02);
                        if (TX.N > 1) a12 = Acc(i1, d * dx1, mins, m1 + mo, a12);
                        if (TX.N > 2) { a22 = Acc(i2, d * dx2, mins, m2 + mo, a22); a32 = Acc(i3, d * dx3, mins, m3 + mo, a32); }
                        break;
                    default:
                        a03 = Acc(i0, d * dx0, mins, m0 + mo, a03);
                        if (TX.N > 1) a13 = Acc(i1, d * dx1, mins, m1 + mo, a13);
                        if (TX.N > 2) { a23 = Acc(i2, d * dx2, mins, m2 + mo, a23); a33 = Acc(i3, d * dx3, mins, m3 + mo, a33); }
                        break;
                }
            }
        }
        Store4(o, a00, a01, a02, a03);
        if (TX.N > 1) Store4(o + 4, a10, a11, a12, a13);
        if (TX.N > 2) { Store4(o + 8, a20, a21, a22, a23); Store4(o + 12, a30, a31, a32, a33); }

        static unsafe Vector256<float> Acc(Vector256<int> sumi, Vector256<float> scale, Vector256<float> mins, float* mx, Vector256<float> acc) =>
            Fma.MultiplyAddNegated(mins, Avx.LoadVector256(mx), Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), scale, acc));
    }

    // ---- Q6_K × Q8_K: per weight row and 128-value half, the four q6 vectors and their scales once, then every
    //      x row; the −32 offset as madd(32·scales, bsums) per pair and block. ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<int> HalfQ6_K(Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3, Vector256<byte> q4, sbyte* x,
        Vector256<short> k0, Vector256<short> k1, Vector256<short> k2, Vector256<short> k3) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q1, Avx.LoadVector256(x)), k0)
      + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q2, Avx.LoadVector256(x + 32)), k1)
      + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q3, Avx.LoadVector256(x + 64)), k2)
      + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q4, Avx.LoadVector256(x + 96)), k3);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TileQ6_K<TX>(byte** wr, byte** xr, int nb, float* o) where TX : struct, ITileRows
    {
        byte* x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3];
        var shuf = Q6Shuffle;
        var m4 = Vector256.Create((byte)0x0F);
        var m30 = Vector256.Create((byte)0x30);
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int b = 0; b < nb; b++)
        {
            long xo = (long)b * 292;
            var dx0 = Vector256.Create(*(float*)(x0 + xo));
            var dx1 = TX.N > 1 ? Vector256.Create(*(float*)(x1 + xo)) : default;
            var dx2 = TX.N > 2 ? Vector256.Create(*(float*)(x2 + xo)) : default;
            var dx3 = TX.N > 2 ? Vector256.Create(*(float*)(x3 + xo)) : default;
            for (int r = 0; r < TileW; r++)
            {
                byte* w = wr[r] + (long)b * 210;
                var sc16 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128((sbyte*)(w + 192)));
                var sc32 = Avx2.ShiftLeftLogical(sc16, 5);
                // the offset 32·Σ_g sc_g·bsum_g, per x row (as 8 i32 lanes)
                Vector256<int> i0 = -Avx2.MultiplyAddAdjacent(sc32, Avx.LoadVector256((short*)(x0 + xo + 260)));
                Vector256<int> i1 = TX.N > 1 ? -Avx2.MultiplyAddAdjacent(sc32, Avx.LoadVector256((short*)(x1 + xo + 260))) : default;
                Vector256<int> i2 = TX.N > 2 ? -Avx2.MultiplyAddAdjacent(sc32, Avx.LoadVector256((short*)(x2 + xo + 260))) : default;
                Vector256<int> i3 = TX.N > 2 ? -Avx2.MultiplyAddAdjacent(sc32, Avx.LoadVector256((short*)(x3 + xo + 260))) : default;
                for (int h = 0; h < 2; h++)
                {
                    var s8 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(*(ulong*)(w + 192 + 8 * h)).AsSByte());
                    var scales = Vector256.Create(s8, s8).AsByte();
                    var k0 = Avx2.Shuffle(scales, shuf[0]).AsInt16(); var k1 = Avx2.Shuffle(scales, shuf[1]).AsInt16();
                    var k2 = Avx2.Shuffle(scales, shuf[2]).AsInt16(); var k3 = Avx2.Shuffle(scales, shuf[3]).AsInt16();
                    byte* ql = w + 64 * h, qh = w + 128 + 32 * h;
                    var Q0 = Avx.LoadVector256(ql); var Q1 = Avx.LoadVector256(ql + 32);
                    var H = Avx.LoadVector256(qh).AsUInt16();
                    var q1 = (Q0 & m4) | (Avx2.ShiftLeftLogical(H, 4).AsByte() & m30);
                    var q2 = (Q1 & m4) | (Avx2.ShiftLeftLogical(H, 2).AsByte() & m30);
                    var q3 = (Avx2.ShiftRightLogical(Q0.AsUInt16(), 4).AsByte() & m4) | (H.AsByte() & m30);
                    var q4 = (Avx2.ShiftRightLogical(Q1.AsUInt16(), 4).AsByte() & m4) | (Avx2.ShiftRightLogical(H, 2).AsByte() & m30);
                    long off = xo + 4 + 128 * h;
                    i0 += HalfQ6_K(q1, q2, q3, q4, (sbyte*)(x0 + off), k0, k1, k2, k3);
                    if (TX.N > 1) i1 += HalfQ6_K(q1, q2, q3, q4, (sbyte*)(x1 + off), k0, k1, k2, k3);
                    if (TX.N > 2)
                    {
                        i2 += HalfQ6_K(q1, q2, q3, q4, (sbyte*)(x2 + off), k0, k1, k2, k3);
                        i3 += HalfQ6_K(q1, q2, q3, q4, (sbyte*)(x3 + off), k0, k1, k2, k3);
                    }
                }
                var d = Vector256.Create(F16(w + 208));
                switch (r)
                {
                    case 0:
                        a00 = Acc(i0, d * dx0, a00);
                        if (TX.N > 1) a10 = Acc(i1, d * dx1, a10);
                        if (TX.N > 2) { a20 = Acc(i2, d * dx2, a20); a30 = Acc(i3, d * dx3, a30); }
                        break;
                    case 1:
                        a01 = Acc(i0, d * dx0, a01);
                        if (TX.N > 1) a11 = Acc(i1, d * dx1, a11);
                        if (TX.N > 2) { a21 = Acc(i2, d * dx2, a21); a31 = Acc(i3, d * dx3, a31); }
                        break;
                    case 2:
                        a02 = Acc(i0, d * dx0, a02);
                        if (TX.N > 1) a12 = Acc(i1, d * dx1, a12);
                        if (TX.N > 2) { a22 = Acc(i2, d * dx2, a22); a32 = Acc(i3, d * dx3, a32); }
                        break;
                    default:
                        a03 = Acc(i0, d * dx0, a03);
                        if (TX.N > 1) a13 = Acc(i1, d * dx1, a13);
                        if (TX.N > 2) { a23 = Acc(i2, d * dx2, a23); a33 = Acc(i3, d * dx3, a33); }
                        break;
                }
            }
        }
        Store4(o, a00, a01, a02, a03);
        if (TX.N > 1) Store4(o + 4, a10, a11, a12, a13);
        if (TX.N > 2) { Store4(o + 8, a20, a21, a22, a23); Store4(o + 12, a30, a31, a32, a33); }

        static Vector256<float> Acc(Vector256<int> sumi, Vector256<float> scale, Vector256<float> acc) =>
            Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), scale, acc);
    }
}
