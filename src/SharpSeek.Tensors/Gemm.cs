// C (+)= A·B in f32 with any strides: the one matrix product of prefill (C = A·Bᵀ with weights [out, in]) and of
// training (forward, input grad, weight grad; attention's small products). Packed Goto/BLIS GEMM: each task (a
// range of MC-row blocks × a chunk of ≤ NC columns) packs its B chunk per KC block into NR-wide k-major panels
// (f32, or bf16/f16 widened while packing) and each A block into MR-row panels; an MR × NR register micro-kernel
// (AVX-512 8×32, AVX2 6×16, scalar 6×16) runs over them. When many row blocks read the same B (training's tall
// products) and it is not huge, B is packed once up front instead. Tasks are spread over a WorkerPool.
// Every C element is summed by one task in a fixed order (KC blocks in turn, each from zero), on every path the same
// order, so results do not depend on the thread count. Reference is the naive loop beside it (the tests' oracle).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

public static unsafe class Gemm
{
    /// <summary>Element type of B.</summary>
    internal enum BType { F32, Bf16, F16, F16p, Bf16p }   // ..p: rows in k-major panels of 32 (Quant.Interleaved.Half.cs)

    const int KC = 256;             // depth of one packed block (a B micro-panel KC × NR, 32 KB at 8×32, in L1)
    const int MC = 96;              // rows of A per block (MC × KC f32 = 96 KB, in L2); a multiple of both MRs
    const int NC = 256;             // columns of B per task chunk (KC × NC f32 = 256 KB, in L2 beside the A block)
    /// <summary>The most of B packed once up front, in floats (16 MB); tests set 0 to force per-task packing.</summary>
    internal static long PackAllCap { get; set; } = 1 << 22;

    /// <summary>C = A·Bᵀ (or C += A·Bᵀ). a: [m, k], b: [n, k], c: [m, n], all row-major f32.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        WorkerPool? pool = null, bool accumulate = false) =>
        Run(a, MemoryMarshal.AsBytes(b), BType.F32, c, m, n, k, pool, accumulate, Quant.Path);

