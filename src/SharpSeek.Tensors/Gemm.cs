// C[m, n] = A[m, k] · B[n, k]ᵀ (+ C when accumulating): the prefill / training matrix product with weights in
// their [out, in] layout. Tiled: B is packed per (column tile, k block) into panels of NR columns, k-major, so
// the micro-kernel does MR×NR outer-product FMAs from registers (6×16 with Vector256, 8×32 with Vector512) and
// reads A's rows directly. Column tiles are spread over a WorkerPool. B may be f32, bf16 or f16 (widened while
// packing; f16 is Quant.MatMul's float-weight prefill). The naive triple loop stays beside it as the reference.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

public static class Gemm
{
    /// <summary>Element type of B.</summary>
    internal enum BType { F32, Bf16, F16 }

    const int KC = 256;     // k block: an A micro-panel (8×256 f32 = 8 KB) stays in L1
    const int NC = 128;     // column tile per task: a packed B tile (256×128 f32 = 128 KB) stays in L2

    /// <summary>C = A·Bᵀ (or C += A·Bᵀ). a: [m, k], b: [n, k], c: [m, n], all row-major f32.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        WorkerPool? pool = null, bool accumulate = false) =>
        Run(a, MemoryMarshal.AsBytes(b), BType.F32, c, m, n, k, pool, accumulate, Quant.Path);

