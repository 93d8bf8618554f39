// F16 and BF16 rows interleaved by eights, a load-time layout like Q4_0/Q8_0's (Quant.Interleaved.cs). Within the
// rows of whole 16-row groups, sub-group s = rows 8s..8s+7 and block b = values 32b..32b+31 (nb = cols / 32 blocks a
// row) hold the eight rows' 64-byte runs side by side:
//   row r, value c at element ((s·nb + b)·8 + r % 8)·32 + c % 32
// Decode streams a sub-group as one run and loads each chunk of x once for its eight rows: one row at a time, a row
// of 8,960 values has a 35 KB f32 copy of x that no longer fits L1 beside the weight stream and is re-read from L2
// for every row, at half the speed. The GEMM's panel packing reads 512 contiguous bytes per block of eight rows
// instead of 64 from each of eight rows. Rows past the last whole 16-row group stay plain after the groups; cols
// must be a multiple of 32. Short rows (x in L1 either way) are interleaved too: in the model, decode measured faster
// with every projection interleaved than with the long rows alone (Qwen F16 tg64 t1, five alternations: 7.18 against
// 6.73 tok/s), though the kernel bench alone shows no gain for them. Decode reads each 32-bit word's two values in place against x split into even and odd
// halves (PrepareSplit): BF16 by a shift or a mask, F16 by DotF16Split's shift-and-mask (w·2^-112 against x·2^56,
// the sum ×2^56), which takes finite values only — an F16 matrix holding inf/NaN is not interleaved. F16 rows sum
// as DotF16Split sums them, in its order: the layout changes no bit; BF16 rows sum in another order than DotBf16.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    const int HalfSubRows = 8, HalfRun = 32;

    /// <summary>Where value c of row r sits in an interleaved F16/BF16 [rows, cols] matrix, in elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long HalfInterleavedAt(int rows, int cols, int r, int c) => r >= (rows & ~(InterleaveRows - 1))   // r, c, rows, cols ≥ 0
        ? (long)r * cols + c
        : ((((long)(r >> 3) * (cols >> 5) + (c >> 5)) << 3) + (r & 7)) * HalfRun + (c & (HalfRun - 1));

    /// <summary>False (dst untouched) when cols is not a multiple of 32, or an F16 value is inf/NaN (the kernels over
    /// this layout read F16 bits as finite values; such a matrix stays plain, where rows holding inf/NaN widen exactly).</summary>
    static unsafe bool TryInterleaveHalf(GgmlType t, ReadOnlySpan<byte> src, int rows, int cols, Span<byte> dst)
    {
        if (src.Length != 2L * rows * cols || dst.Length != src.Length) throw new ArgumentException($"{t} [{rows}, {cols}] takes {2L * rows * cols} bytes; got {src.Length} → {dst.Length}");
        if (cols % HalfRun != 0) return false;
        fixed (byte* ps = src, pd = dst)
        {
            ushort* s = (ushort*)ps, d = (ushort*)pd;
            var exp = Vector256.Create((ushort)0x7C00);
            if (t == GgmlType.F16)
                for (long i = 0; i < (long)rows * cols; i += 16)   // rows · cols is a multiple of 32
                    if (Vector256.EqualsAny(Vector256.Load(s + i) & exp, exp)) return false;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c += HalfRun)
                    Buffer.MemoryCopy(s + (long)r * cols + c, d + HalfInterleavedAt(rows, cols, r, c), 2 * HalfRun, 2 * HalfRun);
        }
        return true;
    }

    static unsafe void DeinterleaveRowHalf(ReadOnlySpan<byte> w, int rows, int cols, int r, Span<byte> row)
    {
        fixed (byte* pw = w, pr = row)
            for (int c = 0; c < cols; c += HalfRun)
                Buffer.MemoryCopy((ushort*)pw + HalfInterleavedAt(rows, cols, r, c), (ushort*)pr + c, 2 * HalfRun, 2 * HalfRun);
    }

    /// <summary>y = x·Wᵀ for an interleaved F16/BF16 W: decode by sub-groups over the split copy of x, prefill through the GEMM.</summary>
    static unsafe void MatMulHalfInterleaved(GgmlType t, ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int n, Span<float> y,
        WorkerPool? pool, KernelPath path)
    {
        if (path < KernelPath.V256) { MatMulInterleavedRef(t, w, rows, cols, x, n, y, path); return; }
        if (n > 1) { Gemm.Run(x, w, t == GgmlType.F16 ? Gemm.BType.F16x8 : Gemm.BType.Bf16x8, y, n, rows, cols, pool, accumulate: false, path); return; }
        byte[] scratch = Scratch(4 * cols + 64);
        fixed (byte* pw = w, ps0 = scratch)
        fixed (float* px = x, py = y)
        {
            float* side = (float*)(((nint)ps0 + 63) & ~(nint)63);
            PrepareSplit(px, cols, side, path, t == GgmlType.F16 ? Two56 : 1f);
            int subs = rows / InterleaveRows * InterleaveRows / HalfSubRows, tasks = subs + rows % InterleaveRows;
            var job = new HalfInterleavedJob { W = pw, Side = side, X = px, Y = py, Rows = rows, Cols = cols, Subs = subs, Type = t, Path = path };
            if (pool == null || pool.Threads == 1 || (long)rows * cols < 65536) job.Run(0, tasks);
            else pool.For(tasks, ref job, minChunk: Math.Max(1, 2048 / Math.Max(1, cols / HalfRun)));
        }
    }

    // Task t < Subs: sub-group t (rows 8t..8t+7); after them, one plain tail row each.
    unsafe struct HalfInterleavedJob : IParallelJob
    {
        public byte* W;
        public float* Side, X, Y;
        public int Rows, Cols, Subs;
        public GgmlType Type;
        public KernelPath Path;

        public readonly void Run(int start, int end)
        {
            if (Type == GgmlType.F16) Run<F16Bits>(start, end);
            else Run<Bf16Bits>(start, end);
        }

        readonly void Run<TB>(int start, int end) where TB : struct, IHalfBits
        {
            int nb = Cols / HalfRun;
            long subBytes = 2L * HalfSubRows * Cols;
            for (int t = start; t < end; t++)
            {
                if (t >= Subs)
                {
                    int r = Subs * HalfSubRows + (t - Subs);
                    byte* row = W + 2L * r * Cols;
                    Y[r] = Type == GgmlType.F16 ? DotF16Split(row, Side, X, Cols, Path) : DotKernel(Type, row, (byte*)X, Cols, Path);
                    continue;
                }
                byte* g = W + t * subBytes;
                float* y = Y + t * HalfSubRows;
                if (Path == KernelPath.V512) Half8V512<TB>(g, nb, Side, y);
                else { Half4V256<TB>(g, nb, Side, y); Half4V256<TB>(g + 4 * 2 * HalfRun, nb, Side, y + 4); }
            }
        }
    }

    /// <summary>A 16-bit float type read in place: each 32-bit word's even (low) and odd (high) value as f32 × Scale⁻¹.</summary>
    interface IHalfBits
    {
        static abstract Vector512<float> Even(Vector512<int> v);
        static abstract Vector512<float> Odd(Vector512<int> v);
        static abstract Vector256<float> Even(Vector256<int> v);
        static abstract Vector256<float> Odd(Vector256<int> v);
        /// <summary>What the sum is multiplied by (the side copy of x carries the same factor).</summary>
        static abstract float Scale { get; }
    }

    /// <summary>Finite f16: the bits moved into f32 position read as w·2^-112 (normals and subnormals alike).</summary>
    struct F16Bits : IHalfBits
    {
        public static Vector512<float> Even(Vector512<int> v) => (((v << 16) >> 3) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();
        public static Vector512<float> Odd(Vector512<int> v) => ((v >> 3) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();
        public static Vector256<float> Even(Vector256<int> v) => (((v << 16) >> 3) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle();
        public static Vector256<float> Odd(Vector256<int> v) => ((v >> 3) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle();
        public static float Scale => Two56;
    }

    /// <summary>bf16: the upper half of an f32, exactly.</summary>
    struct Bf16Bits : IHalfBits
    {
        public static Vector512<float> Even(Vector512<int> v) => (v << 16).AsSingle();
        public static Vector512<float> Odd(Vector512<int> v) => (v & Vector512.Create(unchecked((int)0xFFFF0000))).AsSingle();
        public static Vector256<float> Even(Vector256<int> v) => (v << 16).AsSingle();
        public static Vector256<float> Odd(Vector256<int> v) => (v & Vector256.Create(unchecked((int)0xFFFF0000))).AsSingle();
        public static float Scale => 1f;
    }

    /// <summary>Eight finite f16 (widened bits) → f32, exactly: F16Bits' w·2^-112 times 2^112. Five operations where
    /// the general widening (H2F) takes ten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> FiniteH2F(Vector256<uint> h) =>
        (((h.AsInt32() << 16) >> 3) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle() * Vector256.Create(Pow2_112).AsSingle();

    /// <summary>One 64-byte run (32 values of one row) into that row's even and odd accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Run512<TB>(byte* p, Vector512<float> xe, Vector512<float> xo, ref Vector512<float> a, ref Vector512<float> b)
        where TB : struct, IHalfBits
    {
        var v = Vector512.Load((int*)p);
        a = Vector512.FusedMultiplyAdd(TB.Even(v), xe, a);
        b = Vector512.FusedMultiplyAdd(TB.Odd(v), xo, b);
    }

    /// <summary>The eight rows of sub-group g into y[0..8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Half8V512<TB>(byte* g, int nb, float* side, float* y) where TB : struct, IHalfBits
    {
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        Vector512<float> a4 = default, b4 = default, a5 = default, b5 = default, a6 = default, b6 = default, a7 = default, b7 = default;
        for (int blk = 0; blk < nb; blk++, g += HalfSubRows * 2 * HalfRun, side += HalfRun)
        {
            var xe = Vector512.Load(side); var xo = Vector512.Load(side + 16);
            Run512<TB>(g, xe, xo, ref a0, ref b0);
            Run512<TB>(g + 64, xe, xo, ref a1, ref b1);
            Run512<TB>(g + 128, xe, xo, ref a2, ref b2);
            Run512<TB>(g + 192, xe, xo, ref a3, ref b3);
            Run512<TB>(g + 256, xe, xo, ref a4, ref b4);
            Run512<TB>(g + 320, xe, xo, ref a5, ref b5);
            Run512<TB>(g + 384, xe, xo, ref a6, ref b6);
            Run512<TB>(g + 448, xe, xo, ref a7, ref b7);
        }
        // + 0f: DotF16Split adds its (here empty) tail's 0, which turns a −0 sum into +0
        float s = TB.Scale;
        y[0] = Vector512.Sum(a0 + b0) * s + 0f; y[1] = Vector512.Sum(a1 + b1) * s + 0f;
        y[2] = Vector512.Sum(a2 + b2) * s + 0f; y[3] = Vector512.Sum(a3 + b3) * s + 0f;
        y[4] = Vector512.Sum(a4 + b4) * s + 0f; y[5] = Vector512.Sum(a5 + b5) * s + 0f;
        y[6] = Vector512.Sum(a6 + b6) * s + 0f; y[7] = Vector512.Sum(a7 + b7) * s + 0f;
    }

    /// <summary>One 64-byte run as two 16-value chunks of the V256 split copy (x chunks e0, o0, e1, o1), in DotF16Split's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Run256<TB>(byte* p, Vector256<float> e0, Vector256<float> o0, Vector256<float> e1, Vector256<float> o1,
        ref Vector256<float> a, ref Vector256<float> b) where TB : struct, IHalfBits
    {
        var v = Vector256.Load((int*)p); var u = Vector256.Load((int*)(p + 32));
        a = Vector256.FusedMultiplyAdd(TB.Even(v), e0, a);
        b = Vector256.FusedMultiplyAdd(TB.Odd(v), o0, b);
        a = Vector256.FusedMultiplyAdd(TB.Even(u), e1, a);
        b = Vector256.FusedMultiplyAdd(TB.Odd(u), o1, b);
    }

    /// <summary>Four rows of a sub-group (g at the first one's run) into y[0..4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Half4V256<TB>(byte* g, int nb, float* side, float* y) where TB : struct, IHalfBits
    {
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        for (int blk = 0; blk < nb; blk++, g += HalfSubRows * 2 * HalfRun, side += HalfRun)
        {
            var e0 = Vector256.Load(side); var o0 = Vector256.Load(side + 8);
            var e1 = Vector256.Load(side + 16); var o1 = Vector256.Load(side + 24);
            Run256<TB>(g, e0, o0, e1, o1, ref a0, ref b0);
            Run256<TB>(g + 64, e0, o0, e1, o1, ref a1, ref b1);
            Run256<TB>(g + 128, e0, o0, e1, o1, ref a2, ref b2);
            Run256<TB>(g + 192, e0, o0, e1, o1, ref a3, ref b3);
        }
        float s = TB.Scale;
        y[0] = Vector256.Sum(a0 + b0) * s + 0f; y[1] = Vector256.Sum(a1 + b1) * s + 0f;
        y[2] = Vector256.Sum(a2 + b2) * s + 0f; y[3] = Vector256.Sum(a3 + b3) * s + 0f;
    }
}