    /// <summary>C = A·Bᵀ with bf16 B (raw bits): the weight stays bf16 in memory, widened panel by panel.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<ushort> bBf16, Span<float> c, int m, int n, int k,
        WorkerPool? pool = null, bool accumulate = false) =>
        Run(a, MemoryMarshal.AsBytes(bBf16), BType.Bf16, c, m, n, k, pool, accumulate, Quant.Path);

    /// <summary>C[m, n] (+)= A·B with A[i, p] = a[i·rsA + p·csA], B[p, j] = b[p·rsB + j·csB], C[i, j] = c[i·ldc + j]:
    /// any transposition of A and B. pool null: on the calling thread.</summary>
    public static void General(ReadOnlySpan<float> a, int rsA, int csA, ReadOnlySpan<float> b, int rsB, int csB,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate, WorkerPool? pool = null) =>
        General(a, rsA, csA, b, rsB, csB, c, ldc, m, n, k, accumulate, pool, Quant.Path);

    internal static void General(ReadOnlySpan<float> a, int rsA, int csA, ReadOnlySpan<float> b, int rsB, int csB,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate, WorkerPool? pool, KernelPath path)
    {
        CheckStrided(a.Length, m, k, rsA, csA, "A");
        CheckStrided(b.Length, k, n, rsB, csB, "B");
        if (ldc < n) throw new ArgumentException($"ldc {ldc} is less than n {n}", nameof(ldc));
        CheckStrided(c.Length, m, n, ldc, 1, "C");
        fixed (float* pa = a, pb = b, pc = c)
            Run(pa, rsA, csA, (byte*)pb, BType.F32, rsB, csB, pc, ldc, m, n, k, accumulate, pool, path);
    }

    /// <summary>C = A·Bᵀ with B of type bt ([n, k], raw bytes); the entry point of Quant.MatMul and the tests.</summary>
    internal static void Run(ReadOnlySpan<float> a, ReadOnlySpan<byte> b, BType bt, Span<float> c, int m, int n, int k,
        WorkerPool? pool, bool accumulate, KernelPath path)
    {
        Check(a.Length, b.Length / (bt == BType.F32 ? 4 : 2), c.Length, m, n, k);
        fixed (float* pa = a, pc = c)
        fixed (byte* pb = b)
            Run(pa, k, 1, pb, bt, 1, k, pc, n, m, n, k, accumulate, pool, path);
    }

    /// <summary>Naive reference: C[i, j] (+)= Σ_p A[i, p]·B[p, j] summed in order in f32 (strides as in General).</summary>
    public static void Reference(ReadOnlySpan<float> a, int rsA, int csA, ReadOnlySpan<float> b, int rsB, int csB,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[i * rsA + p * csA] * b[p * rsB + j * csB];
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
            }
    }

    /// <summary>Naive reference of Multiply: c[i, j] (+)= Σ_p a[i, p]·b[j, p].</summary>
    public static void MultiplyReference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false)
    {
        Check(a.Length, b.Length, c.Length, m, n, k);
        Reference(a, k, 1, b, 1, k, c, n, m, n, k, accumulate);
    }

    public static void MultiplyReference(ReadOnlySpan<float> a, ReadOnlySpan<ushort> bBf16, Span<float> c, int m, int n, int k, bool accumulate = false)
    {
        Check(a.Length, bBf16.Length, c.Length, m, n, k);
        var b = new float[bBf16.Length];
        Dtypes.Bf16ToF32(bBf16, b);
        Reference(a, k, 1, b, 1, k, c, n, m, n, k, accumulate);
    }

    static void Check(int aLen, int bLen, int cLen, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"negative GEMM size m {m}, n {n}, k {k}");
        if (aLen != (long)m * k) throw new ArgumentException($"A has {aLen} elements, expected m {m} × k {k}", "a");
        if (bLen != (long)n * k) throw new ArgumentException($"B has {bLen} elements, expected n {n} × k {k}", "b");
        if (cLen != (long)m * n) throw new ArgumentException($"C has {cLen} elements, expected m {m} × n {n}", "c");
    }

    static void CheckStrided(int len, int rows, int cols, long rs, long cs, string what)
    {
        if (rows < 0 || cols < 0 || rs < 0 || cs < 0) throw new ArgumentException($"{what}: negative size or stride ({rows} × {cols}, strides {rs}, {cs})");
        if (rows == 0 || cols == 0) return;
        long need = (rows - 1) * rs + (cols - 1) * cs + 1;
        if (len < need) throw new ArgumentException($"{what} has {len} elements, needs {need} for {rows} × {cols} with strides {rs}, {cs}");
    }

    // ---------------------------------------------------------------- driver
    [ThreadStatic] static float[]? t_packA;
    [ThreadStatic] static float[]? t_packB;
    [ThreadStatic] static float[]? t_packAll;

    /// <summary>A 64-byte aligned view of a pinned thread-local buffer of at least `floats`.</summary>
    static float* Aligned(ref float[]? buf, long floats)
    {
        if (buf == null || buf.Length < floats + 16) buf = GC.AllocateUninitializedArray<float>(checked((int)floats + 16), pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buf));
        return (float*)((p + 63) & ~(nint)63);
    }

    static void Run(float* a, long rsA, long csA, byte* b, BType bt, long rsB, long csB, float* c, long ldc,
        int m, int n, int k, bool accumulate, WorkerPool? pool, KernelPath path)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c + i * ldc, n).Clear();
            return;
        }
        path = Quant.Clamp(path);
        int nr = path == KernelPath.V512 ? 32 : 16;
        int threads = pool == null || (long)m * n * k < 1 << 18 ? 1 : pool.Threads;
        int mBlocks = Ceil(m, MC), panels = Ceil(n, nr);
        long npad = (long)panels * nr;
        // Each task packs its own chunk of B, unless B is read by many row blocks (training's tall products), by
        // several row ranges, or stays in cache: then all of B is packed once, up front, and every row block is a
        // task (with threads, ≥ 4 tasks per thread).
        var (rangeBlocks, chunkPanels) = Split(m, n, mBlocks, panels, NC / nr, threads);
        bool packAll = mBlocks > 1 && npad * k <= PackAllCap && (mBlocks >= 4 || npad * k <= 1 << 18 || rangeBlocks < mBlocks);
        if (packAll) (rangeBlocks, chunkPanels) = (1, Ceil(panels, threads > 1 ? Math.Clamp(Ceil(4 * threads, mBlocks), 1, panels) : 1));
        var job = new TileJob
        {
            A = a, RsA = rsA, CsA = csA, B = b, BT = bt, RsB = rsB, CsB = csB, C = c, Ldc = ldc, M = m, N = n, K = k,
            Accumulate = accumulate, Mr = nr == 32 ? 8 : 6, Nr = nr, Path = path,
            RangeBlocks = rangeBlocks, ChunkPanels = chunkPanels, Chunks = Ceil(panels, chunkPanels),
        };
        int tasks = Ceil(mBlocks, rangeBlocks) * job.Chunks;
        if (packAll)
        {
            var pack = new PackAllJob { Job = job, Bp = Aligned(ref t_packAll, npad * k), Npad = npad };
            if (threads > 1 && (long)n * k > 1 << 16) pool!.For(panels, ref pack, maxChunks: panels);
            else pack.Run(0, panels);
            job.Packed = pack.Bp; job.Npad = npad;
        }
        if (threads > 1 && tasks > 1) pool!.For(tasks, ref job, maxChunks: tasks);
        else job.Run(0, tasks);
    }

    // Panels [start, end) of all of B: Bp[pc·npad + jp·kc·NR + p·NR + jj] = B[pc + p, jp·NR + jj].
    struct PackAllJob : IParallelJob
    {
        public TileJob Job;
        public float* Bp;
        public long Npad;

        public readonly void Run(int start, int end)
        {
            for (int jp = start; jp < end; jp++)
                for (int pc = 0; pc < Job.K; pc += KC)
                {
                    int kc = Math.Min(KC, Job.K - pc);
                    Job.PackB(Bp + pc * Npad + (long)jp * kc * Job.Nr, jp, pc, kc);
                }
        }
    }

    /// <summary>Tasks are (range of row blocks, chunk of B panels); a task packs its chunk of B and each of its A blocks
    /// once per k block. Chunks stay ≤ NC columns (in L2); with threads, about 4 tasks per thread
    /// (a multiple of the thread count), splitting the side whose extra packing costs less (an extra row range
    /// re-packs B: n·k; an extra chunk re-packs A: m·k).</summary>
    static (int RangeBlocks, int ChunkPanels) Split(int m, int n, int mBlocks, int panels, int maxChunkPanels, int threads)
    {
        int chunks = Ceil(panels, maxChunkPanels), ranges = 1;
        if (threads > 1)
        {
            int target = 4 * threads;
            if (m >= n)
            {
                ranges = Math.Min(mBlocks, Ceil(Ceil(target, chunks), threads) * threads);
                chunks = Math.Min(panels, Math.Max(chunks, Ceil(target, ranges)));
            }
            else
            {
                chunks = Math.Min(panels, Ceil(Math.Max(chunks, target), threads) * threads);
                ranges = Math.Min(mBlocks, Ceil(target, chunks));
            }
        }
        return (Ceil(mBlocks, ranges), Ceil(panels, chunks));
    }

    static int Ceil(int x, int y) => (x + y - 1) / y;

    // Task t = (row range t / Chunks, panel chunk t % Chunks): C rows of the range × the chunk's columns, complete.
    struct TileJob : IParallelJob
    {
        public float* A, C, Packed;   // Packed: all of B packed up front (PackAllJob), else null: each task packs its chunk
        public byte* B;
        public BType BT;
        public long RsA, CsA, RsB, CsB, Ldc, Npad;
        public int M, N, K, Mr, Nr, RangeBlocks, ChunkPanels, Chunks;
        public bool Accumulate;
        public KernelPath Path;

        public readonly void Run(int start, int end)
        {
            float* ap = Aligned(ref t_packA, (long)MC * KC);
            float* bp = Packed != null ? null : Aligned(ref t_packB, (long)ChunkPanels * Nr * KC);
            float* tile = stackalloc float[8 * 32];   // an edge tile's accumulators before the edge-aware store
            for (int t = start; t < end; t++) Do(t / Chunks, t % Chunks, ap, bp, tile);
        }

        readonly void Do(int range, int chunk, float* ap, float* bp, float* tile)
        {
            int mr = Mr, nr = Nr;
            int ib0 = range * RangeBlocks, ib1 = Math.Min(Ceil(M, MC), ib0 + RangeBlocks);
            int jp0 = chunk * ChunkPanels, jp1 = Math.Min(Ceil(N, nr), jp0 + ChunkPanels);
            for (int pc = 0; pc < K; pc += KC)
            {
                int kc = Math.Min(KC, K - pc);
                bool add = Accumulate || pc > 0;
                float* bpc = Packed != null ? Packed + pc * Npad + (long)jp0 * kc * nr : bp;   // panel jp at bpc + (jp − jp0)·kc·NR
                if (Packed == null)
                    for (int jp = jp0; jp < jp1; jp++) PackB(bp + (long)(jp - jp0) * kc * nr, jp, pc, kc);
                for (int ib = ib0; ib < ib1; ib++)
                {
                    int i0 = ib * MC, mc = Math.Min(MC, M - i0), mPanels = Ceil(mc, mr);
                    PackA(ap, i0, mc, pc, kc);
                    for (int jp = jp0; jp < jp1; jp++)   // one B micro-panel (kc × NR) stays in L1 across the block's rows
                    {
                        float* bpanel = bpc + (long)(jp - jp0) * kc * nr;
                        int j0 = jp * nr, jn = Math.Min(nr, N - j0);
                        for (int ip = 0; ip < mPanels; ip++)
                        {
                            int r0 = ip * mr, rn = Math.Min(mr, mc - r0);
                            float* cTile = C + (i0 + r0) * Ldc + j0;
                            float* apanel = ap + (long)ip * mr * kc;
                            if (rn == mr && jn == nr) Kernel(apanel, bpanel, kc, cTile, Ldc, add);
                            else
                            {
                                Kernel(apanel, bpanel, kc, tile, nr, false);
                                for (int r = 0; r < rn; r++)
                                    for (int j = 0; j < jn; j++)
                                        cTile[r * Ldc + j] = add ? cTile[r * Ldc + j] + tile[r * nr + j] : tile[r * nr + j];
                            }
                        }
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly void Kernel(float* a, float* b, int kc, float* c, long ldc, bool add)
        {
            if (Path == KernelPath.V512) Kernel8x32(a, b, kc, c, ldc, add);
            else if (Path == KernelPath.V256) Kernel6x16(a, b, kc, c, ldc, add);
            else KernelScalar(a, b, kc, c, ldc, add);
        }

        // B panel jp at depth pc..pc+kc → dst[p·NR + jj] = B[pc + p, jp·NR + jj], zero past n.
        public readonly void PackB(float* dst, int jp, int pc, int kc)
        {
            int nr = Nr, j0 = jp * nr, jn = Math.Min(nr, N - j0);
            if (BT == BType.F32 && CsB == 1)   // rows of B contiguous: copy
            {
                for (int p = 0; p < kc; p++)
                {
                    float* d = dst + p * nr;
                    Unsafe.CopyBlockUnaligned(d, (float*)B + (pc + p) * RsB + j0, (uint)jn * 4);
                    for (int j = jn; j < nr; j++) d[j] = 0;
                }
                return;
            }
            if (BT is BType.F16p or BType.Bf16p && j0 + nr <= Quant.HalfPanelRows(N))   // k-major panels of 32 rows: a sequential widening copy
            {
                bool f16 = BT == BType.F16p;
                int* run = (int*)B + At(j0 & ~31, pc) / 2;   // 32 values (16 words) per depth
                if (nr == 32)
                    for (int p = 0; p < kc; p++) Quant.WidenRun512(run + 16 * p, f16, dst + p * 32);
                else
                    for (int p = 0; p < kc; p++) Quant.WidenHalfRun256(run + 16 * p, (j0 >> 4) & 1, f16, dst + p * 16);
                return;
            }
            for (int j = 0; j < nr; j += 8)
            {
                int live = Math.Clamp(jn - j, 0, 8), p = 0, c = j0 + j;
                long at = c * CsB + pc * RsB, s = CsB;   // panel types: only their plain tail rows come here
                if (live == 8 && RsB == 1 && Avx2.IsSupported)   // columns of B contiguous along k: 8 × 8 transposes
                    for (; p + 8 <= kc; p += 8)
                    {
                        if (BT == BType.F32) Transpose8x8((float*)B + at + p, CsB, dst + p * nr + j, nr);
                        else
                        {
                            long a = At(c, pc + p);
                            Transpose8x8(Row8(a), Row8(a + s), Row8(a + 2 * s), Row8(a + 3 * s),
                                Row8(a + 4 * s), Row8(a + 5 * s), Row8(a + 6 * s), Row8(a + 7 * s), dst + p * nr + j, nr);
                        }
                    }
                for (int jj = 0; jj < 8; jj++)
                    for (int q = p; q < kc; q++) dst[q * nr + j + jj] = jj < live ? Value(At(c + jj, pc + q)) : 0;
            }
        }

        /// <summary>Element index of B[k = depth, j = col] (weights: row col, value depth).</summary>
        readonly long At(int col, int depth) => BT is BType.F16p or BType.Bf16p ? Quant.HalfInterleavedAt(N, K, col, depth) : col * CsB + depth * RsB;

        /// <summary>B elements [at, at + 8) widened to f32 (bf16 or f16).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly Vector256<float> Row8(long at) => BT switch
        {
            BType.Bf16 or BType.Bf16p => (Vector256.WidenLower(Vector128.Load((ushort*)B + at).ToVector256Unsafe()) << 16).AsSingle(),
            _ => Quant.H2F(Vector256.WidenLower(Vector128.Load((ushort*)B + at).ToVector256Unsafe())),
        };

        readonly float Value(long at) => BT switch
        {
            BType.Bf16 or BType.Bf16p => BitConverter.UInt32BitsToSingle((uint)((ushort*)B)[at] << 16),
            BType.F16 or BType.F16p => Quant.F16(B + 2 * at),
            _ => ((float*)B)[at],
        };

        // A rows i0..i0+mc, depth pc..pc+kc → MR-row panels, k-major (ap[ip·MR·kc + p·MR + r]), zero past mc.
        readonly void PackA(float* ap, int i0, int mc, int pc, int kc)
        {
            int mr = Mr;
            for (int r0 = 0; r0 < mc; r0 += mr)
            {
                float* dst = ap + (long)(r0 / mr) * mr * kc;
                int rn = Math.Min(mr, mc - r0);
                if (CsA == 1 && rn == 8 && mr == 8 && Avx.IsSupported)   // 8 rows contiguous along k: 8 × 8 transposes
                {
                    float* src = A + (i0 + r0) * RsA + pc;
                    int p = 0;
                    for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, RsA, dst + p * mr, mr);
                    for (; p < kc; p++)
                        for (int r = 0; r < 8; r++) dst[p * mr + r] = src[r * RsA + p];
                }
                else if (CsA == 1)
                    for (int r = 0; r < rn; r++)
                    {
                        float* src = A + (i0 + r0 + r) * RsA + pc;
                        for (int p = 0; p < kc; p++) dst[p * mr + r] = src[p];
                    }
                else if (RsA == 1)   // A transposed: each k step is rn contiguous floats
                    for (int p = 0; p < kc; p++) Unsafe.CopyBlockUnaligned(dst + p * mr, A + (pc + p) * CsA + i0 + r0, (uint)rn * 4);
                else
                    for (int p = 0; p < kc; p++)
                    {
                        float* src = A + (pc + p) * CsA + (i0 + r0) * RsA;
                        for (int r = 0; r < rn; r++) dst[p * mr + r] = src[r * RsA];
                    }
                for (int r = rn; r < mr; r++)
                    for (int p = 0; p < kc; p++) dst[p * mr + r] = 0;
            }
        }
    }

    /// <summary>dst[i·ldd + j] = src[j·lds + i] for i, j &lt; 8 (AVX: unpack, shuffle, lane permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, long lds, float* dst, long ldd) =>
        Transpose8x8(Avx.LoadVector256(src), Avx.LoadVector256(src + lds), Avx.LoadVector256(src + 2 * lds), Avx.LoadVector256(src + 3 * lds),
            Avx.LoadVector256(src + 4 * lds), Avx.LoadVector256(src + 5 * lds), Avx.LoadVector256(src + 6 * lds), Avx.LoadVector256(src + 7 * lds), dst, ldd);

    /// <summary>dst[i·ldd + j] = r_j[i] for i, j &lt; 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, long ldd)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1); var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5); var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE); var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE); var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    // ---------------------------------------------------------------- micro-kernels: C[MR×NR] (+)= Ap[kc×MR]ᵀ·Bp[kc×NR]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel8x32(float* a, float* b, int kc, float* c, long ldc, bool add)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += 8, b += 32)
        {
            var b0 = Vector512.LoadAligned(b); var b1 = Vector512.LoadAligned(b + 16);
            var x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        Store(c, c00, c01, add); c += ldc;
        Store(c, c10, c11, add); c += ldc;
        Store(c, c20, c21, add); c += ldc;
        Store(c, c30, c31, add); c += ldc;
        Store(c, c40, c41, add); c += ldc;
        Store(c, c50, c51, add); c += ldc;
        Store(c, c60, c61, add); c += ldc;
        Store(c, c70, c71, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel6x16(float* a, float* b, int kc, float* c, long ldc, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += 16)
        {
            var b0 = Vector256.LoadAligned(b); var b1 = Vector256.LoadAligned(b + 8);
            var x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        Store(c, c00, c01, add); c += ldc;
        Store(c, c10, c11, add); c += ldc;
        Store(c, c20, c21, add); c += ldc;
        Store(c, c30, c31, add); c += ldc;
        Store(c, c40, c41, add); c += ldc;
        Store(c, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* c, Vector512<float> v0, Vector512<float> v1, bool add)
    {
        if (add) { v0 += Vector512.Load(c); v1 += Vector512.Load(c + 16); }
        v0.Store(c); v1.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* c, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add) { v0 += Vector256.Load(c); v1 += Vector256.Load(c + 8); }
        v0.Store(c); v1.Store(c + 8);
    }

    // 6 × 16 in scalar code (paths below V256); the same per-element order as the vector kernels, without FMA.
    static void KernelScalar(float* a, float* b, int kc, float* c, long ldc, bool add)
    {
        const int mr = 6, nr = 16;
        float* acc = stackalloc float[mr * nr];
        new Span<float>(acc, mr * nr).Clear();
        for (int p = 0; p < kc; p++, a += mr, b += nr)
            for (int r = 0; r < mr; r++)
                for (int j = 0; j < nr; j++) acc[r * nr + j] += a[r] * b[j];
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) c[r * ldc + j] = add ? c[r * ldc + j] + acc[r * nr + j] : acc[r * nr + j];
    }
}
