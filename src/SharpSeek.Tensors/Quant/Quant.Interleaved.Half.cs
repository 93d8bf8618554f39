// F16 and BF16 rows in k-major panels of 32, a load-time layout like Q4_0/Q8_0's (Quant.Interleaved.cs). Panel P
// (rows 32P..32P+31; the rows % 32 after the whole panels stay plain) holds, for each value c in turn, the 32 rows'
// values side by side:
//   row 32P + j, value c at element P·32·cols + 32c + slot(j),  slot(j) = 2j for j < 16, 2(j − 16) + 1 for j ≥ 16
// so the 32-bit word w of a 64-byte run holds rows w (low half) and w + 16 (high half), and the even and odd halves
// of a run are rows 0..15 and 16..31 in order. A panel is one stream: decode multiplies each run by one broadcast x
// value into 32 row sums (no reduction across lanes, and x is read once per 32 rows, so rows of 8,960 values do not
// spill their f32 copy of x from L1 for every row, as one row at a time does); the GEMM packs its B panels with a
// sequential widening copy instead of 8 × 8 transposes of eight row streams. Runs are read in place (IHalfBits):
// BF16 by a shift or a mask, F16 by DotF16Split's shift-and-mask (w·2^-112, against x·2^56 with the sums ×2^56),
// which takes finite values only — an F16 matrix holding inf/NaN is not interleaved. Rows sum in another order
// than one row at a time does (each row's terms in order of c, split over two accumulators).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    const int HalfPanel = 32;

    /// <summary>Where value c of row r sits in an interleaved F16/BF16 [rows, cols] matrix, in elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long HalfInterleavedAt(int rows, int cols, int r, int c) => r >= (rows & ~(HalfPanel - 1))   // r, c, rows, cols ≥ 0
        ? (long)r * cols + c
        : ((long)(r >> 5) * cols + c) * HalfPanel + HalfSlot(r & (HalfPanel - 1));

    static int HalfSlot(int j) => j < 16 ? 2 * j : 2 * j - 31;

    /// <summary>Rows held in whole panels (the rest plain after them).</summary>
    internal static int HalfPanelRows(int rows) => rows & ~(HalfPanel - 1);

    /// <summary>False (dst untouched) when an F16 value is inf/NaN (the kernels over this layout read F16 bits as finite
    /// values; such a matrix stays plain, where rows holding inf/NaN widen exactly).</summary>
    static unsafe bool TryInterleaveHalf(GgmlType t, ReadOnlySpan<byte> src, int rows, int cols, Span<byte> dst)
    {
        if (src.Length != 2L * rows * cols || dst.Length != src.Length) throw new ArgumentException($"{t} [{rows}, {cols}] takes {2L * rows * cols} bytes; got {src.Length} → {dst.Length}");
        fixed (byte* ps = src, pd = dst)
        {
            ushort* s = (ushort*)ps, d = (ushort*)pd;
            long n = (long)rows * cols, i = 0;
            if (t == GgmlType.F16)
            {
                var exp = Vector256.Create((ushort)0x7C00);
                for (; i + 16 <= n; i += 16)
                    if (Vector256.EqualsAny(Vector256.Load(s + i) & exp, exp)) return false;
                for (; i < n; i++)
                    if ((s[i] & 0x7C00) == 0x7C00) return false;
            }
            int whole = HalfPanelRows(rows);
            Buffer.MemoryCopy(s + (long)whole * cols, d + (long)whole * cols, 2L * (rows - whole) * cols, 2L * (rows - whole) * cols);   // the plain tail
            const int Chunk = 64;   // values per pass: 32 rows × 64 values in, 64 runs out, both in L1
            for (int p = 0; p < whole; p += HalfPanel)
                for (int c0 = 0; c0 < cols; c0 += Chunk)
                {
                    int cn = Math.Min(Chunk, cols - c0);
                    ushort* to = d + ((long)p * cols + (long)c0 * HalfPanel);
                    for (int j = 0; j < HalfPanel; j++)
                    {
                        ushort* from = s + (long)(p + j) * cols + c0;
                        int slot = HalfSlot(j);
                        for (int c = 0; c < cn; c++) to[c * HalfPanel + slot] = from[c];
                    }
                }
        }
        return true;
    }

    static unsafe void DeinterleaveRowHalf(ReadOnlySpan<byte> w, int rows, int cols, int r, Span<byte> row)
    {
        fixed (byte* pw = w, pr = row)
        {
            ushort* s = (ushort*)pw, d = (ushort*)pr;
            if (r >= HalfPanelRows(rows)) { Buffer.MemoryCopy(s + (long)r * cols, d, 2L * cols, 2L * cols); return; }
            ushort* at = s + HalfInterleavedAt(rows, cols, r, 0);
            for (int c = 0; c < cols; c++) d[c] = at[(long)c * HalfPanel];
        }
    }

    /// <summary>y = x·Wᵀ for an interleaved F16/BF16 W: decode panel by panel against x (×2^56 for F16), prefill through the GEMM.</summary>
    static unsafe void MatMulHalfInterleaved(GgmlType t, ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int n, Span<float> y,
        WorkerPool? pool, KernelPath path)
    {
        if (path < KernelPath.V256) { MatMulInterleavedRef(t, w, rows, cols, x, n, y, path); return; }
        if (n > 1) { Gemm.Run(x, w, t == GgmlType.F16 ? Gemm.BType.F16p : Gemm.BType.Bf16p, y, n, rows, cols, pool, accumulate: false, path); return; }
        byte[] scratch = Scratch(4 * cols + 64);
        fixed (byte* pw = w, ps0 = scratch)
        fixed (float* px = x, py = y)
        {
            float* xs = px;
            if (t == GgmlType.F16)
            {
                xs = (float*)(((nint)ps0 + 63) & ~(nint)63);
                System.Numerics.Tensors.TensorPrimitives.Multiply(x, Two56, new Span<float>(xs, cols));
            }
            int panels = rows / HalfPanel, tasks = panels + rows % HalfPanel;
            var job = new HalfInterleavedJob { W = pw, Xs = xs, X = px, Y = py, Rows = rows, Cols = cols, Panels = panels, Type = t, Path = path };
            if (pool == null || pool.Threads == 1 || (long)rows * cols < 65536) job.Run(0, tasks);
            else pool.For(tasks, ref job, minChunk: Math.Max(1, 65536 / (HalfPanel * cols)));
        }
    }

    // Task t < Panels: panel t (rows 32t..32t+31); after them, one plain tail row each.
    unsafe struct HalfInterleavedJob : IParallelJob
    {
        public byte* W;
        public float* Xs, X, Y;
        public int Rows, Cols, Panels;
        public GgmlType Type;
        public KernelPath Path;

        public readonly void Run(int start, int end)
        {
            if (Type == GgmlType.F16) Run<F16Bits>(start, end);
            else Run<Bf16Bits>(start, end);
        }

        readonly void Run<TB>(int start, int end) where TB : struct, IHalfBits
        {
            long panelBytes = 2L * HalfPanel * Cols;
            for (int t = start; t < end; t++)
            {
                if (t >= Panels)
                {
                    int r = Panels * HalfPanel + (t - Panels);
                    Y[r] = DotKernel(Type, W + 2L * r * Cols, (byte*)X, Cols, Path);
                    continue;
                }
                int* g = (int*)(W + t * panelBytes);
                if (Path == KernelPath.V512) Panel32V512<TB>(g, Cols, Xs, Y + t * HalfPanel);
                else Panel32V256<TB>(g, Cols, Xs, Y + t * HalfPanel);
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

    /// <summary>The 32 rows of a panel (g: its cols runs of 16 words) against xs (x × TB.Scale⁻¹) into y[0..32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Panel32V512<TB>(int* g, int cols, float* xs, float* y) where TB : struct, IHalfBits
    {
        Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
        int c = 0;
        for (; c + 2 <= cols; c += 2, g += 32)
        {
            var v = Vector512.Load(g); var u = Vector512.Load(g + 16);
            var x0 = Vector512.Create(xs[c]); var x1 = Vector512.Create(xs[c + 1]);
            a0 = Vector512.FusedMultiplyAdd(TB.Even(v), x0, a0); a1 = Vector512.FusedMultiplyAdd(TB.Odd(v), x0, a1);
            b0 = Vector512.FusedMultiplyAdd(TB.Even(u), x1, b0); b1 = Vector512.FusedMultiplyAdd(TB.Odd(u), x1, b1);
        }
        if (c < cols)
        {
            var v = Vector512.Load(g); var x0 = Vector512.Create(xs[c]);
            a0 = Vector512.FusedMultiplyAdd(TB.Even(v), x0, a0); a1 = Vector512.FusedMultiplyAdd(TB.Odd(v), x0, a1);
        }
        var s = Vector512.Create(TB.Scale);
        ((a0 + b0) * s).Store(y);
        ((a1 + b1) * s).Store(y + 16);
    }

    /// <summary>As Panel32V512 with Vector256: a run's words 0..7 are rows 0..7 and 16..23, words 8..15 rows 8..15 and 24..31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Panel32V256<TB>(int* g, int cols, float* xs, float* y) where TB : struct, IHalfBits
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        int c = 0;
        for (; c + 2 <= cols; c += 2, g += 32)
        {
            var v = Vector256.Load(g); var v8 = Vector256.Load(g + 8); var u = Vector256.Load(g + 16); var u8 = Vector256.Load(g + 24);
            var x0 = Vector256.Create(xs[c]); var x1 = Vector256.Create(xs[c + 1]);
            a0 = Vector256.FusedMultiplyAdd(TB.Even(v), x0, a0); a1 = Vector256.FusedMultiplyAdd(TB.Even(v8), x0, a1);
            a2 = Vector256.FusedMultiplyAdd(TB.Odd(v), x0, a2); a3 = Vector256.FusedMultiplyAdd(TB.Odd(v8), x0, a3);
            b0 = Vector256.FusedMultiplyAdd(TB.Even(u), x1, b0); b1 = Vector256.FusedMultiplyAdd(TB.Even(u8), x1, b1);
            b2 = Vector256.FusedMultiplyAdd(TB.Odd(u), x1, b2); b3 = Vector256.FusedMultiplyAdd(TB.Odd(u8), x1, b3);
        }
        if (c < cols)
        {
            var v = Vector256.Load(g); var v8 = Vector256.Load(g + 8); var x0 = Vector256.Create(xs[c]);
            a0 = Vector256.FusedMultiplyAdd(TB.Even(v), x0, a0); a1 = Vector256.FusedMultiplyAdd(TB.Even(v8), x0, a1);
            a2 = Vector256.FusedMultiplyAdd(TB.Odd(v), x0, a2); a3 = Vector256.FusedMultiplyAdd(TB.Odd(v8), x0, a3);
        }
        var s = Vector256.Create(TB.Scale);
        ((a0 + b0) * s).Store(y); ((a1 + b1) * s).Store(y + 8);
        ((a2 + b2) * s).Store(y + 16); ((a3 + b3) * s).Store(y + 24);
    }

    /// <summary>One 64-byte run of a panel (depth c, rows 0..31 in slot order) → f32 rows 0..15 at dst, 16..31 at dst + 16, exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void WidenRun512(int* run, bool f16, float* dst)
    {
        var v = Vector512.Load(run);
        if (f16)
        {
            var up = Vector512.Create(Pow2_112).AsSingle();
            (F16Bits.Even(v) * up).Store(dst); (F16Bits.Odd(v) * up).Store(dst + 16);
        }
        else { Bf16Bits.Even(v).Store(dst); Bf16Bits.Odd(v).Store(dst + 16); }
    }

    /// <summary>Rows 16h..16h+15 of a run (h = 0 or 1) → f32 at dst[0..16), exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void WidenHalfRun256(int* run, int h, bool f16, float* dst)
    {
        var v = Vector256.Load(run); var v8 = Vector256.Load(run + 8);
        Vector256<float> lo, hi;
        if (f16)
        {
            var up = Vector256.Create(Pow2_112).AsSingle();
            (lo, hi) = h == 0 ? (F16Bits.Even(v), F16Bits.Even(v8)) : (F16Bits.Odd(v), F16Bits.Odd(v8));
            lo *= up; hi *= up;
        }
        else (lo, hi) = h == 0 ? (Bf16Bits.Even(v), Bf16Bits.Even(v8)) : (Bf16Bits.Odd(v), Bf16Bits.Odd(v8));
        lo.Store(dst); hi.Store(dst + 8);
    }
}
