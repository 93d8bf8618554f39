// The packed GEMM against the naive reference on every path this machine runs: C = A·Bᵀ with f32, bf16 and f16 B
// over sizes crossing the micro-tiles (6 × 16, 8 × 32), the 8 × 8 packing blocks, the k block (256), the row block
// (96) and the column chunk (256); every transposition and padded strides of General; overwrite and
// accumulate; with and without a pool. Results must be bit-identical for any thread count.
// Tolerance per element: 1e-5 × Σ_p |a·b| (+ |c| when accumulating): summation order only.
using System.Runtime.InteropServices;
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

public class GemmTests
{
    public static TheoryData<string> Paths()
    {
        var d = new TheoryData<string>();
        foreach (var p in TestData.Paths()) d.Add(p.ToString());
        return d;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Multiply_equals_reference(string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        using var pool = new WorkerPool(2);
        int seed = 0;
        foreach (var (m, n, k) in Sizes())
        {
            seed++;
            var a = TestData.Gaussian(m * k, seed);
            var b = TestData.Gaussian(n * k, seed + 500);
            var bh = new ushort[n * k];
            var bwide = new float[n * k];
            foreach (var bt in new[] { Gemm.BType.F32, Gemm.BType.Bf16, Gemm.BType.F16 })
            {
                byte[] braw;
                if (bt == Gemm.BType.F32) { braw = MemoryMarshal.AsBytes(b.AsSpan()).ToArray(); b.CopyTo(bwide, 0); }
                else
                {
                    if (bt == Gemm.BType.Bf16) { Dtypes.F32ToBf16(b, bh); Dtypes.Bf16ToF32(bh, bwide); }
                    else { Dtypes.F32ToF16(b, bh); Dtypes.F16ToF32(bh, bwide); }
                    braw = MemoryMarshal.AsBytes(bh.AsSpan()).ToArray();
                }
                foreach (bool acc in new[] { false, true })
                {
                    var init = TestData.Gaussian(m * n, seed + 900);
                    var c = (float[])init.Clone();
                    var r = (float[])init.Clone();
                    Gemm.Run(a, braw, bt, c, m, n, k, seed % 2 == 0 ? pool : null, acc, path);
                    Gemm.MultiplyReference(a, bwide, r, m, n, k, acc);
                    AssertClose(c, r, init, acc, a, k, 1, bwide, 1, k, m, n, k, n, $"{path} {bt} m={m} n={n} k={k} acc={acc}");
                }
            }
        }
    }

    static IEnumerable<(int, int, int)> Sizes()
    {
        foreach (int m in new[] { 1, 5, 6, 7, 8, 9, 17 })
            foreach (int n in new[] { 1, 15, 16, 17, 33, 130 })
                foreach (int k in new[] { 1, 7, 15, 256, 300 })
                    yield return (m, n, k);
        yield return (97, 47, 520);    // two row blocks, three k blocks
        yield return (200, 64, 33);    // three row blocks, the last ragged
        yield return (3, 2100, 300);   // many column chunks of B
    }

    // General: A as [m, k] or [k, m], B as [k, n] or [n, k], each with padded rows; C with ldc > n.
    [Theory]
    [MemberData(nameof(Paths))]
    public void General_equals_reference_for_every_transposition(string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        using var pool = new WorkerPool(2);
        int seed = 0;
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 5, 3), (33, 47, 300), (97, 130, 257), (200, 64, 520) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (bool acc in new[] { false, true })
                    {
                        seed++;
                        int pad = seed % 3;
                        int ldA = (ta ? m : k) + pad, ldB = (tb ? k : n) + pad, ldc = n + pad;
                        var a = TestData.Gaussian((ta ? k : m) * ldA, seed);
                        var b = TestData.Gaussian((tb ? n : k) * ldB, seed + 500);
                        int rsA = ta ? 1 : ldA, csA = ta ? ldA : 1, rsB = tb ? 1 : ldB, csB = tb ? ldB : 1;
                        var init = TestData.Gaussian(m * ldc, seed + 900);
                        var c = (float[])init.Clone();
                        var r = (float[])init.Clone();
                        Gemm.General(a, rsA, csA, b, rsB, csB, c, ldc, m, n, k, acc, seed % 2 == 0 ? pool : null, path);
                        Gemm.Reference(a, rsA, csA, b, rsB, csB, r, ldc, m, n, k, acc);
                        AssertClose(c, r, init, acc, a, rsA, csA, b, rsB, csB, m, n, k, ldc, $"{path} ta={ta} tb={tb} m={m} n={n} k={k} acc={acc}");
                        for (int i = 0; i < m; i++)   // the padding of C is never written
                            for (int j = n; j < ldc; j++) Assert.Equal(init[i * ldc + j], c[i * ldc + j]);
                    }
    }

