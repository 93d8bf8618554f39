// Tiled GEMM against the naive reference over sizes crossing the micro-tile (6 × 16, 8 × 32), the k block (256)
// and the column tile (128) and the 8 × 8 packing blocks; f32 and bf16 B (f16 B: MatMulTests); overwrite and
// accumulate; with and without a pool.
// Tolerance per element: 1e-5 × Σ_p |a·b| (summation order only).
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
    public void Tiled_equals_reference(string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        using var pool = new WorkerPool(2);
        int seed = 0;
        foreach (int m in new[] { 1, 5, 6, 7, 8, 9, 13, 17 })
            foreach (int n in new[] { 1, 15, 16, 17, 33, 130 })
                foreach (int k in new[] { 1, 7, 15, 256, 300 })
                {
                    seed++;
                    var a = TestData.Gaussian(m * k, seed);
                    var b = TestData.Gaussian(n * k, seed + 500);
                    var bh = new ushort[n * k];
                    Dtypes.F32ToBf16(b, bh);
                    var bb = new float[n * k];
                    Dtypes.Bf16ToF32(bh, bb);
                    foreach (bool bf16 in new[] { false, true })
                        foreach (bool acc in new[] { false, true })
                        {
                            var init = TestData.Gaussian(m * n, seed + 900);
                            var c = (float[])init.Clone();
                            var r = (float[])init.Clone();
                            var bsrc = bf16 ? bb : b;
                            if (bf16) Gemm.Run(a, System.Runtime.InteropServices.MemoryMarshal.AsBytes(bh.AsSpan()), Gemm.BType.Bf16, c, m, n, k, seed % 2 == 0 ? pool : null, acc, path);
                            else Gemm.Run(a, System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.AsSpan()), Gemm.BType.F32, c, m, n, k, seed % 2 == 0 ? pool : null, acc, path);
                            Gemm.MultiplyReference(a, bsrc, r, m, n, k, acc);
                            for (int i = 0; i < m; i++)
                                for (int j = 0; j < n; j++)
                                {
                                    double s = acc ? Math.Abs(init[i * n + j]) : 0;
                                    for (int p = 0; p < k; p++) s += Math.Abs(a[i * k + p] * bsrc[j * k + p]);
                                    Assert.True(Math.Abs(c[i * n + j] - r[i * n + j]) <= 1e-5 * s + 1e-30,
                                        $"{path} m={m} n={n} k={k} bf16={bf16} acc={acc} [{i},{j}]: {c[i * n + j]} vs {r[i * n + j]}");
                                }
                        }
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
    }
}
