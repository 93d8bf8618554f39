// Register-tiled quantized products for MatMul (prefill, n > 1) and multi-row MatVec (decode, n = 1): each weight
// block is loaded and unpacked once and multiplied with TX activation rows (1, 2, 4 or 8) while 4 weight rows share
// each activation load, so y[i, r] for a 4 × TX tile accumulates in registers. Integer block sums are the ones
// of the Dot kernels (Quant.Dot.*.cs); only the order of the f32 block sums differs, so the per-row Dot
// (and behind it the scalar reference) is the oracle. AVX2 only (Vector256 + maddubs/madd); other paths use Dot.
//
// Plain-layout Q4_0/Q8_0 merge the 4 weight rows' partial sums into the lanes of one vector before converting, so a block
// costs one cvt + mul + FMA per activation row instead of four (Zen 4 and most x86 cores issue the multiplies —
// maddubs, madd, mul, FMA — on two pipes only; this takes 16 of them per 4 pairs down to 7 (Q4_0) or 10 (Q8_0)).
// Plain Q4_0 puts two weight rows in one vector ([row a nibbles | row b nibbles]) against activations stored with
// each 16-byte half duplicated, which also halves the nibble unpacking. The interleaved layout (groups of 16 rows,
// one i32 lane per row: Quant.Interleaved.cs) needs no merge at all: 4-byte broadcasts of x against each weight
// vector, then one cvt and FMA per block for the vector's rows — 16 in a Vector512 (TileQ4_0x16), 8 in each
// Vector256 half (TileQ4_0x8, TileQ8_0x8). Against the 4-row tiles: Q4_0 ~1.3× (x8) and ~1.7× (x16), Q8_0 ~1.2×.
//
// Side arrays built once per call from the quantized activations (QuantizeActivations layout untouched):
//   Q8_0 x: dx[i, b]  f32 block scale (the f16 one, widened; × 2^56 when interleaved)  — Q8_0, Q4_0
//           xd[i, b]  64 bytes [x0..15 | x0..15 | x16..31 | x16..31]                 — plain Q4_0
//           c8[i, b]  i32×4: the −8 offset Σ 8·x in the lane order of the merged sums — plain Q4_0;
//                     interleaved Q4_0: 8·Σx in the first i32
//   Q8_K x: mn[i, b]  f32×8 = dx·(bsum_2j + bsum_2j+1)                              — Q4_K (its mins term, one FMA per block)
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

/// <summary>A JIT-time constant (tile widths): `if (T.N > 2)` branches vanish in each instantiation.</summary>
internal interface ITileRows { static abstract int N { get; } }
internal struct X1 : ITileRows { public static int N => 1; }
internal struct X2 : ITileRows { public static int N => 2; }
internal struct X4 : ITileRows { public static int N => 4; }
internal struct X8 : ITileRows { public static int N => 8; }

public static partial class Quant
{
    internal const int TileW = 4;   // weight rows per tile
    internal static int PrefetchAhead = int.TryParse(Environment.GetEnvironmentVariable("SHARPSEEK_PREFETCH"), out int pf) ? pf : 0;

    /// <summary>Interleaved rows longer than this many blocks (4096 columns) prefetch the weight stream non-temporally
    /// <see cref="LongRowPrefetch"/> bytes ahead: a 4-row group (18 KB of Q4_0 at 8960 columns) beside the activations
    /// no longer fits L1, and weights pulled in the ordinary way evict the activations each group re-reads.</summary>
    internal const int LongRowBlocks = 128;
    internal static int LongRowPrefetch = int.TryParse(Environment.GetEnvironmentVariable("SHARPSEEK_NTA_PREFETCH"), out int nta) ? nta : 4096;

    /// <summary>Activation rows per tile (the widest TX kernel of the type).</summary>
    internal static int TileX(GgmlType t) => t is GgmlType.Q4_0 or GgmlType.Q8_0 ? 8 : 4;

    /// <summary>Whether the tiled kernels serve this type on this path (else MatMul does one Dot per pair).</summary>
    internal static bool Tiled(GgmlType t, KernelPath path) =>
        path >= KernelPath.V256 && t is GgmlType.Q4_0 or GgmlType.Q8_0 or GgmlType.Q4_K or GgmlType.Q6_K;

    /// <summary>Bytes of side arrays <see cref="PrepareTiles"/> writes for n activation rows of cols values.</summary>
    internal static long TileSideBytes(GgmlType t, int n, int cols) => t switch
    {
        GgmlType.Q8_0 => (long)n * (cols / QK) * 4,
        GgmlType.Q4_0 => (long)n * (cols / QK) * (4 + 64 + 16),
        GgmlType.Q4_K => (long)n * (cols / QK_K) * 32,
        _ => 0,
    };

