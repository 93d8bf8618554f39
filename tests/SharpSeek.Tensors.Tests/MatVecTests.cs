// MatVec over every weight type: each output equals the row's Dot on the same path within 1e-5 × Σ|w·x| (the
// multi-row decode kernels sum blocks in another order), identically with and without a pool; and the whole
// product is close to the fp32 GEMV of the dequantized weights. Batched MatMul: MatMulTests.
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
        foreach (var (rows, blocks) in new[] { (1, 1), (7, 2), (33, 3), (130, 8), (70, 35) })
        {
            int cols = TestData.Values(t, blocks);
            var wf = TestData.Gaussian(rows * cols, rows + blocks, 0.05f);
            var w = TestData.QuantizeRow(t, wf);
            var wd = TestData.Dequantize(t, w, rows * cols);
            var x = TestData.Gaussian(cols, 11 + rows);
            long rb = Quant.RowBytes(t, cols);
            var xq = new byte[Quant.ActivationBytes(t, cols)];
            Quant.QuantizeActivations(t, x, xq);
            var xd = TestData.Dequantize(Quant.ActivationType(t), xq, cols);
            float[]? first = null;
            foreach (var pool in new WorkerPool?[] { null, pool2, pool3 })
            {
                var y = new float[rows];
                Quant.MatMul(t, w, rows, cols, x, 1, y, pool, path);
                for (int r = 0; r < rows; r++)
                {
                    float d = Quant.Dot(t, w.AsSpan((int)(r * rb), (int)rb), xq, cols, path);
                    double abs = 0;
                    for (int c = 0; c < cols; c++) abs += Math.Abs((double)wd[r * cols + c] * xd[c]);
                    Assert.True(Math.Abs(d - y[r]) <= 1e-5 * abs + 1e-30, $"{t} {path} rows={rows} cols={cols} [{r}]: {y[r]} vs dot {d}");
                }
                // threads split whole rows (or 4-row groups): the split never changes a result
                if (first == null) first = y;
                else Assert.Equal(first, y);
            }
        }
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
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

    // F16 decode reads f16 bits as w·2^-112 against x split into even/odd halves; subnormals, signed zeros and the
    // largest finite values must come out as the exact widening does, and a row holding inf or NaN must give what
    // the scalar reference gives (it is redone by the exact kernel), on every path and across chunk boundaries;
    // rows over 4096 columns go in pairs, which must not change any row's bits whatever the thread split.
    [Theory]
    [MemberData(nameof(Paths))]
    public void F16_decode_is_exact_for_special_values(string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        ushort[] specials = [0x0001, 0x03FF, 0x8001, 0x0400, 0x8000, 0x0000, 0x7BFF, 0xFBFF, 0x3C00, 0x0200];
        using var pool2 = new WorkerPool(2);
        using var pool3 = new WorkerPool(3);
        foreach (int cols in new[] { 15, 16, 31, 32, 48, 64, 96, 100, 200, 4100, 4128 })
            foreach (ushort? bad in new ushort?[] { null, 0x7C00, 0xFC00, 0x7E00 })
            {
                var r = new Random(cols);
                int rows = cols > 4096 ? 21 : 7;   // 21 × 4100: past the inline threshold, split into odd-sized chunks
                var h = new ushort[rows * cols];
                for (int i = 0; i < h.Length; i++)
                    h[i] = r.Next(4) == 0 ? specials[r.Next(specials.Length)] : Dtypes.F32ToF16((float)(r.NextDouble() - 0.5));
                if (bad is ushort b) h[2 * cols + r.Next(cols)] = b;    // row 2 holds the inf/NaN
                var w = new byte[h.Length * 2];
                Buffer.BlockCopy(h, 0, w, 0, w.Length);
                var x = TestData.Gaussian(cols, cols + 7);
                var y = new float[rows];
                Quant.MatMul(GgmlType.F16, w, rows, cols, x, 1, y, null, path);
                foreach (var pool in new[] { pool2, pool3 })
                {
                    var yp = new float[rows];
                    Quant.MatMul(GgmlType.F16, w, rows, cols, x, 1, yp, pool, path);
                    Assert.Equal(y, yp);
                }
                for (int row = 0; row < rows; row++)
                {
                    double exact = 0, abs = 0;
                    for (int c = 0; c < cols; c++)
                    {
                        double p = (double)Dtypes.F16ToF32(h[row * cols + c]) * x[c];
                        exact += p; abs += Math.Abs(p);
                    }
                    if (double.IsFinite(exact))
                        Assert.True(Math.Abs(y[row] - exact) <= 1e-5 * abs + 1e-30, $"{path} cols={cols} row {row}: {y[row]} vs {exact}");
                    else
                        Assert.Equal((float)exact, y[row]);   // ±inf, or NaN (Assert.Equal treats NaN = NaN)
                }
            }
    }

    public static TheoryData<string> Paths()
    {
        var d = new TheoryData<string>();
        foreach (var p in TestData.Paths()) d.Add(p.ToString());
        return d;
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
