// Training matmuls over row-major fp32 buffers (llm.c's three: forward, input grad, weight grad), all one packed,
// tiled GEMM (Goto/BLIS): B packed once in NR-wide k-major panels, A packed per (MC × KC) block, an MR × NR
// register-tile micro-kernel (AVX-512 8×32, AVX2 6×16, scalar otherwise), row blocks spread over the workers.
// Every C element is summed by one thread in a fixed order, so results do not depend on the thread count.
// MatMulNaive is the algorithmic reference (tests compare the two).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Training.Kernels;

public static unsafe class MatMul
{
    const int KC = 256;                 // depth of one packed block (B micro-panel KC×NR lives in L1/L2)
    const int MC = 96;                  // rows of A per block (A block MC×KC ≈ 96 KB, in L2)
    static readonly bool Use512 = Avx512F.IsSupported && Vector512.IsHardwareAccelerated;
    static readonly bool Use256 = Fma.IsSupported && Avx.IsSupported;
    static readonly int MR = Use512 ? 8 : 6;
    static readonly int NR = Use512 ? 32 : 16;

    /// <summary>out[M,N] (+)= inp[M,K] · w[N,K]ᵀ (+ bias[N]): y = x Wᵀ + b.</summary>
    public static void Forward(ReadOnlySpan<float> inp, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> output,
        int M, int N, int K, bool accumulate = false, bool parallel = true)
    {
        Check(inp.Length, (long)M * K, "inp"); Check(w.Length, (long)N * K, "w"); Check(output.Length, (long)M * N, "out");
        fixed (float* a = inp, b = w, c = output)
            Run(M, N, K, a, K, 1, b, 1, K, c, N, accumulate, parallel);
        if (!bias.IsEmpty)
        {
            Check(bias.Length, N, "bias");
            for (int i = 0; i < M; i++) System.Numerics.Tensors.TensorPrimitives.Add(output.Slice(i * N, N), bias, output.Slice(i * N, N));
        }
    }

    /// <summary>dinp[M,K] += dout[M,N] · w[N,K].</summary>
    public static void BackwardInput(ReadOnlySpan<float> dout, ReadOnlySpan<float> w, Span<float> dinp, int M, int N, int K,
        bool accumulate = true, bool parallel = true)
    {
        Check(dout.Length, (long)M * N, "dout"); Check(w.Length, (long)N * K, "w"); Check(dinp.Length, (long)M * K, "dinp");
        fixed (float* a = dout, b = w, c = dinp)
            Run(M, K, N, a, N, 1, b, K, 1, c, K, accumulate, parallel);
    }

    /// <summary>dw[N,K] += dout[M,N]ᵀ · inp[M,K]; dbias[N] += Σ_rows dout when given.</summary>
    public static void BackwardWeight(ReadOnlySpan<float> dout, ReadOnlySpan<float> inp, Span<float> dw, Span<float> dbias,
        int M, int N, int K, bool accumulate = true, bool parallel = true)
    {
        Check(dout.Length, (long)M * N, "dout"); Check(inp.Length, (long)M * K, "inp"); Check(dw.Length, (long)N * K, "dw");
        fixed (float* a = dout, b = inp, c = dw)
            Run(N, K, M, a, 1, N, b, K, 1, c, K, accumulate, parallel);
        if (!dbias.IsEmpty)
        {
            Check(dbias.Length, N, "dbias");
            for (int i = 0; i < M; i++) System.Numerics.Tensors.TensorPrimitives.Add(dbias, dout.Slice(i * N, N), dbias);
        }
    }

    /// <summary>C[M,N] (+)= A·B with A[i,p] = a[i·rsA + p·csA], B[p,j] = b[p·rsB + j·csB] (any transposition).</summary>
    public static void General(ReadOnlySpan<float> a, int rsA, int csA, ReadOnlySpan<float> b, int rsB, int csB,
        Span<float> c, int ldc, int M, int N, int K, bool accumulate, bool parallel = true)
    {
        fixed (float* pa = a, pb = b, pc = c) Run(M, N, K, pa, rsA, csA, pb, rsB, csB, pc, ldc, accumulate, parallel);
    }

