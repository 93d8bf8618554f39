// y = W·x over rows of any supported ggml type (W row-major [rows, cols], one ggml row per output), with x
// quantized once per call to the weights' activation type; rows split across a WorkerPool. MatMul does the
// same for a batch of n activation rows, reading each weight row once per call for all n of them.
using System.Runtime.CompilerServices;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    [ThreadStatic] static byte[]? t_scratch;

    static byte[] Scratch(int bytes)
    {
        var s = t_scratch;
        if (s == null || s.Length < bytes) t_scratch = s = GC.AllocateUninitializedArray<byte>(Math.Max(bytes, 4096), pinned: true);
        return s;
    }

    /// <summary>y[r] = Σ_c W[r, c]·x[c]. w: rows × RowBytes(type, cols) bytes; x: [cols]; y: [rows].</summary>
    public static void MatVec(GgmlType type, ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, Span<float> y,
        WorkerPool? pool = null) => MatMul(type, w, rows, cols, x, 1, y, pool, Path);

    /// <summary>y[i, r] = Σ_c W[r, c]·x[i, c] for i &lt; n. x: [n, cols]; y: [n, rows].</summary>
    public static void MatMul(GgmlType type, ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int n, Span<float> y,
        WorkerPool? pool = null) => MatMul(type, w, rows, cols, x, n, y, pool, Path);

    internal static unsafe void MatMul(GgmlType type, ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int n,
        Span<float> y, WorkerPool? pool, KernelPath path)
    {
        long rowBytes = RowBytes(type, cols);
        if (rows < 0 || n < 0) throw new ArgumentException($"rows {rows} and n {n} must be non-negative");
        if (w.Length != rows * rowBytes)
            throw new ArgumentException($"{type} weight [{rows}, {cols}] takes {rows * rowBytes} bytes but has {w.Length}", nameof(w));
        if (x.Length != (long)n * cols) throw new ArgumentException($"x has {x.Length} elements, expected n {n} × cols {cols}", nameof(x));
        if (y.Length != (long)n * rows) throw new ArgumentException($"y has {y.Length} elements, expected n {n} × rows {rows}", nameof(y));
        if (rows == 0 || n == 0) return;

        var at = ActivationType(type);
        int xBytes = checked((int)RowBytes(at, cols));
        bool isFloat = at == GgmlType.F32;
        byte[] scratch = isFloat ? [] : Scratch(checked(xBytes * n));
        fixed (byte* pw = w)
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (byte* ps = scratch)
        {
            byte* xq = isFloat ? (byte*)px : ps;
            if (!isFloat)
                for (int i = 0; i < n; i++) QuantizeActivations(at, px + (long)i * cols, xq + (long)i * xBytes, cols);
            var job = new RowsJob
            {
                W = pw, X = xq, Y = py, RowBytes = rowBytes, XBytes = xBytes, Cols = cols, Rows = rows, N = n,
                Type = type, Path = Clamp(path),
            };
            long work = (long)rows * cols * n;
            if (pool == null || pool.Threads == 1 || work < 65536) job.Run(0, rows);
            else pool.For(rows, ref job, minChunk: Math.Max(1, 16384 / Math.Max(1, cols)));
        }
    }

    unsafe struct RowsJob : IParallelJob
    {
        public byte* W, X;
        public float* Y;
        public long RowBytes;
        public int XBytes, Cols, Rows, N;
        public GgmlType Type;
        public KernelPath Path;

        public readonly void Run(int start, int end)
        {
            if (N == 1)
            {
                for (int r = start; r < end; r++) Y[r] = DotKernel(Type, W + r * RowBytes, X, Cols, Path);
                return;
            }
            for (int r = start; r < end; r++)
            {
                byte* row = W + r * RowBytes;
                for (int i = 0; i < N; i++) Y[(long)i * Rows + r] = DotKernel(Type, row, X + (long)i * XBytes, Cols, Path);
            }
        }
    }
}
