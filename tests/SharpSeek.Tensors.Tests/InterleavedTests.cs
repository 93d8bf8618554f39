// Q4_0 and Q8_0 interleaved by groups of 16 rows (Quant.Interleaved.cs): the layout round-trips row by row, and MatMul
// over it equals the per-row Dot over the plain rows within 1e-5 × Σ|w·x| (only the f32 summation order differs), for
// decode (n = 1) and prefill tile edges, rows not a multiple of the group (the last rows stay plain), on every path this machine
// runs (below AVX2 the scalar reference serves).
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

public class InterleavedTests
{
    public static TheoryData<GgmlType, string> TypesAndPaths()
    {
        var d = new TheoryData<GgmlType, string>();
        foreach (var t in new[] { GgmlType.Q4_0, GgmlType.Q8_0 })
            foreach (var p in TestData.Paths()) d.Add(t, p.ToString());
        return d;
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void MatMul_equals_per_row_dot_on_the_plain_rows(GgmlType t, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        using var pool = new WorkerPool(2);
        int seed = 100;
        foreach (var (rows, blocks) in new[] { (4, 1), (8, 3), (12, 2), (36, 48), (8, 130), (1, 2), (6, 3), (39, 5), (24, 131), (48, 131) })   // over 128 blocks: the long-row prefetch
        {
            int cols = blocks * 32;
            long rb = Quant.RowBytes(t, cols);
            var w = TestData.QuantizeRow(t, TestData.Gaussian(rows * cols, ++seed, 0.05f));
            var wi = new byte[w.Length];
            Assert.True(Quant.TryInterleave(t, w, rows, cols, wi));
            var row = new byte[rb];
            for (int r = 0; r < rows; r++)
            {
                Quant.DeinterleaveRow(t, wi, rows, cols, r, row);
                Assert.Equal(w.AsSpan((int)(r * rb), (int)rb).ToArray(), row);
            }
            var wd = TestData.Dequantize(t, w, rows * cols);
            foreach (int n in new[] { 1, 2, 3, 5, 8, 9, 17, 70 })
            {
                var x = TestData.Gaussian(n * cols, ++seed);
                var y = new float[n * rows];
                Quant.MatMul(t, wi, rows, cols, x, n, y, n % 2 == 1 ? pool : null, path, interleaved: true);
                var xq = new byte[Quant.ActivationBytes(t, cols)];
                for (int i = 0; i < n; i++)
                {
                    Quant.QuantizeActivations(t, x.AsSpan(i * cols, cols), xq);
                    var xd = TestData.Dequantize(Quant.ActivationType(t), xq, cols);
                    for (int r = 0; r < rows; r++)
                    {
                        float d = Quant.Dot(t, w.AsSpan((int)(r * rb), (int)rb), xq, cols, KernelPath.Scalar);
                        double abs = 0;
                        for (int c = 0; c < cols; c++) abs += Math.Abs((double)wd[r * cols + c] * xd[c]);
                        double tol = 1e-5 * abs + 1e-30;
                        Assert.True(Math.Abs(y[i * rows + r] - d) <= tol, $"{t} {path} rows={rows} cols={cols} n={n} [{i},{r}]: {y[i * rows + r]} vs dot {d}");
                    }
                }
            }
        }
    }

    // F16 and BF16 in k-major panels of 32 rows (Quant.Interleaved.Half.cs): the layout round-trips, and MatMul over it
    // gives the plain layout's bits in prefill (the GEMM packs the same values) and, in decode (each row summed in
    // order of its values, another order than one row at a time), the plain result within 1e-5 × Σ|w·x|; rows holding
    // subnormals and ±0 included, with a plain tail when rows is not a multiple of 32 and rows of odd length, on every
    // path. An F16 matrix holding inf or NaN is not interleaved.
    [Theory]
    [MemberData(nameof(HalfTypesAndPaths))]
    public void Half_interleaved_gives_the_plain_layouts_result(GgmlType t, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        using var pool = new WorkerPool(2);
        ushort[] specials = t == GgmlType.F16 ? [0x0001, 0x83FF, 0x0400, 0x8000, 0x7BFF, 0xFBFF] : [0x0001, 0x807F, 0x0080, 0x8000, 0x4780, 0xC780];
        int seed = 200;
        foreach (var (rows, cols, bad) in new (int, int, ushort?)[] { (32, 32, null), (40, 96, null), (7, 64, null), (64, 17, null), (35, 288, null), (35, 288, 0x7C00), (96, 4129, null), (33, 4160, 0xFE00) })
        {
            if (bad != null && t == GgmlType.BF16) continue;
            var r = new Random(++seed);
            var h = new ushort[rows * cols];
            for (int i = 0; i < h.Length; i++)
            {
                float v = (float)(r.NextDouble() - 0.5);
                h[i] = r.Next(8) == 0 ? specials[r.Next(specials.Length)] : t == GgmlType.F16 ? Dtypes.F32ToF16(v) : (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);
            }
            if (bad is ushort b) { h[9 * cols + 5] = b; h[(rows - 1) * cols + 3] = b; }   // row 9 (in a panel) and the last row (plain tail)
            var w = new byte[h.Length * 2];
            Buffer.BlockCopy(h, 0, w, 0, w.Length);
            var wi = new byte[w.Length];
            if (bad != null)   // the F16 kernels over the layout take finite values: such a matrix stays plain
            {
                Assert.False(Quant.TryInterleave(t, w, rows, cols, wi));
                continue;
            }
            Assert.True(Quant.TryInterleave(t, w, rows, cols, wi));
            var row = new byte[2 * cols];
            for (int i = 0; i < rows; i++)
            {
                Quant.DeinterleaveRow(t, wi, rows, cols, i, row);
                Assert.Equal(w.AsSpan(2 * i * cols, 2 * cols).ToArray(), row);
            }
            var wd = TestData.Dequantize(t, w, rows * cols);
            foreach (int n in new[] { 1, 2, 9 })
            {
                var x = TestData.Gaussian(n * cols, ++seed);
                var y = new float[n * rows];
                var yi = new float[n * rows];
                Quant.MatMul(t, w, rows, cols, x, n, y, null, path);
                Quant.MatMul(t, wi, rows, cols, x, n, yi, n == 1 ? pool : null, path, interleaved: true);
                bool exact = n > 1 || path < KernelPath.V256;
                for (int i = 0; i < y.Length; i++)
                {
                    string at = $"{t} {path} rows={rows} cols={cols} n={n} [{i / rows},{i % rows}]: interleaved {yi[i]} vs plain {y[i]}";
                    if (exact) Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(yi[i]), at);
                    else
                    {
                        double abs = 0;
                        for (int c = 0; c < cols; c++) abs += Math.Abs((double)wd[(i % rows) * cols + c] * x[(i / rows) * cols + c]);
                        Assert.True(Math.Abs(y[i] - yi[i]) <= 1e-5 * abs + 1e-30, at);
                    }
                }
            }
        }
    }

    public static TheoryData<GgmlType, string> HalfTypesAndPaths()
    {
        var d = new TheoryData<GgmlType, string>();
        foreach (var t in new[] { GgmlType.F16, GgmlType.BF16 })
            foreach (var p in TestData.Paths()) d.Add(t, p.ToString());
        return d;
    }

    [Fact]
    public void Infinite_scales_stay_plain()
    {
        var w = TestData.QuantizeRow(GgmlType.Q4_0, TestData.Gaussian(6 * 64, 1, 0.05f));
        var w4 = w.AsSpan(0, 4 * 36).ToArray();
        w4[18] = 0x00; w4[19] = 0x7C;                                    // block 1 of row 0: d = +Inf
        Assert.False(Quant.TryInterleave(GgmlType.Q4_0, w4, 4, 64, new byte[w4.Length]));
        Assert.Throws<ArgumentException>(() => Quant.TryInterleave(GgmlType.Q4_K, new byte[4 * 144], 4, 256, new byte[4 * 144]));
        Assert.Throws<ArgumentException>(() => Quant.MatMul(GgmlType.Q4_K, new byte[4 * 144], 4, 256, new float[256], 1, new float[4], null, KernelPath.V256, interleaved: true));
    }
}