    /// <summary>Fills the side arrays (layout in the file header) from n quantized activation rows at xq.</summary>
    internal static unsafe void PrepareTiles(GgmlType t, byte* xq, int xBytes, int n, int cols, byte* side, bool interleaved = false,
        int i0 = 0, int i1 = -1)   // activation rows [i0, i1) of the n (default all)
    {
        if (i1 < 0) i1 = n;
        if (t is GgmlType.Q8_0 or GgmlType.Q4_0)
        {
            int nb = cols / QK;
            float* dx = (float*)side;
            byte* xd = side + (long)n * nb * 4;
            int* c8 = (int*)(xd + (long)n * nb * 64);
            var eight = Vector256.Create((byte)8);
            for (int i = i0; i < i1; i++)
            {
                byte* x = xq + (long)i * xBytes;
                for (long b = (long)i * nb, e = b + nb; b < e; b++, x += 34)
                {
                    dx[b] = interleaved ? F16(x) * Two56 : F16(x);   // interleaved: × 2^56 against the scales' 2^-112 (F16x8Scaled)
                    if (t != GgmlType.Q4_0) continue;
                    if (interleaved)   // the interleaved tiles broadcast from xq; their −8 offset is one scalar 8·Σx per block
                    {
                        var s8 = Avx2.MultiplyAddAdjacent(eight, Avx.LoadVector256((sbyte*)(x + 2)));
                        c8[b * 4] = Vector256.Sum(Avx2.MultiplyAddAdjacent(s8, Vector256.Create((short)1)));
                        continue;
                    }
                    var lo = Sse2.LoadVector128(x + 2); var hi = Sse2.LoadVector128(x + 18);
                    var xl = Vector256.Create(lo, lo); var xh = Vector256.Create(hi, hi);
                    xl.Store(xd + b * 64); xh.Store(xd + b * 64 + 32);
                    // the same merge as the kernel with every nibble 8: lanes [A, A, B, B | A, A, B, B]
                    var p = Avx2.MultiplyAddAdjacent(eight, xl.AsSByte()) + Avx2.MultiplyAddAdjacent(eight, xh.AsSByte());
                    var c = MergeRows(p, p);
                    c.GetLower().Store(c8 + b * 4);
                }
            }
        }
        else if (t == GgmlType.Q4_K)
        {
            int nb = cols / QK_K;
            float* mn = (float*)side;
            for (int i = i0; i < i1; i++)
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
    /// The TileRows × tx outputs y[i0 + i, r0 + r] (r &lt; rw, i &lt; tx) on the tiled kernels; weight rows past rw and
    /// activation rows past tx repeat the first one and are not stored (an interleaved group is always whole).
    /// </summary>
    internal static unsafe void Tile(GgmlType t, byte* w, long rowBytes, int rw, byte* xq, int xBytes, byte* side,
        int n, int i0, int tx, int cols, float* y, int ldy, bool interleaved = false, KernelPath path = KernelPath.V256)
    {
        byte** wr = stackalloc byte*[TileW];
        byte** xr = stackalloc byte*[8];
        float* o = stackalloc float[16 * 8];
        int tw = TileRows(t, interleaved);
        for (int r = 0; r < TileW; r++) wr[r] = w + (r < rw ? r : 0) * rowBytes;
        for (int i = 0; i < 8; i++) xr[i] = xq + (long)(i0 + (i < tx ? i : 0)) * xBytes;
        switch (t)
        {
            case GgmlType.Q4_0:
            case GgmlType.Q8_0:
            {
                int nb = cols / QK;
                byte** sr = stackalloc byte*[8 * 3];   // per activation row: dx, xd, c8
                SideRecords(side, n, nb, i0, tx, sr);
                if (interleaved) TileInterleaved(t, w, xr, sr, nb, tx, o, 16, path);   // w: one group of 16 rows (Quant.Interleaved.cs)
                else if (t == GgmlType.Q4_0)
                {
                    if (tx == 1) TileQ4_0<X1>(wr, sr, xr, nb, o);
                    else if (tx == 2) TileQ4_0<X2>(wr, sr, xr, nb, o);
                    else if (tx <= 4) TileQ4_0<X4>(wr, sr, xr, nb, o);
                    else TileQ4_0<X8>(wr, sr, xr, nb, o);
                }
                else
                {
                    if (tx == 1) TileQ8_0<X1>(wr, xr, sr, nb, o);
                    else if (tx == 2) TileQ8_0<X2>(wr, xr, sr, nb, o);
                    else if (tx <= 4) TileQ8_0<X4>(wr, xr, sr, nb, o);
                    else TileQ8_0<X8>(wr, xr, sr, nb, o);
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
            for (int r = 0; r < rw; r++) y[(long)(i0 + i) * ldy + r] = o[i * tw + r];
    }

    /// <summary>sr[i], sr[8 + i], sr[16 + i]: activation row i0 + i's dx, xd and c8 side records (Q4_0/Q8_0; rows past
    /// tx repeat row i0).</summary>
    internal static unsafe void SideRecords(byte* side, int n, int nb, int i0, int tx, byte** sr)
    {
        for (int i = 0; i < 8; i++)
        {
            long row = i0 + (i < tx ? i : 0);
            sr[i] = side + row * nb * 4;
            sr[8 + i] = side + (long)n * nb * 4 + row * nb * 64;
            sr[16 + i] = side + (long)n * nb * 68 + row * nb * 16;
        }
    }

    /// <summary>One interleaved group of 16 Q4_0/Q8_0 rows (w) × tx activation rows (records xr, sr as Tile sets them):
    /// o[i·ldo + r] = row r · x_i for r &lt; 16, i &lt; tx rounded up to 1, 2, 4 or 8 (rows past tx repeat row 0 and are
    /// stored too).</summary>
    internal static unsafe void TileInterleaved(GgmlType t, byte* w, byte** xr, byte** sr, int nb, int tx, float* o, long ldo, KernelPath path)
    {
        if (t == GgmlType.Q4_0 && path == KernelPath.V512)
        {
            if (tx == 1) TileQ4_0x16<X1>(w, xr, sr, nb, o, ldo);
            else if (tx == 2) TileQ4_0x16<X2>(w, xr, sr, nb, o, ldo);
            else if (tx <= 4) TileQ4_0x16<X4>(w, xr, sr, nb, o, ldo);
            else TileQ4_0x16<X8>(w, xr, sr, nb, o, ldo);
        }
        else if (t == GgmlType.Q4_0)
            for (int h = 0; h < 2; h++)
            {
                if (tx == 1) TileQ4_0x8<X1>(w, h, xr, sr, nb, o, ldo);
                else if (tx == 2) TileQ4_0x8<X2>(w, h, xr, sr, nb, o, ldo);
                else if (tx <= 4) TileQ4_0x8<X4>(w, h, xr, sr, nb, o, ldo);
                else TileQ4_0x8<X8>(w, h, xr, sr, nb, o, ldo);
            }
        else
        {
            int step = Avx512F.IsSupported ? 8 : Q8Avx2Rows;
            for (int s0 = 0; s0 < tx; s0 += step)
                for (int h = 0; h < 2; h++)
                {
                    int m = Math.Min(step, tx - s0);
                    if (m == 1) TileQ8_0x8<X1>(w, h, xr + s0, sr + s0, nb, o + ldo * s0, ldo);
                    else if (m == 2) TileQ8_0x8<X2>(w, h, xr + s0, sr + s0, nb, o + ldo * s0, ldo);
                    else if (m <= 4) TileQ8_0x8<X4>(w, h, xr + s0, sr + s0, nb, o + ldo * s0, ldo);
                    else TileQ8_0x8<X8>(w, h, xr + s0, sr + s0, nb, o + ldo * s0, ldo);
                }
        }
    }

    /// <summary>Activation rows per TileQ8_0x8 pass without AVX-512 (16 vector registers, 8 of them the |w| vectors): 2
    /// ran at ~90 GFLOP/s (the plain tile's), 4 and 8 spilled to 41–50 (AVX2 path, 1536×8960 and 8960×1536, n = 128).</summary>
    const int Q8Avx2Rows = 2;

    /// <summary>Weight rows per tile: a group of the interleaved layout, else <see cref="TileW"/>.</summary>
    internal static int TileRows(GgmlType t, bool interleaved) => interleaved ? InterleaveRows : TileW;

    // ---- lane merging ----

    /// <summary>
    /// Two i16 vectors, each [row a | row b] (8 pair sums per 128-bit lane) → i32 [a, c, a, c | b, d, b, d] where
    /// p = [a | b], q = [c | d]: the lanes of one row sum to that row's total. Each i16 input must stay below 2^13.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> MergeRows(Vector256<short> p, Vector256<short> q)
    {
        var z = Avx2.UnpackLow(p.AsInt32(), q.AsInt32()).AsInt16() + Avx2.UnpackHigh(p.AsInt32(), q.AsInt32()).AsInt16();
        return Avx2.MultiplyAddAdjacent(z, Vector256.Create((short)1));
    }

    /// <summary>Four i32 vectors (one per weight row) → [Σa, Σb, Σc, Σd | Σa, Σb, Σc, Σd] partial sums (i32 lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Merge4(Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d)
    {
        var u = Avx2.UnpackLow(a, b) + Avx2.UnpackHigh(a, b);   // [a0+a2, b0+b2, a1+a3, b1+b3]
        var v = Avx2.UnpackLow(c, d) + Avx2.UnpackHigh(c, d);
        return Avx2.UnpackLow(u.AsInt64(), v.AsInt64()).AsInt32() + Avx2.UnpackHigh(u.AsInt64(), v.AsInt64()).AsInt32();
    }

    /// <summary>f32 lanes [F16(p0), F16(p1), F16(p2), F16(p3)] permuted by idx (block scales of 4 weight rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> Scales4(byte* p0, byte* p1, byte* p2, byte* p3, Vector256<int> idx) =>
        Avx2.PermuteVar8x32(Vector128.Create(F16(p0), F16(p1), F16(p2), F16(p3)).ToVector256Unsafe(), idx);

    // ---- Q4_0 × Q8_0: rows (0,1) and (2,3) share a vector; per activation row and block 4 maddubs, one madd,
    //      one cvt, one FMA for all four weight rows. Lanes: [r0, r2, r0, r2 | r1, r3, r1, r3]. ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> PairQ4(Vector256<byte> lo01, Vector256<byte> hi01, Vector256<byte> lo23, Vector256<byte> hi23,
        byte* xd, int* c8, Vector256<float> s, Vector256<float> acc)
    {
        var xl = Avx.LoadVector256((sbyte*)xd); var xh = Avx.LoadVector256((sbyte*)(xd + 32));
        var p01 = Avx2.MultiplyAddAdjacent(lo01, xl) + Avx2.MultiplyAddAdjacent(hi01, xh);   // each i16 ≤ 2·2·15·127
        var p23 = Avx2.MultiplyAddAdjacent(lo23, xl) + Avx2.MultiplyAddAdjacent(hi23, xh);
        var sumi = MergeRows(p01, p23) - Avx2.BroadcastVector128ToVector256(c8);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), s, acc);
    }

    /// <summary>4 plain Q4_0 rows (wr) × TX activation rows: the xd records (each 16-byte half duplicated).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TileQ4_0<TX>(byte** wr, byte** sr, byte** xr, int nb, float* o) where TX : struct, ITileRows
    {
        byte* w0 = wr[0], w1 = wr[1], w2 = wr[2], w3 = wr[3];
        float* d0 = (float*)sr[0], d1 = (float*)sr[1], d2 = (float*)sr[2], d3 = (float*)sr[3];
        float* d4 = (float*)sr[4], d5 = (float*)sr[5], d6 = (float*)sr[6], d7 = (float*)sr[7];
        byte* x0 = sr[8], x1 = sr[9], x2 = sr[10], x3 = sr[11], x4 = sr[12], x5 = sr[13], x6 = sr[14], x7 = sr[15];
        int* c0 = (int*)sr[16], c1 = (int*)sr[17], c2 = (int*)sr[18], c3 = (int*)sr[19];
        int* c4 = (int*)sr[20], c5 = (int*)sr[21], c6 = (int*)sr[22], c7 = (int*)sr[23];
        var m4 = Vector256.Create((byte)0x0F);
        var idx = Vector256.Create(0, 2, 0, 2, 1, 3, 1, 3);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int b = 0; b < nb; b++, w0 += 18, w1 += 18, w2 += 18, w3 += 18)
        {
            if (PrefetchAhead > 0)
            {
                Sse.Prefetch0(w0 + PrefetchAhead); Sse.Prefetch0(w1 + PrefetchAhead);
                Sse.Prefetch0(w2 + PrefetchAhead); Sse.Prefetch0(w3 + PrefetchAhead);
            }
            var q01 = Vector256.Create(Sse2.LoadVector128(w0 + 2), Sse2.LoadVector128(w1 + 2));
            var q23 = Vector256.Create(Sse2.LoadVector128(w2 + 2), Sse2.LoadVector128(w3 + 2));
            var sw = Scales4(w0, w1, w2, w3, idx);
            var lo01 = q01 & m4; var hi01 = Avx2.ShiftRightLogical(q01.AsUInt16(), 4).AsByte() & m4;
            var lo23 = q23 & m4; var hi23 = Avx2.ShiftRightLogical(q23.AsUInt16(), 4).AsByte() & m4;
            long xo = (long)b * 64, co = (long)b * 4;
            a0 = PairQ4(lo01, hi01, lo23, hi23, x0 + xo, c0 + co, sw * Vector256.Create(d0[b]), a0);
            if (TX.N > 1) a1 = PairQ4(lo01, hi01, lo23, hi23, x1 + xo, c1 + co, sw * Vector256.Create(d1[b]), a1);
            if (TX.N > 2)
            {
                a2 = PairQ4(lo01, hi01, lo23, hi23, x2 + xo, c2 + co, sw * Vector256.Create(d2[b]), a2);
                a3 = PairQ4(lo01, hi01, lo23, hi23, x3 + xo, c3 + co, sw * Vector256.Create(d3[b]), a3);
            }
            if (TX.N > 4)
            {
                a4 = PairQ4(lo01, hi01, lo23, hi23, x4 + xo, c4 + co, sw * Vector256.Create(d4[b]), a4);
                a5 = PairQ4(lo01, hi01, lo23, hi23, x5 + xo, c5 + co, sw * Vector256.Create(d5[b]), a5);
                a6 = PairQ4(lo01, hi01, lo23, hi23, x6 + xo, c6 + co, sw * Vector256.Create(d6[b]), a6);
                a7 = PairQ4(lo01, hi01, lo23, hi23, x7 + xo, c7 + co, sw * Vector256.Create(d7[b]), a7);
            }
        }
        Out02(o, a0);
        if (TX.N > 1) Out02(o + 4, a1);
        if (TX.N > 2) { Out02(o + 8, a2); Out02(o + 12, a3); }
        if (TX.N > 4) { Out02(o + 16, a4); Out02(o + 20, a5); Out02(o + 24, a6); Out02(o + 28, a7); }
    }

    // ---- Q4_0 × Q8_0 over the interleaved layout: one i32 lane per weight row. Per block and activation row: 8
    //      maddubs of a weight vector with a 4-byte broadcast of x, the i16 sums added (8 · 2 · 15 · 127 < 2^15),
    //      one madd, the −8 offset (8·Σx, one scalar), one cvt and one FMA for all the vector's rows. On AVX-512
    //      one Vector512 holds the group's 16 rows (TileQ4_0x16: half the instructions of two 8-row halves, which
    //      Zen 4 runs 1.3× faster although it splits 512-bit integer ops in two); on AVX2 each half is a pass. ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> Dot8Rows(Vector256<byte> l0, Vector256<byte> l1, Vector256<byte> l2, Vector256<byte> l3,
        Vector256<byte> h0, Vector256<byte> h1, Vector256<byte> h2, Vector256<byte> h3, byte* x, int c8, Vector256<float> s, Vector256<float> acc)
    {
        var p = Avx2.MultiplyAddAdjacent(l0, Vector256.Create(*(int*)x).AsSByte())
              + Avx2.MultiplyAddAdjacent(l1, Vector256.Create(*(int*)(x + 4)).AsSByte())
              + Avx2.MultiplyAddAdjacent(l2, Vector256.Create(*(int*)(x + 8)).AsSByte())
              + Avx2.MultiplyAddAdjacent(l3, Vector256.Create(*(int*)(x + 12)).AsSByte());
        var q = Avx2.MultiplyAddAdjacent(h0, Vector256.Create(*(int*)(x + 16)).AsSByte())
              + Avx2.MultiplyAddAdjacent(h1, Vector256.Create(*(int*)(x + 20)).AsSByte())
              + Avx2.MultiplyAddAdjacent(h2, Vector256.Create(*(int*)(x + 24)).AsSByte())
              + Avx2.MultiplyAddAdjacent(h3, Vector256.Create(*(int*)(x + 28)).AsSByte());
        var sumi = Avx2.MultiplyAddAdjacent(p + q, Vector256.Create((short)1)) - Vector256.Create(c8);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), s, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector512<float> Dot16Rows(Vector512<byte> l0, Vector512<byte> l1, Vector512<byte> l2, Vector512<byte> l3,
        Vector512<byte> h0, Vector512<byte> h1, Vector512<byte> h2, Vector512<byte> h3, byte* x, int c8, Vector512<float> s, Vector512<float> acc)
    {
        var p = Avx512BW.MultiplyAddAdjacent(l0, Vector512.Create(*(int*)x).AsSByte())
              + Avx512BW.MultiplyAddAdjacent(l1, Vector512.Create(*(int*)(x + 4)).AsSByte())
              + Avx512BW.MultiplyAddAdjacent(l2, Vector512.Create(*(int*)(x + 8)).AsSByte())
              + Avx512BW.MultiplyAddAdjacent(l3, Vector512.Create(*(int*)(x + 12)).AsSByte());
        var q = Avx512BW.MultiplyAddAdjacent(h0, Vector512.Create(*(int*)(x + 16)).AsSByte())
              + Avx512BW.MultiplyAddAdjacent(h1, Vector512.Create(*(int*)(x + 20)).AsSByte())
              + Avx512BW.MultiplyAddAdjacent(h2, Vector512.Create(*(int*)(x + 24)).AsSByte())
              + Avx512BW.MultiplyAddAdjacent(h3, Vector512.Create(*(int*)(x + 28)).AsSByte());
        var sumi = Avx512BW.MultiplyAddAdjacent(p + q, Vector512.Create((short)1)) - Vector512.Create(c8);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sumi), s, acc);
    }

    /// <summary>Half h (rows 8h..8h+7) of one interleaved group of 16 Q4_0 rows (w) × TX activation rows:
    /// o[i·16 + 8h + r] = row 8h + r · x_i. sr: per activation row dx (× 2^56) at sr[i], its c8 records (8·Σx first) at sr[16 + i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TileQ4_0x8<TX>(byte* w, int h, byte** xr, byte** sr, int nb, float* o, long ldo) where TX : struct, ITileRows
    {
        byte* x0 = xr[0] + 2, x1 = xr[1] + 2, x2 = xr[2] + 2, x3 = xr[3] + 2, x4 = xr[4] + 2, x5 = xr[5] + 2, x6 = xr[6] + 2, x7 = xr[7] + 2;
        float* d0 = (float*)sr[0], d1 = (float*)sr[1], d2 = (float*)sr[2], d3 = (float*)sr[3];
        float* d4 = (float*)sr[4], d5 = (float*)sr[5], d6 = (float*)sr[6], d7 = (float*)sr[7];
        int* c0 = (int*)sr[16], c1 = (int*)sr[17], c2 = (int*)sr[18], c3 = (int*)sr[19];
        int* c4 = (int*)sr[20], c5 = (int*)sr[21], c6 = (int*)sr[22], c7 = (int*)sr[23];
        var m4 = Vector256.Create((byte)0x0F);
        bool longRows = nb > LongRowBlocks && LongRowPrefetch > 0;
        int ahead = LongRowPrefetch;
        byte* sc = w + 16 * h, q = w + 32 + 32 * h;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int b = 0; b < nb; b++, sc += 288, q += 288)
        {
            if (longRows) for (int l = 0; l < 288; l += 64) Sse.PrefetchNonTemporal(q + ahead + l);
            var sw = F16x8Scaled(sc);
            var q0 = Avx.LoadVector256(q); var q1 = Avx.LoadVector256(q + 64);
            var q2 = Avx.LoadVector256(q + 128); var q3 = Avx.LoadVector256(q + 192);
            var l0 = q0 & m4; var h0 = Avx2.ShiftRightLogical(q0.AsUInt16(), 4).AsByte() & m4;
            var l1 = q1 & m4; var h1 = Avx2.ShiftRightLogical(q1.AsUInt16(), 4).AsByte() & m4;
            var l2 = q2 & m4; var h2 = Avx2.ShiftRightLogical(q2.AsUInt16(), 4).AsByte() & m4;
            var l3 = q3 & m4; var h3 = Avx2.ShiftRightLogical(q3.AsUInt16(), 4).AsByte() & m4;
            long xo = (long)b * 34, co = (long)b * 4;
            a0 = Dot8Rows(l0, l1, l2, l3, h0, h1, h2, h3, x0 + xo, c0[co], sw * Vector256.Create(d0[b]), a0);
            if (TX.N > 1) a1 = Dot8Rows(l0, l1, l2, l3, h0, h1, h2, h3, x1 + xo, c1[co], sw * Vector256.Create(d1[b]), a1);
            if (TX.N > 2)
            {
                a2 = Dot8Rows(l0, l1, l2, l3, h0, h1, h2, h3, x2 + xo, c2[co], sw * Vector256.Create(d2[b]), a2);
                a3 = Dot8Rows(l0, l1, l2, l3, h0, h1, h2, h3, x3 + xo, c3[co], sw * Vector256.Create(d3[b]), a3);
            }
            if (TX.N > 4)
            {
                a4 = Dot8Rows(l0, l1, l2, l3, h0, h1, h2, h3, x4 + xo, c4[co], sw * Vector256.Create(d4[b]), a4);
                a5 = Dot8Rows(l0, l1, l2, l3, h0, h1, h2, h3, x5 + xo, c5[co], sw * Vector256.Create(d5[b]), a5);
                a6 = Dot8Rows(l0, l1, l2, l3, h0, h1, h2, h3, x6 + xo, c6[co], sw * Vector256.Create(d6[b]), a6);
                a7 = Dot8Rows(l0, l1, l2, l3, h0, h1, h2, h3, x7 + xo, c7[co], sw * Vector256.Create(d7[b]), a7);
            }
        }
        var k = Vector256.Create(Two56);   // undo the 2^-112 · 2^56 of the scales
        o += 8 * h;
        (a0 * k).Store(o);
        if (TX.N > 1) (a1 * k).Store(o + ldo);
        if (TX.N > 2) { (a2 * k).Store(o + 2 * ldo); (a3 * k).Store(o + 3 * ldo); }
        if (TX.N > 4) { (a4 * k).Store(o + 4 * ldo); (a5 * k).Store(o + 5 * ldo); (a6 * k).Store(o + 6 * ldo); (a7 * k).Store(o + 7 * ldo); }
    }

    /// <summary>One interleaved group of 16 Q4_0 rows (w) × TX activation rows in Vector512: o[i·16 + r] = row r · x_i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TileQ4_0x16<TX>(byte* w, byte** xr, byte** sr, int nb, float* o, long ldo) where TX : struct, ITileRows
    {
        byte* x0 = xr[0] + 2, x1 = xr[1] + 2, x2 = xr[2] + 2, x3 = xr[3] + 2, x4 = xr[4] + 2, x5 = xr[5] + 2, x6 = xr[6] + 2, x7 = xr[7] + 2;
        float* d0 = (float*)sr[0], d1 = (float*)sr[1], d2 = (float*)sr[2], d3 = (float*)sr[3];
        float* d4 = (float*)sr[4], d5 = (float*)sr[5], d6 = (float*)sr[6], d7 = (float*)sr[7];
        int* c0 = (int*)sr[16], c1 = (int*)sr[17], c2 = (int*)sr[18], c3 = (int*)sr[19];
        int* c4 = (int*)sr[20], c5 = (int*)sr[21], c6 = (int*)sr[22], c7 = (int*)sr[23];
        var m4 = Vector512.Create((byte)0x0F);
        bool longRows = nb > LongRowBlocks && LongRowPrefetch > 0;
        int ahead = LongRowPrefetch;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int b = 0; b < nb; b++, w += 288)
        {
            if (longRows) for (int l = 0; l < 288; l += 64) Sse.PrefetchNonTemporal(w + ahead + l);
            var sw = F16x16Scaled(w);
            var q0 = Avx512F.LoadVector512(w + 32); var q1 = Avx512F.LoadVector512(w + 96);
            var q2 = Avx512F.LoadVector512(w + 160); var q3 = Avx512F.LoadVector512(w + 224);
            var l0 = q0 & m4; var h0 = Avx512BW.ShiftRightLogical(q0.AsUInt16(), 4).AsByte() & m4;
            var l1 = q1 & m4; var h1 = Avx512BW.ShiftRightLogical(q1.AsUInt16(), 4).AsByte() & m4;
            var l2 = q2 & m4; var h2 = Avx512BW.ShiftRightLogical(q2.AsUInt16(), 4).AsByte() & m4;
            var l3 = q3 & m4; var h3 = Avx512BW.ShiftRightLogical(q3.AsUInt16(), 4).AsByte() & m4;
            long xo = (long)b * 34, co = (long)b * 4;
            a0 = Dot16Rows(l0, l1, l2, l3, h0, h1, h2, h3, x0 + xo, c0[co], sw * Vector512.Create(d0[b]), a0);
            if (TX.N > 1) a1 = Dot16Rows(l0, l1, l2, l3, h0, h1, h2, h3, x1 + xo, c1[co], sw * Vector512.Create(d1[b]), a1);
            if (TX.N > 2)
            {
                a2 = Dot16Rows(l0, l1, l2, l3, h0, h1, h2, h3, x2 + xo, c2[co], sw * Vector512.Create(d2[b]), a2);
                a3 = Dot16Rows(l0, l1, l2, l3, h0, h1, h2, h3, x3 + xo, c3[co], sw * Vector512.Create(d3[b]), a3);
            }
            if (TX.N > 4)
            {
                a4 = Dot16Rows(l0, l1, l2, l3, h0, h1, h2, h3, x4 + xo, c4[co], sw * Vector512.Create(d4[b]), a4);
                a5 = Dot16Rows(l0, l1, l2, l3, h0, h1, h2, h3, x5 + xo, c5[co], sw * Vector512.Create(d5[b]), a5);
                a6 = Dot16Rows(l0, l1, l2, l3, h0, h1, h2, h3, x6 + xo, c6[co], sw * Vector512.Create(d6[b]), a6);
                a7 = Dot16Rows(l0, l1, l2, l3, h0, h1, h2, h3, x7 + xo, c7[co], sw * Vector512.Create(d7[b]), a7);
            }
        }
        var k = Vector512.Create(Two56);
        (a0 * k).Store(o);
        if (TX.N > 1) (a1 * k).Store(o + ldo);
        if (TX.N > 2) { (a2 * k).Store(o + 2 * ldo); (a3 * k).Store(o + 3 * ldo); }
        if (TX.N > 4) { (a4 * k).Store(o + 4 * ldo); (a5 * k).Store(o + 5 * ldo); (a6 * k).Store(o + 6 * ldo); (a7 * k).Store(o + 7 * ldo); }
    }

    /// <summary>
    /// Decode (one activation row) over interleaved Q4_0 groups of 16 rows [g0, g1): y[16g + r] = row 16g + r · x, the
    /// tiles' per-block work with the setup hoisted (Vector512 on the V512 path, else the two halves side by side).
    /// side: PrepareTiles' records for n = 1 (dx × 2^56, then the c8 records at nb·68).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void DecodeQ4_0Interleaved(byte* w, long groupBytes, int g0, int g1, byte* xq, byte* side, int nb, float* y, bool wide)
    {
        float* dx = (float*)side;
        int* c8 = (int*)(side + (long)nb * 68);
        bool longRows = nb > LongRowBlocks && LongRowPrefetch > 0;
        int ahead = LongRowPrefetch;
        for (int g = g0; g < g1; g++)
        {
            byte* wb = w + g * groupBytes;
            if (wide)
            {
                var m4 = Vector512.Create((byte)0x0F);
                Vector512<float> a = default;
                for (int b = 0; b < nb; b++, wb += 288)
                {
                    if (longRows) for (int l = 0; l < 288; l += 64) Sse.PrefetchNonTemporal(wb + ahead + l);
                    a = BlockQ4_0x16(wb, xq + b * 34 + 2, c8[b * 4], dx[b], m4, a);
                }
                (a * Vector512.Create(Two56)).Store(y + g * 16);
            }
            else
            {
                var m4 = Vector256.Create((byte)0x0F);
                Vector256<float> a0 = default, a1 = default;
                for (int b = 0; b < nb; b++, wb += 288)
                {
                    if (longRows) for (int l = 0; l < 288; l += 64) Sse.PrefetchNonTemporal(wb + ahead + l);
                    a0 = BlockQ4_0x8(wb, wb + 32, xq + b * 34 + 2, c8[b * 4], dx[b], m4, a0);
                    a1 = BlockQ4_0x8(wb + 16, wb + 64, xq + b * 34 + 2, c8[b * 4], dx[b], m4, a1);
                }
                var k = Vector256.Create(Two56);
                (a0 * k).Store(y + g * 16); (a1 * k).Store(y + g * 16 + 8);
            }
        }
    }

    /// <summary>The 16 rows of an interleaved Q4_0 block at wb in one Vector512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector512<float> BlockQ4_0x16(byte* wb, byte* x, int c8, float dx, Vector512<byte> m4, Vector512<float> acc)
    {
        var q0 = Avx512F.LoadVector512(wb + 32); var q1 = Avx512F.LoadVector512(wb + 96);
        var q2 = Avx512F.LoadVector512(wb + 160); var q3 = Avx512F.LoadVector512(wb + 224);
        return Dot16Rows(q0 & m4, q1 & m4, q2 & m4, q3 & m4,
            Avx512BW.ShiftRightLogical(q0.AsUInt16(), 4).AsByte() & m4, Avx512BW.ShiftRightLogical(q1.AsUInt16(), 4).AsByte() & m4,
            Avx512BW.ShiftRightLogical(q2.AsUInt16(), 4).AsByte() & m4, Avx512BW.ShiftRightLogical(q3.AsUInt16(), 4).AsByte() & m4,
            x, c8, F16x16Scaled(wb) * Vector512.Create(dx), acc);
    }

    /// <summary>8 rows of an interleaved Q4_0 block: scales at sc, quant vector k at q + 64k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> BlockQ4_0x8(byte* sc, byte* q, byte* x, int c8, float dx, Vector256<byte> m4, Vector256<float> acc)
    {
        var q0 = Avx.LoadVector256(q); var q1 = Avx.LoadVector256(q + 64);
        var q2 = Avx.LoadVector256(q + 128); var q3 = Avx.LoadVector256(q + 192);
        return Dot8Rows(q0 & m4, q1 & m4, q2 & m4, q3 & m4,
            Avx2.ShiftRightLogical(q0.AsUInt16(), 4).AsByte() & m4, Avx2.ShiftRightLogical(q1.AsUInt16(), 4).AsByte() & m4,
            Avx2.ShiftRightLogical(q2.AsUInt16(), 4).AsByte() & m4, Avx2.ShiftRightLogical(q3.AsUInt16(), 4).AsByte() & m4,
            x, c8, F16x8Scaled(sc) * Vector256.Create(dx), acc);
    }

    /// <summary>o[0..4) from lanes [r0, r2, r0, r2 | r1, r3, r1, r3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Out02(float* o, Vector256<float> a)
    {
        var lo = a.GetLower(); var hi = a.GetUpper();
        o[0] = lo[0] + lo[2]; o[2] = lo[1] + lo[3]; o[1] = hi[0] + hi[2]; o[3] = hi[1] + hi[3];
    }

    /// <summary>Horizontal sums of four accumulators into o[0..4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Store4(float* o, Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        o[0] = Vector256.Sum(a); o[1] = Vector256.Sum(b); o[2] = Vector256.Sum(c); o[3] = Vector256.Sum(d);
    }

    // ---- Q8_0 × Q8_0: |w| (per weight block) against x·sign(w) (per pair), the four rows' i32 sums merged into
    //      lanes [r0, r1, r2, r3 | r0, r1, r2, r3] before one cvt + FMA. ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<int> SumQ8(Vector256<byte> aw, byte* w, Vector256<sbyte> x) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(aw, Avx2.Sign(x, Avx.LoadVector256((sbyte*)(w + 2)))), Vector256.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> PairQ8(Vector256<byte> n0, Vector256<byte> n1, Vector256<byte> n2, Vector256<byte> n3,
        byte* w0, byte* w1, byte* w2, byte* w3, byte* xb, Vector256<float> s, Vector256<float> acc)
    {
        var x = Avx.LoadVector256((sbyte*)(xb + 2));
        var sumi = Merge4(SumQ8(n0, w0, x), SumQ8(n1, w1, x), SumQ8(n2, w2, x), SumQ8(n3, w3, x));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), s, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TileQ8_0<TX>(byte** wr, byte** xr, byte** sr, int nb, float* o) where TX : struct, ITileRows
    {
        byte* w0 = wr[0], w1 = wr[1], w2 = wr[2], w3 = wr[3];
        byte* x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3], x4 = xr[4], x5 = xr[5], x6 = xr[6], x7 = xr[7];
        float* d0 = (float*)sr[0], d1 = (float*)sr[1], d2 = (float*)sr[2], d3 = (float*)sr[3];
        float* d4 = (float*)sr[4], d5 = (float*)sr[5], d6 = (float*)sr[6], d7 = (float*)sr[7];
        var idx = Vector256.Create(0, 1, 2, 3, 0, 1, 2, 3);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int b = 0; b < nb; b++, w0 += 34, w1 += 34, w2 += 34, w3 += 34)
        {
            if (PrefetchAhead > 0)
            {
                Sse.Prefetch0(w0 + PrefetchAhead); Sse.Prefetch0(w1 + PrefetchAhead);
                Sse.Prefetch0(w2 + PrefetchAhead); Sse.Prefetch0(w3 + PrefetchAhead);
            }
            var n0 = Avx2.Abs(Avx.LoadVector256((sbyte*)(w0 + 2))); var n1 = Avx2.Abs(Avx.LoadVector256((sbyte*)(w1 + 2)));
            var n2 = Avx2.Abs(Avx.LoadVector256((sbyte*)(w2 + 2))); var n3 = Avx2.Abs(Avx.LoadVector256((sbyte*)(w3 + 2)));
            var sw = Scales4(w0, w1, w2, w3, idx);
            long xo = (long)b * 34;
            a0 = PairQ8(n0, n1, n2, n3, w0, w1, w2, w3, x0 + xo, sw * Vector256.Create(d0[b]), a0);
            if (TX.N > 1) a1 = PairQ8(n0, n1, n2, n3, w0, w1, w2, w3, x1 + xo, sw * Vector256.Create(d1[b]), a1);
            if (TX.N > 2)
            {
                a2 = PairQ8(n0, n1, n2, n3, w0, w1, w2, w3, x2 + xo, sw * Vector256.Create(d2[b]), a2);
                a3 = PairQ8(n0, n1, n2, n3, w0, w1, w2, w3, x3 + xo, sw * Vector256.Create(d3[b]), a3);
            }
            if (TX.N > 4)
            {
                a4 = PairQ8(n0, n1, n2, n3, w0, w1, w2, w3, x4 + xo, sw * Vector256.Create(d4[b]), a4);
                a5 = PairQ8(n0, n1, n2, n3, w0, w1, w2, w3, x5 + xo, sw * Vector256.Create(d5[b]), a5);
                a6 = PairQ8(n0, n1, n2, n3, w0, w1, w2, w3, x6 + xo, sw * Vector256.Create(d6[b]), a6);
                a7 = PairQ8(n0, n1, n2, n3, w0, w1, w2, w3, x7 + xo, sw * Vector256.Create(d7[b]), a7);
            }
        }
        Out0123(o, a0);
        if (TX.N > 1) Out0123(o + 4, a1);
        if (TX.N > 2) { Out0123(o + 8, a2); Out0123(o + 12, a3); }
        if (TX.N > 4) { Out0123(o + 16, a4); Out0123(o + 20, a5); Out0123(o + 24, a6); Out0123(o + 28, a7); }
    }

    // ---- Q8_0 × Q8_0 over the interleaved layout (8 rows of a half group, one i32 lane per row): per block and activation row, for
    //      each of the 8 weight vectors |w| against a 4-byte broadcast of x signed by w, one maddubs (pairs ≤ 2·127²)
    //      and one madd, then one cvt and FMA for all 8 rows. ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<int> Dot8RowsQ8(Vector256<byte> n, byte* w, byte* x) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(n, Avx2.Sign(Vector256.Create(*(int*)x).AsSByte(), Avx.LoadVector256((sbyte*)w))),
            Vector256.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> Dot8RowsQ8(Vector256<byte> n0, Vector256<byte> n1, Vector256<byte> n2, Vector256<byte> n3,
        Vector256<byte> n4, Vector256<byte> n5, Vector256<byte> n6, Vector256<byte> n7, byte* q, byte* x, Vector256<float> s, Vector256<float> acc)
    {
        var sumi = Dot8RowsQ8(n0, q, x) + Dot8RowsQ8(n1, q + 64, x + 4) + Dot8RowsQ8(n2, q + 128, x + 8) + Dot8RowsQ8(n3, q + 192, x + 12)
                 + Dot8RowsQ8(n4, q + 256, x + 16) + Dot8RowsQ8(n5, q + 320, x + 20) + Dot8RowsQ8(n6, q + 384, x + 24) + Dot8RowsQ8(n7, q + 448, x + 28);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), s, acc);
    }

    /// <summary>Half h (rows 8h..8h+7) of one interleaved group of 16 Q8_0 rows (w) × TX activation rows:
    /// o[i·16 + 8h + r] = row 8h + r · x_i; sr[i]: dx × 2^56.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TileQ8_0x8<TX>(byte* w, int h, byte** xr, byte** sr, int nb, float* o, long ldo) where TX : struct, ITileRows
    {
        byte* x0 = xr[0] + 2, x1 = xr[1] + 2, x2 = xr[2] + 2, x3 = xr[3] + 2, x4 = xr[4] + 2, x5 = xr[5] + 2, x6 = xr[6] + 2, x7 = xr[7] + 2;
        float* d0 = (float*)sr[0], d1 = (float*)sr[1], d2 = (float*)sr[2], d3 = (float*)sr[3];
        float* d4 = (float*)sr[4], d5 = (float*)sr[5], d6 = (float*)sr[6], d7 = (float*)sr[7];
        bool longRows = nb > LongRowBlocks && LongRowPrefetch > 0;
        int ahead = LongRowPrefetch;
        byte* sc = w + 16 * h, q = w + 32 + 32 * h;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int b = 0; b < nb; b++, sc += 544, q += 544)
        {
            if (longRows)
                for (int l = 0; l < 544; l += 64) Sse.PrefetchNonTemporal(q + ahead + l);
            var sw = F16x8Scaled(sc);
            var n0 = Avx2.Abs(Avx.LoadVector256((sbyte*)q)); var n1 = Avx2.Abs(Avx.LoadVector256((sbyte*)(q + 64)));
            var n2 = Avx2.Abs(Avx.LoadVector256((sbyte*)(q + 128))); var n3 = Avx2.Abs(Avx.LoadVector256((sbyte*)(q + 192)));
            var n4 = Avx2.Abs(Avx.LoadVector256((sbyte*)(q + 256))); var n5 = Avx2.Abs(Avx.LoadVector256((sbyte*)(q + 320)));
            var n6 = Avx2.Abs(Avx.LoadVector256((sbyte*)(q + 384))); var n7 = Avx2.Abs(Avx.LoadVector256((sbyte*)(q + 448)));
            long xo = (long)b * 34;
            a0 = Dot8RowsQ8(n0, n1, n2, n3, n4, n5, n6, n7, q, x0 + xo, sw * Vector256.Create(d0[b]), a0);
            if (TX.N > 1) a1 = Dot8RowsQ8(n0, n1, n2, n3, n4, n5, n6, n7, q, x1 + xo, sw * Vector256.Create(d1[b]), a1);
            if (TX.N > 2)
            {
                a2 = Dot8RowsQ8(n0, n1, n2, n3, n4, n5, n6, n7, q, x2 + xo, sw * Vector256.Create(d2[b]), a2);
                a3 = Dot8RowsQ8(n0, n1, n2, n3, n4, n5, n6, n7, q, x3 + xo, sw * Vector256.Create(d3[b]), a3);
            }
            if (TX.N > 4)
            {
                a4 = Dot8RowsQ8(n0, n1, n2, n3, n4, n5, n6, n7, q, x4 + xo, sw * Vector256.Create(d4[b]), a4);
                a5 = Dot8RowsQ8(n0, n1, n2, n3, n4, n5, n6, n7, q, x5 + xo, sw * Vector256.Create(d5[b]), a5);
                a6 = Dot8RowsQ8(n0, n1, n2, n3, n4, n5, n6, n7, q, x6 + xo, sw * Vector256.Create(d6[b]), a6);
                a7 = Dot8RowsQ8(n0, n1, n2, n3, n4, n5, n6, n7, q, x7 + xo, sw * Vector256.Create(d7[b]), a7);
            }
        }
        var k = Vector256.Create(Two56);   // undo the 2^-112 · 2^56 of the scales
        o += 8 * h;
        (a0 * k).Store(o);
        if (TX.N > 1) (a1 * k).Store(o + ldo);
        if (TX.N > 2) { (a2 * k).Store(o + 2 * ldo); (a3 * k).Store(o + 3 * ldo); }
        if (TX.N > 4) { (a4 * k).Store(o + 4 * ldo); (a5 * k).Store(o + 5 * ldo); (a6 * k).Store(o + 6 * ldo); (a7 * k).Store(o + 7 * ldo); }
    }

    /// <summary>
    /// Decode (one activation row) over interleaved Q8_0 groups of 16 rows [g0, g1): y[16g + r] = row 16g + r · x; both
    /// 8-row halves of a block in one pass, so each block is read once and contiguously (two tile passes over the halves
    /// streamed every block twice: 0.6–0.9× the 8-row layout). side: dx × 2^56 per block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void DecodeQ8_0Interleaved(byte* w, long groupBytes, int g0, int g1, byte* xq, byte* side, int nb, float* y)
    {
        float* dx = (float*)side;
        bool longRows = nb > LongRowBlocks && LongRowPrefetch > 0;
        int ahead = LongRowPrefetch;
        var k = Vector256.Create(Two56);
        for (int g = g0; g < g1; g++)
        {
            byte* wb = w + g * groupBytes;
            Vector256<float> a0 = default, a1 = default;
            for (int b = 0; b < nb; b++, wb += 544)
            {
                if (longRows) for (int l = 0; l < 544; l += 64) Sse.PrefetchNonTemporal(wb + ahead + l);
                byte* x = xq + b * 34 + 2, q = wb + 32;
                Vector256<int> s0 = default, s1 = default;
                for (int v = 0; v < 8; v++, q += 64, x += 4)
                {
                    var bx = Vector256.Create(*(int*)x).AsSByte();
                    var w0 = Avx.LoadVector256((sbyte*)q); var w1 = Avx.LoadVector256((sbyte*)(q + 32));
                    s0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(w0), Avx2.Sign(bx, w0)), Vector256.Create((short)1));
                    s1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(w1), Avx2.Sign(bx, w1)), Vector256.Create((short)1));
                }
                var d = Vector256.Create(dx[b]);
                a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s0), F16x8Scaled(wb) * d, a0);
                a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s1), F16x8Scaled(wb + 16) * d, a1);
            }
            (a0 * k).Store(y + g * 16); (a1 * k).Store(y + g * 16 + 8);
        }
    }

    /// <summary>o[0..4) from lanes [r0, r1, r2, r3 | r0, r1, r2, r3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Out0123(float* o, Vector256<float> a) => (a.GetLower() + a.GetUpper()).Store(o);

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

