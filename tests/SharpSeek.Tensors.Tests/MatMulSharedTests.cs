// Quant.MatMulShared (QKV, gate and up in one call into the pool): every output is bit for bit the MatMul of its own
// matrix — fused on the tiled kernels (Q4_0/Q8_0 interleaved, tiled types in a batch), one MatMul each otherwise — on
// every path this machine runs, inline and across two threads.
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

public class MatMulSharedTests
{
    public static TheoryData<GgmlType, bool, string> Cases()
    {
        var d = new TheoryData<GgmlType, bool, string>();
        foreach (var p in TestData.Paths())
        {
            d.Add(GgmlType.Q4_0, true, p.ToString());
            d.Add(GgmlType.Q8_0, true, p.ToString());
            foreach (var t in TestData.WeightTypes) d.Add(t, false, p.ToString());
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_output_equals_its_own_matmul(GgmlType t, bool interleaved, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        using var pool = new WorkerPool(2);
        int seed = 7;
        int cols = 2 * Math.Max(32, Quant.BlockSize(t)) * 2;
        // row counts: QKV-like (3), gate/up-like (2), one not a multiple of 4 (interleaved: unfused)
        foreach (var rows in new[] { new[] { 24, 8, 8 }, new[] { 36, 36 }, new[] { 12, 6 }, new[] { 40, 4, 13 } })
            foreach (int n in new[] { 1, 3, 17 })
                foreach (var p in new[] { null, pool })
                {
                    var w = rows.Select(r => Weights(t, r, cols, interleaved, ++seed)).ToArray();
                    var x = TestData.Gaussian(n * cols, ++seed);
                    var expected = rows.Select((r, k) => { var y = new float[n * r]; Quant.MatMul(t, w[k], r, cols, x, n, y, p, path, interleaved); return y; }).ToArray();
                    var got = rows.Select(r => new float[n * r]).ToArray();
                    if (rows.Length == 2) Quant.MatMulShared(t, cols, interleaved, x, n, p, w[0], rows[0], got[0], w[1], rows[1], got[1], default, 0, default, path);
                    else Quant.MatMulShared(t, cols, interleaved, x, n, p, w[0], rows[0], got[0], w[1], rows[1], got[1], w[2], rows[2], got[2], path);
                    for (int k = 0; k < rows.Length; k++)
                        Assert.True(expected[k].AsSpan().SequenceEqual(got[k]), $"{t} interleaved={interleaved} {path} rows={string.Join(",", rows)} n={n} pool={p is not null}: output {k} differs");
                }
    }

    [Fact]
    public void A_wrong_size_is_named()
    {
        int cols = 64;
        var w = new byte[Quant.RowBytes(GgmlType.Q8_0, cols) * 4];
        var e = Assert.Throws<ArgumentException>(() => Quant.MatMulShared(GgmlType.Q8_0, cols, false, new float[cols], 1, null,
            w, 4, new float[4], w, 4, new float[3]));
        Assert.Contains("y has 3 elements", e.Message);
    }

    static byte[] Weights(GgmlType t, int rows, int cols, bool interleaved, int seed)
    {
        var w = TestData.QuantizeRow(t, TestData.Gaussian(rows * cols, seed, 0.05f));
        if (!interleaved) return w;
        var wi = new byte[w.Length];
        Assert.True(Quant.TryInterleave(t, w, rows, cols, wi));
        return wi;
    }
}