    // Each C element is summed by one task in a fixed order, so 1, 2, 3 or 5 threads give the same bits, whether B
    // is packed up front or per task (PackAllCap 0).
    [Fact]
    public void Thread_count_does_not_change_the_bits()
    {
        var pools = new[] { new WorkerPool(2), new WorkerPool(3), new WorkerPool(5) };
        long cap = Gemm.PackAllCap;
        try
        {
            foreach (var (m, n, k, ta) in new[] { (500, 300, 600, false), (384, 190, 1100, true), (130, 1536, 700, false), (250, 200, 2000, false) })
            {
                int ldA = ta ? m : k;
                var a = TestData.Gaussian(m * k, m);
                var b = TestData.Gaussian(n * k, n);
                var bh = new ushort[n * k];
                Dtypes.F32ToBf16(b, bh);
                float[] One(WorkerPool? pool, bool bf16, long packAllCap)
                {
                    Gemm.PackAllCap = packAllCap;
                    var c = TestData.Gaussian(m * n, 7);
                    if (bf16 && !ta) Gemm.Multiply(a, bh, c, m, n, k, pool, accumulate: true);
                    else Gemm.General(a, ta ? 1 : ldA, ta ? ldA : 1, b, 1, k, c, n, m, n, k, accumulate: true, pool);
                    return c;
                }
                foreach (bool bf16 in new[] { false, true })
                {
                    var serial = One(null, bf16, cap);
                    foreach (var p in pools)
                        foreach (long c in new[] { cap, 0 })
                            Assert.True(serial.AsSpan().SequenceEqual(One(p, bf16, c)), $"m={m} n={n} k={k} ta={ta} bf16={bf16} cap={c}: {p.Threads} threads differ");
                }
            }
        }
        finally
        {
            Gemm.PackAllCap = cap;
            foreach (var p in pools) p.Dispose();
        }
    }

    static void AssertClose(float[] got, float[] want, float[] init, bool acc, float[] a, int rsA, int csA, float[] b, int rsB, int csB,
        int m, int n, int k, int ldc, string what)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = acc ? Math.Abs(init[i * ldc + j]) : 0;
                for (int p = 0; p < k; p++) s += Math.Abs(a[i * rsA + p * csA] * b[p * rsB + j * csB]);
                float g = got[i * ldc + j], w = want[i * ldc + j];
                if (!(Math.Abs(g - w) <= 1e-5 * s + 1e-30)) Assert.Fail($"{what} [{i},{j}]: {g} vs {w}");
            }
    }

    [Fact]
    public void Public_entry_points_and_errors()
    {
        var a = TestData.Gaussian(6 * 8, 1);
        var b = TestData.Gaussian(5 * 8, 2);
        var c = new float[30];
        var r = new float[30];
        Gemm.Multiply(a, b, c, 6, 5, 8);
        Gemm.MultiplyReference(a, b, r, 6, 5, 8);
        for (int i = 0; i < 30; i++) Assert.Equal(r[i], c[i], 4);
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(a, b, c, 6, 5, 7));
        Assert.Contains("expected m 6 × k 7", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.General(a, 8, 1, b, 1, 8, c, 5, 7, 5, 8, false));
        Assert.Contains("A has 48 elements, needs 56", e.Message);
    }
}
