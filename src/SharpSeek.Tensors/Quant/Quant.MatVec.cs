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
        Span<float> y, WorkerPool? pool, KernelPath path, bool interleaved = false)
    {
        long rowBytes = RowBytes(type, cols);
        if (rows < 0 || n < 0) throw new ArgumentException($"rows {rows} and n {n} must be non-negative");
        if (w.Length != rows * rowBytes)
            throw new ArgumentException($"{type} weight [{rows}, {cols}] takes {rows * rowBytes} bytes but has {w.Length}", nameof(w));
        if (x.Length != (long)n * cols) throw new ArgumentException($"x has {x.Length} elements, expected n {n} × cols {cols}", nameof(x));
        if (y.Length != (long)n * rows) throw new ArgumentException($"y has {y.Length} elements, expected n {n} × rows {rows}", nameof(y));
        if (rows == 0 || n == 0) return;

        var at = ActivationType(type);
        path = Clamp(path);
        if (interleaved && type is GgmlType.F16 or GgmlType.BF16) { MatMulHalfInterleaved(type, w, rows, cols, x, n, y, pool, path); return; }
        if (interleaved)
        {
            if (type is not (GgmlType.Q4_0 or GgmlType.Q8_0)) throw new ArgumentException($"only Q4_0/Q8_0 are interleaved, not {type} [{rows}, {cols}]");
            if (path < KernelPath.V256) { MatMulInterleavedRef(type, w, rows, cols, x, n, y); return; }
        }
        if (at == GgmlType.F32 && n > 1 && path >= KernelPath.V256)
        {
            // float weights: the tiled GEMM, x as A [n, cols] and W as B [rows, cols]
            Gemm.Run(x, w, GemmB(type), y, n, rows, cols, pool, accumulate: false, path);
            return;
        }
        bool isFloat = at == GgmlType.F32;
        if (interleaved || !isFloat && UseTiles && Tiled(type, path) && (n > 1 || MultiRowDecode))
        {
            TiledMatMul(type, cols, interleaved, x, n, pool, path, w, rows, y, default, 0, default, default, 0, default);
            return;
        }
        int xBytes = checked((int)RowBytes(at, cols));
        bool f16Split = type == GgmlType.F16 && n == 1 && UseTiles && F16SplitChunk(path) > 0;
        long sideAt = ((long)xBytes * n + 63) & ~63L;
        long scratchBytes = f16Split ? 4L * cols : isFloat ? 0 : sideAt + (n == 1 ? DecodeSideBytes(type, cols) : 0);
        byte[] scratch = scratchBytes == 0 ? [] : Scratch(checked((int)scratchBytes + 64));
        fixed (byte* pw = w)
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (byte* ps0 = scratch)
        {
            byte* ps = (byte*)(((nint)ps0 + 63) & ~(nint)63);
            byte* xq = isFloat ? (byte*)px : ps;
            long work = (long)rows * cols * n;
            bool inline = pool == null || pool.Threads == 1 || work < 65536;
            if (!isFloat && !inline && n >= 16)   // prefill: rows quantized across the pool
            {
                var pj = new PrepareJob { At = at, Type = type, X = px, Xq = xq, XBytes = xBytes, Cols = cols, N = n };
                pool!.For(n, ref pj);
            }
            else if (!isFloat)
                for (int i = 0; i < n; i++) QuantizeActivations(at, px + (long)i * cols, xq + (long)i * xBytes, cols);
            byte* side = null;
            if (f16Split)
            {
                side = ps;
                PrepareSplit(px, cols, (float*)side, path, Two56);
            }
            else if (n == 1 && UseTiles && path >= KernelPath.V256 && DecodeSideBytes(type, cols) > 0)
            {
                side = ps + sideAt;
                PrepareDecode(type, xq, cols, side);
            }
            var rj = new RowsJob
            {
                W = pw, X = xq, Side = side, Y = py, RowBytes = rowBytes, XBytes = xBytes, Cols = cols, Rows = rows, N = n,
                Type = type, Path = path,
            };
            if (inline) rj.Run(0, rows);
            else pool!.For(rows, ref rj, minChunk: Math.Max(1, 16384 / Math.Max(1, cols)));
        }
    }

    /// <summary>
    /// y_k[n, rows_k] = x[n, cols] · W_kᵀ for two or three matrices of one type and width that read the same x (QKV,
    /// SwiGLU's gate and up): x quantized once and the row groups of all of them split across the pool in one call.
    /// Each output is the one <see cref="MatMul"/> gives. Fused on the tiled kernels (Q4_0/Q8_0 interleaved, other
    /// tiled types in a batch); otherwise one MatMul per matrix.
    /// </summary>
    public static void MatMulShared(GgmlType type, int cols, bool interleaved, ReadOnlySpan<float> x, int n, WorkerPool? pool,
        ReadOnlySpan<byte> w0, int rows0, Span<float> y0, ReadOnlySpan<byte> w1, int rows1, Span<float> y1,
        ReadOnlySpan<byte> w2 = default, int rows2 = 0, Span<float> y2 = default) =>
        MatMulShared(type, cols, interleaved, x, n, pool, w0, rows0, y0, w1, rows1, y1, w2, rows2, y2, Path);

    internal static void MatMulShared(GgmlType type, int cols, bool interleaved, ReadOnlySpan<float> x, int n, WorkerPool? pool,
        ReadOnlySpan<byte> w0, int rows0, Span<float> y0, ReadOnlySpan<byte> w1, int rows1, Span<float> y1,
        ReadOnlySpan<byte> w2, int rows2, Span<float> y2, KernelPath path)
    {
        path = Clamp(path);
        bool tiled = interleaved
            ? type is GgmlType.Q4_0 or GgmlType.Q8_0 && path >= KernelPath.V256
            : ActivationType(type) != GgmlType.F32 && UseTiles && Tiled(type, path) && (n > 1 || MultiRowDecode);
        long rowBytes = RowBytes(type, cols);
        if (!tiled || n <= 0 || rows0 < 0 || rows1 < 0 || rows2 < 0 || w0.Length != rows0 * rowBytes || w1.Length != rows1 * rowBytes
            || w2.Length != rows2 * rowBytes || x.Length != (long)n * cols || y0.Length != (long)n * rows0 || y1.Length != (long)n * rows1
            || y2.Length != (long)n * rows2)
        {   // unfused (MatMul checks every size and names a wrong one)
            MatMul(type, w0, rows0, cols, x, n, y0, pool, path, interleaved);
            MatMul(type, w1, rows1, cols, x, n, y1, pool, path, interleaved);
            if (rows2 > 0 || w2.Length > 0 || y2.Length > 0) MatMul(type, w2, rows2, cols, x, n, y2, pool, path, interleaved);
            return;
        }
        TiledMatMul(type, cols, interleaved, x, n, pool, path, w0, rows0, y0, w1, rows1, y1, w2, rows2, y2);
    }

    /// <summary>
    /// The tiled kernels over one to three matrices that read the same x (sizes already checked): x quantized and its
    /// tile records made once, the row groups of all matrices in one pool call, then any plain tail rows of an
    /// interleaved matrix (rows % its group) one Dot each.
    /// </summary>
    static unsafe void TiledMatMul(GgmlType type, int cols, bool interleaved, ReadOnlySpan<float> x, int n, WorkerPool? pool, KernelPath path,
        ReadOnlySpan<byte> w0, int rows0, Span<float> y0, ReadOnlySpan<byte> w1, int rows1, Span<float> y1,
        ReadOnlySpan<byte> w2, int rows2, Span<float> y2)
    {
        var at = ActivationType(type);
        long rowBytes = RowBytes(type, cols);
        int xBytes = checked((int)RowBytes(at, cols));
        long sideAt = ((long)xBytes * n + 63) & ~63L;
        byte[] scratch = Scratch(checked((int)(sideAt + TileSideBytes(type, n, cols)) + 64));
        int gr = TileRows(type, interleaved);
        int Groups(int rows) => interleaved ? rows / gr : (rows + gr - 1) / gr;
        fixed (byte* pw0 = w0, pw1 = w1, pw2 = w2, ps0 = scratch)
        fixed (float* px = x, py0 = y0, py1 = y1, py2 = y2)
        {
            byte* xq = (byte*)(((nint)ps0 + 63) & ~(nint)63), side = xq + sideAt;
            long work = (long)(rows0 + rows1 + rows2) * cols * n;
            bool inline = pool == null || pool.Threads == 1 || work < 65536;
            if (!inline && n >= 16)   // prefill: rows quantized, and their tile records made, across the pool
            {
                var pj = new PrepareJob { At = at, Type = type, X = px, Xq = xq, Side = side, XBytes = xBytes, Cols = cols, N = n, Interleaved = interleaved };
                pool!.For(n, ref pj);
            }
            else
            {
                for (int i = 0; i < n; i++) QuantizeActivations(at, px + (long)i * cols, xq + (long)i * xBytes, cols);
                PrepareTiles(type, xq, xBytes, n, cols, side, interleaved);
            }
            var job = new TiledJob
            {
                W = pw0, W1 = pw1, W2 = pw2, X = xq, Side = side, Y = py0, Y1 = py1, Y2 = py2, RowBytes = rowBytes, XBytes = xBytes,
                Cols = cols, Rows = rows0, Rows1 = rows1, Rows2 = rows2, Groups0 = Groups(rows0), Groups1 = Groups(rows1), N = n,
                Type = type, Interleaved = interleaved, Path = path,
            };
            int groups = Groups(rows0) + Groups(rows1) + Groups(rows2);
            if (inline) job.Run(0, groups);
            else pool!.For(groups, ref job, minChunk: Math.Max(1, 16384 / gr / Math.Max(1, cols * n)));
            PlainTail(pw0, rows0, py0);
            PlainTail(pw1, rows1, py1);
            PlainTail(pw2, rows2, py2);

            void PlainTail(byte* w, int rows, float* y)
            {
                for (int r = Groups(rows) * gr; r < rows; r++)
                    for (int i = 0; i < n; i++) y[(long)i * rows + r] = DotKernel(type, w + r * rowBytes, xq + (long)i * xBytes, cols, path);
            }
        }
    }

    /// <summary>Tiled kernels for quantized MatMul (benches switch them off to compare with one Dot per pair).</summary>
    internal static bool UseTiles { get; set; } = true;

    /// <summary>Decode (n = 1) through the 4-row tiled kernels instead of one Dot per row.</summary>
    internal static bool MultiRowDecode { get; set; } = false;

    static Gemm.BType GemmB(GgmlType t) => t switch
    {
        GgmlType.F32 => Gemm.BType.F32,
        GgmlType.BF16 => Gemm.BType.Bf16,
        _ => Gemm.BType.F16,
    };

    /// <summary>
    /// Tiled MatMul over groups of <see cref="TileRows"/> weight rows; activation rows in passes of 64 (L2). Up to three
    /// matrices sharing x (MatMulShared): group indices [0, Groups0) are W's, the next Groups1 W1's, the rest W2's.
    /// </summary>
    unsafe struct TiledJob : IParallelJob
    {
        public byte* W, W1, W2, X, Side;
        public float* Y, Y1, Y2;
        public long RowBytes;
        public int XBytes, Cols, Rows, Rows1, Rows2, Groups0, Groups1, N;
        public GgmlType Type;
        public bool Interleaved;
        public KernelPath Path;

        public readonly void Run(int start, int end)
        {
            int a = Groups0, b = a + Groups1;
            if (start < a) RunOn(W, Y, Rows, start, Math.Min(end, a));
            if (end > a && start < b) RunOn(W1, Y1, Rows1, Math.Max(start, a) - a, Math.Min(end, b) - a);
            if (end > b) RunOn(W2, Y2, Rows2, Math.Max(start, b) - b, end - b);
        }

        readonly void RunOn(byte* w, float* y, int rows, int start, int end)
        {
            int gr = TileRows(Type, Interleaved);
            if (N == 1 && Interleaved && Type == GgmlType.Q4_0)   // decode: one loop over the groups, setup hoisted
            {
                DecodeQ4_0Interleaved(w, gr * RowBytes, start, end, X, Side, Cols / QK, y, Path == KernelPath.V512);
                return;
            }
            if (N == 1 && Interleaved && Type == GgmlType.Q8_0)
            {
                DecodeQ8_0Interleaved(w, gr * RowBytes, start, end, X, Side, Cols / QK, y);
                return;
            }
            const int Pass = 64;
            int tx = TileX(Type);
            if (Interleaved && Path >= KernelPath.V256)
            {
                InterleavedPasses(w, y, rows, start, end, gr, tx, Pass);
                return;
            }
            for (int xs = 0; xs < N; xs += Pass)
            {
                int xe = Math.Min(N, xs + Pass);
                for (int g = start; g < end; g++)
                {
                    int r0 = g * gr, rw = Math.Min(gr, rows - r0);
                    for (int i0 = xs; i0 < xe; i0 += tx)
                        Tile(Type, w + r0 * RowBytes, RowBytes, rw, X, XBytes, Side, N, i0, Math.Min(tx, xe - i0), Cols, y + r0, rows, Interleaved, Path);
                }
            }
        }

        /// <summary>Interleaved Q4_0/Q8_0 groups [start, end) × passes of the activation rows: each pass's tile records
        /// set up once, each tile's outputs stored straight into y (a tile of 3, 5, 6 or 7 rows, whose kernel also
        /// computes a repeated row, goes through Tile's buffer).</summary>
        readonly void InterleavedPasses(byte* w, float* y, int rows, int start, int end, int gr, int tx, int pass)
        {
            int nb = Cols / QK, tiles = (pass + tx - 1) / tx;
            byte** xr = stackalloc byte*[tiles * 8];
            byte** sr = stackalloc byte*[tiles * 24];
            for (int xs = 0; xs < N; xs += pass)
            {
                int xe = Math.Min(N, xs + pass);
                for (int k = 0, i0 = xs; i0 < xe; k++, i0 += tx)
                {
                    int m = Math.Min(tx, xe - i0);
                    for (int i = 0; i < 8; i++) xr[k * 8 + i] = X + (long)(i0 + (i < m ? i : 0)) * XBytes;
                    SideRecords(Side, N, nb, i0, m, sr + k * 24);
                }
                for (int g = start; g < end; g++)
                {
                    int r0 = g * gr;
                    byte* wg = w + r0 * RowBytes;
                    for (int k = 0, i0 = xs; i0 < xe; k++, i0 += tx)
                    {
                        int m = Math.Min(tx, xe - i0);
                        if (m is 1 or 2 or 4 or 8) TileInterleaved(Type, wg, xr + k * 8, sr + k * 24, nb, m, y + (long)i0 * rows + r0, rows, Path);
                        else Tile(Type, wg, RowBytes, gr, X, XBytes, Side, N, i0, m, Cols, y + r0, rows, Interleaved, Path);
                    }
                }
            }
        }
    }

    /// <summary>Activation rows [start, end): quantized to the weights' activation type, then (tiled) their tile records.</summary>
    unsafe struct PrepareJob : IParallelJob
    {
        public GgmlType At, Type;
        public float* X;
        public byte* Xq, Side;
        public int XBytes, Cols, N;
        public bool Interleaved;

        public readonly void Run(int start, int end)
        {
            for (int i = start; i < end; i++) QuantizeActivations(At, X + (long)i * Cols, Xq + (long)i * XBytes, Cols);
            if (Side != null) PrepareTiles(Type, Xq, XBytes, N, Cols, Side, Interleaved, start, end);
        }
    }

    unsafe struct RowsJob : IParallelJob
    {
        public byte* W, X, Side;
        public float* Y;
        public long RowBytes;
        public int XBytes, Cols, Rows, N;
        public GgmlType Type;
        public KernelPath Path;

        public readonly void Run(int start, int end)
        {
            if (Side != null && Type == GgmlType.F16)   // decode over x split into even/odd halves (F16)
            {
                int r = start;
                if (Cols > F16SplitPairCols)
                    for (; r + 2 <= end; r += 2)
                        (Y[r], Y[r + 1]) = DotF16Split2(W + r * RowBytes, W + (r + 1) * RowBytes, (float*)Side, (float*)X, Cols, Path);
                for (; r < end; r++) Y[r] = DotF16Split(W + r * RowBytes, (float*)Side, (float*)X, Cols, Path);
                return;
            }
            if (Side != null)   // decode row kernels over prepared activations (Q4_0)
            {
                for (int r = start; r < end; r++) Y[r] = DotQ4_0Pairs(W + r * RowBytes, Side, X, Cols / QK);
                return;
            }
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
