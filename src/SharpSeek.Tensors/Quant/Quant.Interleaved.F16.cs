// F16 rows interleaved by eights, a load-time layout like Q4_0/Q8_0's (Quant.Interleaved.cs). Within the rows of
// whole 16-row groups, sub-group s = rows 8s..8s+7 and block b = values 32b..32b+31 (nb = cols / 32 blocks a row)
// hold the eight rows' 64-byte runs side by side:
//   row r, value c at half ((s·nb + b)·8 + r % 8)·32 + c % 32
// Decode streams a sub-group as one run and loads each chunk of x once for its eight rows: one row at a time, a row
// of 8,960 values has a 35 KB side copy of x that no longer fits L1 beside the weight stream and is re-read from L2
// for every row, at half the speed. The GEMM's panel packing reads 512 contiguous bytes per block of eight rows
// instead of 64 from each of eight rows. Rows past the last whole 16-row group stay plain after the groups; cols
// must be a multiple of 32, and no value inf/NaN (checked while interleaving: the kernels here read the bits as finite
// values, without DotF16Split's running max). Each row is summed as DotF16Split sums it, in its order: the layout
// changes no bit.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    const int F16SubRows = 8, F16Run = 32;

    /// <summary>Where value c of row r sits in an interleaved F16 [rows, cols] matrix, in halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long F16InterleavedAt(int rows, int cols, int r, int c) => r >= rows / InterleaveRows * InterleaveRows
        ? (long)r * cols + c
        : (((long)(r / F16SubRows) * (cols / F16Run) + c / F16Run) * F16SubRows + r % F16SubRows) * F16Run + c % F16Run;

    /// <summary>False (dst untouched) when cols is not a multiple of 32 or a value is inf/NaN: the kernels over this
    /// layout read the bits as finite values (such a matrix stays plain, where rows holding inf/NaN widen exactly).</summary>
    static unsafe bool TryInterleaveF16(ReadOnlySpan<byte> src, int rows, int cols, Span<byte> dst)
    {
        if (src.Length != 2L * rows * cols || dst.Length != src.Length) throw new ArgumentException($"F16 [{rows}, {cols}] takes {2L * rows * cols} bytes; got {src.Length} → {dst.Length}");
        if (cols % F16Run != 0) return false;
        fixed (byte* ps = src, pd = dst)
        {
            ushort* s = (ushort*)ps, d = (ushort*)pd;
            var exp = Vector256.Create((ushort)0x7C00);
            for (long i = 0; i < (long)rows * cols; i += 16)   // rows · cols is a multiple of 32
                if (Vector256.EqualsAny(Vector256.Load(s + i) & exp, exp)) return false;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c += F16Run)
                    Buffer.MemoryCopy(s + (long)r * cols + c, d + F16InterleavedAt(rows, cols, r, c), 2 * F16Run, 2 * F16Run);
        }
        return true;
    }

    static unsafe void DeinterleaveRowF16(ReadOnlySpan<byte> w, int rows, int cols, int r, Span<byte> row)
    {
        fixed (byte* pw = w, pr = row)
            for (int c = 0; c < cols; c += F16Run)
                Buffer.MemoryCopy((ushort*)pw + F16InterleavedAt(rows, cols, r, c), (ushort*)pr + c, 2 * F16Run, 2 * F16Run);
    }

    /// <summary>y = x·Wᵀ for an interleaved F16 W: decode by sub-groups over the split copy of x, prefill through the GEMM.</summary>
    static unsafe void MatMulF16Interleaved(ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int n, Span<float> y,
        WorkerPool? pool, KernelPath path)
    {
        if (path < KernelPath.V256) { MatMulInterleavedRef(GgmlType.F16, w, rows, cols, x, n, y, path); return; }
        if (n > 1) { Gemm.Run(x, w, Gemm.BType.F16x8, y, n, rows, cols, pool, accumulate: false, path); return; }
        byte[] scratch = Scratch(4 * cols + 64);
        fixed (byte* pw = w, ps0 = scratch)
        fixed (float* px = x, py = y)
        {
            float* side = (float*)(((nint)ps0 + 63) & ~(nint)63);
            PrepareF16Split(px, cols, side, path);
            int subs = rows / InterleaveRows * InterleaveRows / F16SubRows;
            var job = new F16InterleavedJob { W = pw, Side = side, X = px, Y = py, Rows = rows, Cols = cols, Subs = subs, Path = path };
            int tasks = subs + rows % InterleaveRows;
            if (pool == null || pool.Threads == 1 || (long)rows * cols < 65536) job.Run(0, tasks);
            else pool.For(tasks, ref job, minChunk: Math.Max(1, 2048 / Math.Max(1, cols / F16Run)));
        }
    }

    // Task t < Subs: sub-group t (rows 8t..8t+7); after them, one plain tail row each.
    unsafe struct F16InterleavedJob : IParallelJob
    {
        public byte* W;
        public float* Side, X, Y;
        public int Rows, Cols, Subs;
        public KernelPath Path;

        public readonly void Run(int start, int end)
        {
            int nb = Cols / F16Run;
            long subBytes = 2L * F16SubRows * Cols;
            for (int t = start; t < end; t++)
            {
                if (t >= Subs)
                {
                    int r = Subs * F16SubRows + (t - Subs);
                    Y[r] = DotF16Split(W + 2L * r * Cols, Side, X, Cols, Path);
                    continue;
                }
                byte* g = W + t * subBytes;
                float* y = Y + t * F16SubRows;
                if (Path == KernelPath.V512) F16x8V512(g, nb, Side, y);
                else { F16x4V256(g, nb, Side, y); F16x4V256(g + 4 * 2 * F16Run, nb, Side, y + 4); }
            }
        }
    }

    /// <summary>Eight finite f16 (widened bits) → f32, exactly: the bits moved into f32 position read as w·2^-112
    /// (normals and subnormals alike), times 2^112. Five operations where the general widening takes ten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> FiniteH2F(Vector256<uint> h) =>
        (((h.AsInt32() << 16) >> 3) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle() * Vector256.Create(Pow2_112).AsSingle();

    /// <summary>One 64-byte run (32 values of one row) into that row's even and odd accumulators, as DotF16Split.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void F16Run512(byte* p, Vector512<float> xe, Vector512<float> xo, Vector512<int> keep, ref Vector512<float> a, ref Vector512<float> b)
    {
        var v = Vector512.Load((int*)p);
        a = Vector512.FusedMultiplyAdd((((v << 16) >> 3) & keep).AsSingle(), xe, a);
        b = Vector512.FusedMultiplyAdd(((v >> 3) & keep).AsSingle(), xo, b);
    }

    /// <summary>The eight rows of sub-group g into y[0..8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void F16x8V512(byte* g, int nb, float* side, float* y)
    {
        var keep = Vector512.Create(unchecked((int)0x8FFFE000));
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        Vector512<float> a4 = default, b4 = default, a5 = default, b5 = default, a6 = default, b6 = default, a7 = default, b7 = default;
        for (int blk = 0; blk < nb; blk++, g += F16SubRows * 2 * F16Run, side += F16Run)
        {
            var xe = Vector512.Load(side); var xo = Vector512.Load(side + 16);
            F16Run512(g, xe, xo, keep, ref a0, ref b0);
            F16Run512(g + 64, xe, xo, keep, ref a1, ref b1);
            F16Run512(g + 128, xe, xo, keep, ref a2, ref b2);
            F16Run512(g + 192, xe, xo, keep, ref a3, ref b3);
            F16Run512(g + 256, xe, xo, keep, ref a4, ref b4);
            F16Run512(g + 320, xe, xo, keep, ref a5, ref b5);
            F16Run512(g + 384, xe, xo, keep, ref a6, ref b6);
            F16Run512(g + 448, xe, xo, keep, ref a7, ref b7);
        }
        // + 0f: DotF16Split adds its (here empty) tail's 0, which turns a −0 sum into +0
        y[0] = Vector512.Sum(a0 + b0) * Two56 + 0f; y[1] = Vector512.Sum(a1 + b1) * Two56 + 0f;
        y[2] = Vector512.Sum(a2 + b2) * Two56 + 0f; y[3] = Vector512.Sum(a3 + b3) * Two56 + 0f;
        y[4] = Vector512.Sum(a4 + b4) * Two56 + 0f; y[5] = Vector512.Sum(a5 + b5) * Two56 + 0f;
        y[6] = Vector512.Sum(a6 + b6) * Two56 + 0f; y[7] = Vector512.Sum(a7 + b7) * Two56 + 0f;
    }

    /// <summary>One 64-byte run as two 16-value chunks of the V256 split copy (x chunks e0, o0, e1, o1), in DotF16Split's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void F16Run256(byte* p, Vector256<float> e0, Vector256<float> o0, Vector256<float> e1, Vector256<float> o1,
        Vector256<int> keep, ref Vector256<float> a, ref Vector256<float> b)
    {
        var v = Vector256.Load((int*)p); var u = Vector256.Load((int*)(p + 32));
        a = Vector256.FusedMultiplyAdd((((v << 16) >> 3) & keep).AsSingle(), e0, a);
        b = Vector256.FusedMultiplyAdd(((v >> 3) & keep).AsSingle(), o0, b);
        a = Vector256.FusedMultiplyAdd((((u << 16) >> 3) & keep).AsSingle(), e1, a);
        b = Vector256.FusedMultiplyAdd(((u >> 3) & keep).AsSingle(), o1, b);
    }

    /// <summary>Four rows of a sub-group (g at the first one's run) into y[0..4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void F16x4V256(byte* g, int nb, float* side, float* y)
    {
        var keep = Vector256.Create(unchecked((int)0x8FFFE000));
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        for (int blk = 0; blk < nb; blk++, g += F16SubRows * 2 * F16Run, side += F16Run)
        {
            var e0 = Vector256.Load(side); var o0 = Vector256.Load(side + 8);
            var e1 = Vector256.Load(side + 16); var o1 = Vector256.Load(side + 24);
            F16Run256(g, e0, o0, e1, o1, keep, ref a0, ref b0);
            F16Run256(g + 64, e0, o0, e1, o1, keep, ref a1, ref b1);
            F16Run256(g + 128, e0, o0, e1, o1, keep, ref a2, ref b2);
            F16Run256(g + 192, e0, o0, e1, o1, keep, ref a3, ref b3);
        }
        y[0] = Vector256.Sum(a0 + b0) * Two56 + 0f; y[1] = Vector256.Sum(a1 + b1) * Two56 + 0f;
        y[2] = Vector256.Sum(a2 + b2) * Two56 + 0f; y[3] = Vector256.Sum(a3 + b3) * Two56 + 0f;
    }
}
