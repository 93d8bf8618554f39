// MatVec / MatMul over every weight type: each output equals the row's Dot on the same path (bit for bit:
// same kernel, same quantized activations), with and without a pool; and the whole product is close to the
// fp32 GEMV of the dequantized weights.
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

public class MatVecTests
{
    public static TheoryData<GgmlType, string> TypesAndPaths() => DotTests.TypesAndPaths();

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Rows_equal_their_dot(GgmlType t, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        using var pool2 = new WorkerPool(2);
        using var pool3 = new WorkerPool(3);
        foreach (var (rows, blocks, n) in new[] { (1, 1, 1), (7, 2, 1), (33, 3, 2), (130, 8, 1), (70, 35, 3) })
        {
            int cols = TestData.Values(t, blocks);
            var wf = TestData.Gaussian(rows * cols, rows + blocks, 0.05f);
            var w = TestData.QuantizeRow(t, wf);
            var x = TestData.Gaussian(n * cols, 11 + rows);
            long rb = Quant.RowBytes(t, cols);
            var xq = new byte[Quant.ActivationBytes(t, cols)];
            foreach (var pool in new WorkerPool?[] { null, pool2, pool3 })
            {
                var y = new float[n * rows];
                Quant.MatMul(t, w, rows, cols, x, n, y, pool, path);
                for (int i = 0; i < n; i++)
                {
                    Quant.QuantizeActivations(t, x.AsSpan(i * cols, cols), xq);
                    for (int r = 0; r < rows; r++)
                    {
                        float d = Quant.Dot(t, w.AsSpan((int)(r * rb), (int)rb), xq, cols, path);
                        Assert.True(d == y[i * rows + r], $"{t} {path} rows={rows} cols={cols} n={n} [{i},{r}]: {y[i * rows + r]} vs dot {d}");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void MatVec_is_close_to_the_fp32_gemv(GgmlType t)
    {
        const int rows = 64, cols = 1024;
        var w = TestData.QuantizeRow(t, TestData.Gaussian(rows * cols, 1, 0.05f));
        var wd = TestData.Dequantize(t, w, rows * cols);
        var x = TestData.Gaussian(cols, 2);
        var y = new float[rows];
        var yRef = new float[rows];
        using var pool = new WorkerPool(2);
        Quant.MatVec(t, w, rows, cols, x, y, pool);
        Ops.MatVecReference(wd, x, yRef);
        double err = 0, norm = 0;
        for (int r = 0; r < rows; r++) { err += (double)(y[r] - yRef[r]) * (y[r] - yRef[r]); norm += (double)yRef[r] * yRef[r]; }
        double bound = Quant.BlockSize(t) == 1 ? 1e-6 : 0.01;   // normalized error: activation quantization only
        Assert.True(Math.Sqrt(err / norm) < bound, $"{t}: normalized error {Math.Sqrt(err / norm):G3} ≥ {bound}");
    }

    [Fact]
    public void Shape_errors_name_the_problem()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Quant.MatVec(GgmlType.Q4_0, new byte[18 * 3], 2, 64, new float[64], new float[2]));
        Assert.Contains("takes 72 bytes", e.Message);
        Assert.Throws<ArgumentException>(() => Quant.MatVec(GgmlType.Q4_0, new byte[72], 2, 64, new float[63], new float[2]));
        Assert.Throws<ArgumentException>(() => Quant.MatMul(GgmlType.F32, new byte[16], 2, 2, new float[4], 2, new float[3]));
    }
}