    /// <summary>C = A·Bᵀ with bf16 B (raw bits): the weight stays bf16 in memory, widened tile by tile.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<ushort> bBf16, Span<float> c, int m, int n, int k,
        WorkerPool? pool = null, bool accumulate = false) =>
        Run(a, MemoryMarshal.AsBytes(bBf16), BType.Bf16, c, m, n, k, pool, accumulate, Quant.Path);

    /// <summary>Naive reference: c[i, j] (+)= Σ_p a[i, p]·b[j, p], summed in order in f32.</summary>
    public static void MultiplyReference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false)
    {
        Check(a.Length, b.Length, c.Length, m, n, k);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
                c[i * n + j] = accumulate ? c[i * n + j] + s : s;
            }
    }

    public static void MultiplyReference(ReadOnlySpan<float> a, ReadOnlySpan<ushort> bBf16, Span<float> c, int m, int n, int k, bool accumulate = false)
    {
        Check(a.Length, bBf16.Length, c.Length, m, n, k);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * Dtypes.Bf16ToF32(bBf16[j * k + p]);
                c[i * n + j] = accumulate ? c[i * n + j] + s : s;
            }
    }

    static void Check(int aLen, int bLen, int cLen, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"negative GEMM size m {m}, n {n}, k {k}");
        if (aLen != (long)m * k) throw new ArgumentException($"A has {aLen} elements, expected m {m} × k {k}", "a");
        if (bLen != (long)n * k) throw new ArgumentException($"B has {bLen} elements, expected n {n} × k {k}", "b");
        if (cLen != (long)m * n) throw new ArgumentException($"C has {cLen} elements, expected m {m} × n {n}", "c");
    }

    internal static unsafe void Run(ReadOnlySpan<float> a, ReadOnlySpan<byte> b, BType bt, Span<float> c, int m, int n, int k,
        WorkerPool? pool, bool accumulate, KernelPath path)
    {
        Check(a.Length, b.Length / (bt == BType.F32 ? 4 : 2), c.Length, m, n, k);
        if (m == 0 || n == 0) return;
        if (k == 0) { if (!accumulate) c.Clear(); return; }
        path = Quant.Clamp(path);
        if (path < KernelPath.V256)   // no register-blocked kernel without 256-bit FMA: the reference loop
        {
            if (bt == BType.Bf16) MultiplyReference(a, MemoryMarshal.Cast<byte, ushort>(b), c, m, n, k, accumulate);
            else if (bt == BType.F32) MultiplyReference(a, MemoryMarshal.Cast<byte, float>(b), c, m, n, k, accumulate);
            else
            {
                var bf = new float[(long)n * k];
                Dtypes.F16ToF32(MemoryMarshal.Cast<byte, ushort>(b), bf);
                MultiplyReference(a, bf, c, m, n, k, accumulate);
            }
            return;
        }
        fixed (float* pa = a)
        fixed (byte* pb = b)
        fixed (float* pc = c)
        {
            var job = new TileJob
            {
                A = pa, B = pb, C = pc, M = m, N = n, K = k, BT = bt, Accumulate = accumulate,
                NR = path == KernelPath.V512 ? 32 : 16,
            };
            int tiles = (n + NC - 1) / NC;
            if (pool == null || (long)m * n * k < 1 << 18) job.Run(0, tiles);
            else pool.For(tiles, ref job);
        }
    }

    [ThreadStatic] static float[]? t_pack;

    unsafe struct TileJob : IParallelJob
    {
        public float* A, C;
        public byte* B;
        public int M, N, K, NR;
        public BType BT;
        public bool Accumulate;

        public readonly void Run(int start, int end)
        {
            var buf = t_pack;
            if (buf == null || buf.Length < KC * NC) t_pack = buf = GC.AllocateUninitializedArray<float>(KC * NC, pinned: true);
            float* pack = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buf));
            float* tile = stackalloc float[8 * 32];   // the micro-kernel's accumulators, before the edge-aware store
            for (int t = start; t < end; t++)
            {
                int j0 = t * NC, nc = Math.Min(NC, N - j0);
                int panels = (nc + NR - 1) / NR;
                for (int p0 = 0; p0 < K; p0 += KC)
                {
                    int kc = Math.Min(KC, K - p0);
                    PackB(pack, j0, nc, p0, kc, panels);
                    bool add = Accumulate || p0 > 0;
                    for (int jp = 0; jp < panels; jp++)   // one B micro-panel (kc × NR) stays in L1 across all rows of A
                    {
                        int nr = Math.Min(NR, nc - jp * NR);
                        float* bp = pack + (long)jp * kc * NR;
                        int rowsPerKernel = NR == 32 ? 8 : 6;
                        for (int i0 = 0; i0 < M; i0 += rowsPerKernel)
                        {
                            int mr = Math.Min(rowsPerKernel, M - i0);
                            float* cp = C + (long)i0 * N + j0 + jp * NR;
                            if (NR == 32) Kernel8x32(A + (long)i0 * K + p0, K, mr, bp, kc, tile);
                            else Kernel6x16(A + (long)i0 * K + p0, K, mr, bp, kc, tile);
                            Store(tile, NR, mr, cp, N, nr, add);
                        }
                    }
                }
            }
        }

        // pack[(jp·kc + p)·NR + jj] = B[j0 + jp·NR + jj, p0 + p]; columns past n are zero. Whole 8 × 8 blocks are
        // widened to f32 and transposed in registers; the ragged edges go one value at a time.
        readonly void PackB(float* pack, int j0, int nc, int p0, int kc, int panels)
        {
            float* tmp = stackalloc float[64];
            int kc8 = kc & ~7;
            for (int jp = 0; jp < panels; jp++)
            {
                float* dst = pack + (long)jp * kc * NR;
                for (int jj = 0; jj < NR; jj += 8)
                {
                    int j = jp * NR + jj, rows = Math.Min(8, nc - j);
                    if (rows == 8)
                        for (int p = 0; p < kc8; p += 8)
                        {
                            for (int r = 0; r < 8; r++) Row8((long)(j0 + j + r) * K + p0 + p).Store(tmp + 8 * r);
                            Transpose8x8(tmp, dst + (long)p * NR + jj, NR);
                        }
                    for (int r = 0; r < 8; r++)
                    {
                        int from = r < rows ? (rows == 8 ? kc8 : 0) : kc;
                        for (int p = from; p < kc; p++) dst[p * NR + jj + r] = Value((long)(j0 + j + r) * K + p0 + p);
                        if (r >= rows) for (int p = 0; p < kc; p++) dst[p * NR + jj + r] = 0;
                    }
                }
            }
        }

        /// <summary>B values [at, at + 8) widened to f32.</summary>
        readonly Vector256<float> Row8(long at) => BT switch
        {
            BType.Bf16 => (Vector256.WidenLower(Vector128.Load((ushort*)B + at).ToVector256Unsafe()) << 16).AsSingle(),
            BType.F16 => Quant.H2F(Vector256.WidenLower(Vector128.Load((ushort*)B + at).ToVector256Unsafe())),
            _ => Vector256.Load((float*)B + at),
        };

        readonly float Value(long at) => BT switch
        {
            BType.Bf16 => BitConverter.UInt32BitsToSingle((uint)((ushort*)B)[at] << 16),
            BType.F16 => Quant.F16(B + 2 * at),
            _ => ((float*)B)[at],
        };
    }

    /// <summary>dst[c·ld + r] = src[r·8 + c] for an 8 × 8 block (unpack / shuffle / lane-permute network).</summary>
    static unsafe void Transpose8x8(float* src, float* dst, int ld)
    {
        var r0 = Vector256.Load(src); var r1 = Vector256.Load(src + 8); var r2 = Vector256.Load(src + 16); var r3 = Vector256.Load(src + 24);
        var r4 = Vector256.Load(src + 32); var r5 = Vector256.Load(src + 40); var r6 = Vector256.Load(src + 48); var r7 = Vector256.Load(src + 56);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1); var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5); var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE); var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE); var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).Store(dst);
        Avx.Permute2x128(u1, u5, 0x20).Store(dst + ld);
        Avx.Permute2x128(u2, u6, 0x20).Store(dst + 2 * ld);
        Avx.Permute2x128(u3, u7, 0x20).Store(dst + 3 * ld);
        Avx.Permute2x128(u0, u4, 0x31).Store(dst + 4 * ld);
        Avx.Permute2x128(u1, u5, 0x31).Store(dst + 5 * ld);
        Avx.Permute2x128(u2, u6, 0x31).Store(dst + 6 * ld);
        Avx.Permute2x128(u3, u7, 0x31).Store(dst + 7 * ld);
    }

    // 6 rows of A (lda apart; rows past mr repeat row 0 and are not stored) × a 16-column B panel → t[6×16].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Kernel6x16(float* a, int lda, int mr, float* b, int kc, float* t)
    {
        float* a0 = a, a1 = a + (mr > 1 ? lda : 0), a2 = a + (mr > 2 ? 2 * lda : 0);
        float* a3 = a + (mr > 3 ? 3 * lda : 0), a4 = a + (mr > 4 ? 4 * lda : 0), a5 = a + (mr > 5 ? 5 * lda : 0);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, b += 16)
        {
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a0[p]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[p]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[p]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[p]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[p]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[p]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        c00.Store(t); c01.Store(t + 8); c10.Store(t + 16); c11.Store(t + 24); c20.Store(t + 32); c21.Store(t + 40);
        c30.Store(t + 48); c31.Store(t + 56); c40.Store(t + 64); c41.Store(t + 72); c50.Store(t + 80); c51.Store(t + 88);
    }

    // 8 rows of A (rows past mr repeat row 0 and are not stored) × a 32-column B panel → t[8×32]: 16 accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Kernel8x32(float* a, int lda, int mr, float* b, int kc, float* t)
    {
        float* a0 = a, a1 = a + (mr > 1 ? lda : 0), a2 = a + (mr > 2 ? 2 * lda : 0), a3 = a + (mr > 3 ? 3 * lda : 0);
        float* a4 = a + (mr > 4 ? 4 * lda : 0), a5 = a + (mr > 5 ? 5 * lda : 0), a6 = a + (mr > 6 ? 6 * lda : 0), a7 = a + (mr > 7 ? 7 * lda : 0);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, b += 32)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a0[p]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[p]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[p]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[p]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[p]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[p]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[p]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[p]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        c00.Store(t); c01.Store(t + 16); c10.Store(t + 32); c11.Store(t + 48); c20.Store(t + 64); c21.Store(t + 80);
        c30.Store(t + 96); c31.Store(t + 112); c40.Store(t + 128); c41.Store(t + 144); c50.Store(t + 160); c51.Store(t + 176);
        c60.Store(t + 192); c61.Store(t + 208); c70.Store(t + 224); c71.Store(t + 240);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Store(float* t, int ldt, int mr, float* c, int ldc, int nr, bool add)
    {
        for (int r = 0; r < mr; r++)
        {
            float* dst = c + (long)r * ldc;
            float* src = t + r * ldt;
            int j = 0;
            if (add) for (; j + 8 <= nr; j += 8) (Vector256.Load(dst + j) + Vector256.Load(src + j)).Store(dst + j);
            else for (; j + 8 <= nr; j += 8) Vector256.Load(src + j).Store(dst + j);
            if (add) for (; j < nr; j++) dst[j] += src[j];
            else for (; j < nr; j++) dst[j] = src[j];
        }
    }
}