// Decode (n = 1) row kernel for Q4_0: two consecutive blocks of one row share a vector ([block b nibbles |
// block b+1 nibbles]) against activations laid out in pairs of blocks, so a pair costs one unpack, two maddubs,
// one madd, one cvt and one FMA (the Dot kernel spends about twice that). One row at a time keeps the weights a
// single sequential stream from DRAM (four rows at once measured slower there).
//   pair record (128 bytes): x [b lo16 | b+1 lo16 | b hi16 | b+1 hi16] | i32×8 Σ 8·x per lane | f32×8 [dx_b ×4 | dx_b+1 ×4]
public static partial class Quant
{
    // Only up to 4096 columns: the records (4 bytes per activation value) must stay in L1 beside the weight stream;
    // at 8960 columns (17.5 KB) they spill and the kernel measured 0.7× the Dot, at ≤ 4096 1.0–1.3×.
    internal static long DecodeSideBytes(GgmlType t, int cols) => t == GgmlType.Q4_0 && cols <= 4096 ? (cols / QK / 2) * 128L : 0;

    internal static unsafe void PrepareDecode(GgmlType t, byte* xq, int cols, byte* side)
    {
        if (t != GgmlType.Q4_0) return;
        var eight = Vector256.Create((byte)8);
        byte* x = xq;
        for (int p = 0; p < cols / QK / 2; p++, x += 68, side += 128)
        {
            var xl = Vector256.Create(Sse2.LoadVector128(x + 2), Sse2.LoadVector128(x + 36));
            var xh = Vector256.Create(Sse2.LoadVector128(x + 18), Sse2.LoadVector128(x + 52));
            xl.Store(side); xh.Store(side + 32);
            var c = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(eight, xl.AsSByte()) + Avx2.MultiplyAddAdjacent(eight, xh.AsSByte()),
                Vector256.Create((short)1));
            c.Store((int*)(side + 64));
            Vector256.Create(Vector128.Create(F16(x)), Vector128.Create(F16(x + 34))).Store((float*)(side + 96));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> PairBlocksQ4_0(byte* w, byte* xp, Vector256<byte> m4, Vector256<float> acc)
    {
        var q = Vector256.Create(Sse2.LoadVector128(w + 2), Sse2.LoadVector128(w + 20));
        var lo = q & m4; var hi = Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & m4;
        var s16 = Avx2.MultiplyAddAdjacent(lo, Avx.LoadVector256((sbyte*)xp)) + Avx2.MultiplyAddAdjacent(hi, Avx.LoadVector256((sbyte*)(xp + 32)));
        var s32 = Avx2.MultiplyAddAdjacent(s16, Vector256.Create((short)1)) - Avx.LoadVector256((int*)(xp + 64));
        var sc = Vector256.Create(Vector128.Create(F16(w)), Vector128.Create(F16(w + 18))) * Avx.LoadVector256((float*)(xp + 96));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(s32), sc, acc);
    }

    /// <summary>Σ row·x for one Q4_0 row against the pair records (xq: the plain Q8_0 blocks, for an odd last block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe float DotQ4_0Pairs(byte* w, byte* xp, byte* xq, int nb)
    {
        var m4 = Vector256.Create((byte)0x0F);
        Vector256<float> acc0 = default, acc1 = default;
        int b = 0;
        for (; b + 4 <= nb; b += 4, w += 72, xp += 256)
        {
            acc0 = PairBlocksQ4_0(w, xp, m4, acc0);
            acc1 = PairBlocksQ4_0(w + 36, xp + 128, m4, acc1);
        }
        if (b + 2 <= nb) { acc0 = PairBlocksQ4_0(w, xp, m4, acc0); b += 2; w += 36; }
        if (b < nb) acc1 = Fma.MultiplyAdd(BlockQ4_0V256(w, xq + b * 34), Vector256.Create(F16(w) * F16(xq + b * 34)), acc1);
        return Vector256.Sum(acc0 + acc1);
    }
}