    /// <summary>The algorithmic reference: C[M,N] (+)= A·B, one dot product per element (same stride convention as General).</summary>
    public static void MatMulNaive(ReadOnlySpan<float> a, int rsA, int csA, ReadOnlySpan<float> b, int rsB, int csB,
        Span<float> c, int ldc, int M, int N, int K, bool accumulate)
    {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                float s = 0;
                for (int p = 0; p < K; p++) s += a[i * rsA + p * csA] * b[p * rsB + j * csB];
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
            }
    }

    static void Check(long have, long need, string what)
    {
        if (have < need) throw new ArgumentException($"matmul: {what} has {have} floats, needs {need}");
    }

    // ---------------------------------------------------------------- driver
    [ThreadStatic] static float* packA;
    [ThreadStatic] static long packACap;
    [ThreadStatic] static float* packB;
    [ThreadStatic] static long packBCap;

    static float* Buffer(ref float* p, ref long cap, long floats)
    {
        if (cap < floats)
        {
            if (p != null) NativeMemory.AlignedFree(p);
            cap = Math.Max(floats, cap * 2);
            p = (float*)NativeMemory.AlignedAlloc((nuint)(cap * 4), 64);
        }
        return p;
    }

    static void Run(int M, int N, int K, float* a, long rsA, long csA, float* b, long rsB, long csB, float* c, long ldc,
        bool accumulate, bool parallel)
    {
        if (M <= 0 || N <= 0) return;
        if (K <= 0)
        {
            if (!accumulate) for (int i = 0; i < M; i++) new Span<float>(c + i * ldc, N).Clear();
            return;
        }
        int nr = NR, panels = (N + nr - 1) / nr;
        long npad = (long)panels * nr;
        float* bp = Buffer(ref packB, ref packBCap, npad * K);
        int threads = parallel ? Workers.Count : 1;
        long work = (long)M * N * K;
        if (work < 1 << 18) threads = 1;

        // pack B: for each KC block pc, panel jp: kc × NR floats, k-major, zero-padded past N
        if (threads > 1 && (long)N * K > 1 << 16)
            Workers.For(0, panels, threads, jp => PackB(b, rsB, csB, bp, N, K, npad, jp));
        else
            for (int jp = 0; jp < panels; jp++) PackB(b, rsB, csB, bp, N, K, npad, jp);

        int mBlocks = (M + MC - 1) / MC;
        int nChunks = threads > 1 ? Math.Clamp((4 * threads + mBlocks - 1) / mBlocks, 1, panels) : 1;   // ≥ 4 tasks per thread
        int panelsPerChunk = (panels + nChunks - 1) / nChunks;
        nChunks = (panels + panelsPerChunk - 1) / panelsPerChunk;
        var job = new Job(M, N, K, a, rsA, csA, bp, npad, c, ldc, accumulate, panelsPerChunk);
        int tasks = mBlocks * nChunks;
        if (threads > 1 && tasks > 1) Workers.For(0, tasks, threads, t => job.Do(t / nChunks, t % nChunks));
        else for (int t = 0; t < tasks; t++) job.Do(t / nChunks, t % nChunks);
    }

    static void PackB(float* b, long rsB, long csB, float* bp, int N, int K, long npad, int jp)
    {
        int nr = NR, j0 = jp * nr, jn = Math.Min(nr, N - j0);
        for (int pc = 0; pc < K; pc += KC)
        {
            int kc = Math.Min(KC, K - pc);
            float* dst = bp + pc * npad + (long)jp * kc * nr;
            if (csB == 1)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (pc + p) * rsB + j0;
                    float* d = dst + p * nr;
                    Unsafe.CopyBlockUnaligned(d, src, (uint)jn * 4);
                    for (int j = jn; j < nr; j++) d[j] = 0;
                }
            }
            else if (rsB == 1 && jn == nr && Avx.IsSupported)
            {
                // B[p, j] = b[j·csB + p]: rows of b are columns of B; 8×8 transposes into the k-major panel
                for (int j = 0; j < nr; j += 8)
                {
                    int p = 0;
                    for (; p + 8 <= kc; p += 8) Transpose8x8(b + (j0 + j) * csB + pc + p, csB, dst + p * nr + j, nr);
                    for (; p < kc; p++)
                        for (int jj = 0; jj < 8; jj++) dst[p * nr + j + jj] = b[(j0 + j + jj) * csB + pc + p];
                }
            }
            else
            {
                for (int j = 0; j < jn; j++)
                {
                    float* src = b + (j0 + j) * csB + pc * rsB;
                    for (int p = 0; p < kc; p++) dst[p * nr + j] = src[p * rsB];
                }
                for (int j = jn; j < nr; j++)
                    for (int p = 0; p < kc; p++) dst[p * nr + j] = 0;
            }
        }
    }

    sealed class Job(int M, int N, int K, float* a, long rsA, long csA, float* bp, long npad, float* c, long ldc, bool accumulate, int panelsPerChunk)
    {
        public void Do(int mb, int chunk)
        {
            int mr = MR, nr = NR;
            int i0 = mb * MC, mc = Math.Min(MC, M - i0);
            int mPanels = (mc + mr - 1) / mr;
            int jp0 = chunk * panelsPerChunk, jp1 = Math.Min((N + nr - 1) / nr, jp0 + panelsPerChunk);
            float* ap = Buffer(ref packA, ref packACap, (long)mPanels * mr * KC);
            float* tile = stackalloc float[8 * 32];
            for (int pc = 0; pc < K; pc += KC)
            {
                int kc = Math.Min(KC, K - pc);
                bool add = accumulate || pc > 0;
                PackA(ap, i0, mc, pc, kc);
                for (int jp = jp0; jp < jp1; jp++)
                {
                    float* bpanel = bp + pc * npad + (long)jp * kc * nr;
                    int j0 = jp * nr, jn = Math.Min(nr, N - j0);
                    for (int ip = 0; ip < mPanels; ip++)
                    {
                        int r0 = ip * mr, rn = Math.Min(mr, mc - r0);
                        float* cTile = c + (i0 + r0) * ldc + j0;
                        if (rn == mr && jn == nr) Kernel(ap + (long)ip * mr * kc, bpanel, kc, cTile, ldc, add);
                        else
                        {
                            Kernel(ap + (long)ip * mr * kc, bpanel, kc, tile, nr, false);
                            for (int r = 0; r < rn; r++)
                                for (int j = 0; j < jn; j++)
                                    cTile[r * ldc + j] = add ? cTile[r * ldc + j] + tile[r * nr + j] : tile[r * nr + j];
                        }
                    }
                }
            }
        }

        // A block rows i0..i0+mc, depth pc..pc+kc → MR-row panels, k-major, zero-padded rows.
        void PackA(float* ap, int i0, int mc, int pc, int kc)
        {
            int mr = MR;
            for (int r0 = 0; r0 < mc; r0 += mr)
            {
                float* dst = ap + (long)(r0 / mr) * mr * kc;
                int rn = Math.Min(mr, mc - r0);
                if (csA == 1 && rn == 8 && mr == 8 && Avx.IsSupported)
                {
                    // 8 rows of A, contiguous along k → k-major panel: 8×8 transposes
                    float* src = a + (i0 + r0) * rsA + pc;
                    int p = 0;
                    for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, rsA, dst + p * mr, mr);
                    for (; p < kc; p++)
                        for (int r = 0; r < 8; r++) dst[p * mr + r] = src[r * rsA + p];
                }
                else if (csA == 1)
                {
                    for (int r = 0; r < rn; r++)
                    {
                        float* src = a + (i0 + r0 + r) * rsA + pc;
                        for (int p = 0; p < kc; p++) dst[p * mr + r] = src[p];
                    }
                }
                else if (rsA == 1)
                {
                    for (int p = 0; p < kc; p++) Unsafe.CopyBlockUnaligned(dst + p * mr, a + (pc + p) * csA + i0 + r0, (uint)rn * 4);
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        float* src = a + (pc + p) * csA + (i0 + r0) * rsA;
                        for (int r = 0; r < rn; r++) dst[p * mr + r] = src[r * rsA];
                    }
                }
                for (int r = rn; r < mr; r++)
                    for (int p = 0; p < kc; p++) dst[p * mr + r] = 0;
            }
        }
    }

    /// <summary>dst[i·ldd + j] = src[j·lds + i] for i, j &lt; 8 (AVX: unpack, shuffle, lane permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, long lds, float* dst, long ldd)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds); var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds); var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds); var r7 = Avx.LoadVector256(src + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Kernel(float* a, float* b, int kc, float* c, long ldc, bool add)
    {
        if (Use512) Kernel8x32(a, b, kc, c, ldc, add);
        else if (Use256) Kernel6x16(a, b, kc, c, ldc, add);
        else KernelScalar(a, b, kc, c, ldc, add);
    }

    // ---------------------------------------------------------------- micro-kernels: C[MR×NR] (+)= Ap[kc×MR]ᵀ·Bp[kc×NR]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel8x32(float* a, float* b, int kc, float* c, long ldc, bool add)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadAlignedVector512(b);
            var b1 = Avx512F.LoadAlignedVector512(b + 16);
            Vector512<float> x;
            x = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            a += 8; b += 32;
        }
        Store512(c, c00, c01, add); c += ldc;
        Store512(c, c10, c11, add); c += ldc;
        Store512(c, c20, c21, add); c += ldc;
        Store512(c, c30, c31, add); c += ldc;
        Store512(c, c40, c41, add); c += ldc;
        Store512(c, c50, c51, add); c += ldc;
        Store512(c, c60, c61, add); c += ldc;
        Store512(c, c70, c71, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, bool add)
    {
        if (add) { v0 += Vector512.Load(c); v1 += Vector512.Load(c + 16); }
        v0.Store(c); v1.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel6x16(float* a, float* b, int kc, float* c, long ldc, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            a += 6; b += 16;
        }
        Store256(c, c00, c01, add); c += ldc;
        Store256(c, c10, c11, add); c += ldc;
        Store256(c, c20, c21, add); c += ldc;
        Store256(c, c30, c31, add); c += ldc;
        Store256(c, c40, c41, add); c += ldc;
        Store256(c, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add) { v0 += Vector256.Load(c); v1 += Vector256.Load(c + 8); }
        v0.Store(c); v1.Store(c + 8);
    }

    static void KernelScalar(float* a, float* b, int kc, float* c, long ldc, bool add)
    {
        int mr = MR, nr = NR;
        float* acc = stackalloc float[8 * 32];
        new Span<float>(acc, mr * nr).Clear();
        for (int p = 0; p < kc; p++, a += mr, b += nr)
            for (int r = 0; r < mr; r++)
                for (int j = 0; j < nr; j++) acc[r * nr + j] += a[r] * b[j];
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) c[r * ldc + j] = add ? c[r * ldc + j] + acc[r * nr + j] : acc[r * nr + j];
    }
}
