// Batched MatMul (prefill) against the per-row Dot on the same path: the tiled kernels (4 weight rows × 1/2/4
// activation rows) and the float-weight GEMM change only the f32 summation order, so every output is within
// 1e-5 × Σ|w·x| of its Dot. Swept over n = 1..9, 16, 33, 128 (tile edges and the 64-row activation pass), row
// counts around the 4-row tile, every weight type and every path this machine runs, with and without a pool.
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

public class MatMulTests
{
    public static TheoryData<GgmlType, string> TypesAndPaths() => DotTests.TypesAndPaths();

    static readonly int[] Ns = [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 33, 128];

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void MatMul_equals_per_row_dot(GgmlType t, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        using var pool = new WorkerPool(2);
        int seed = 0;
        foreach (var (rows, blocks) in new[] { (1, 1), (5, 2), (9, 3), (16, 1) })
        {
            int cols = TestData.Values(t, blocks);
            long rb = Quant.RowBytes(t, cols);
            var w = TestData.QuantizeRow(t, TestData.Gaussian(rows * cols, ++seed, 0.05f));
            var wd = TestData.Dequantize(t, w, rows * cols);
            foreach (int n in Ns)
            {
                var x = TestData.Gaussian(n * cols, ++seed);
                var y = new float[n * rows];
                Quant.MatMul(t, w, rows, cols, x, n, y, n % 2 == 0 ? pool : null, path);
                var xq = new byte[Quant.ActivationBytes(t, cols)];
                for (int i = 0; i < n; i++)
                {
                    Quant.QuantizeActivations(t, x.AsSpan(i * cols, cols), xq);
                    var xd = TestData.Dequantize(Quant.ActivationType(t), xq, cols);
                    for (int r = 0; r < rows; r++)
                    {
                        float d = Quant.Dot(t, w.AsSpan((int)(r * rb), (int)rb), xq, cols, path);
                        double abs = 0;
                        for (int c = 0; c < cols; c++) abs += Math.Abs((double)wd[r * cols + c] * xd[c]);
                        double tol = 1e-5 * abs + 1e-30;
                        float got = y[i * rows + r];
                        Assert.True(Math.Abs(got - d) <= tol, $"{t} {path} rows={rows} cols={cols} n={n} [{i},{r}]: {got} vs dot {d} (tol {tol:G3})");
                    }
                }
            }
        }
    }

    // Full-range random blocks (every nibble, Q8_0 −128, all 6-bit scales) through the tiles, on a larger shape.
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Random_blocks_equal_reference(GgmlType t)
    {
        const int rows = 7, n = 6;
        int cols = TestData.Values(t, 9);
        long rb = Quant.RowBytes(t, cols);
        var r = new Random((int)t);
        var w = new byte[rb * rows];
        r.NextBytes(w);
        int bb = Quant.BlockBytes(t);
        for (int o = 0; o < w.Length; o += bb)
            foreach (int at in t switch { GgmlType.Q4_K or GgmlType.Q5_1 => new[] { 0, 2 }, GgmlType.Q6_K => new[] { 208 }, _ => new[] { 0 } })
                BitConverter.TryWriteBytes(w.AsSpan(o + at), (Half)(0.001 + r.NextDouble() * 0.01));
        var x = TestData.Gaussian(n * cols, 3);
        var y = new float[n * rows];
        Quant.MatMul(t, w, rows, cols, x, n, y, null, Quant.BestPath);
        var xq = new byte[Quant.ActivationBytes(t, cols)];
        for (int i = 0; i < n; i++)
        {
            Quant.QuantizeActivations(t, x.AsSpan(i * cols, cols), xq);
            for (int k = 0; k < rows; k++)
            {
                float d = Quant.DotReference(t, w.AsSpan((int)(k * rb), (int)rb), xq, cols);
                Assert.True(Math.Abs(y[i * rows + k] - d) <= 1e-4 * Math.Abs(d) + 1e-3, $"{t} [{i},{k}]: {y[i * rows + k]} vs reference {d}");
            }
        }
    }
}

public class ActivationQuantizerTests
{
    // The Vector256 Q8_0 activation quantizer writes the scalar (llama.cpp reference) bytes exactly, ties included.
    [Fact]
    public unsafe void Vector_q8_0_equals_scalar()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        var blocks = new List<float[]>();
        for (int s = 0; s < 200; s++) blocks.Add(TestData.Gaussian(32, s, s % 7 == 0 ? 1e-3f : 1f + s));
        var ties = new float[32];
        for (int j = 0; j < 32; j++) ties[j] = (j - 16) + 0.5f;   // amax 15.5: id = 127/15.5, most products round near .5
        blocks.Add(ties);
        var halves = new float[32];
        for (int j = 0; j < 32; j++) halves[j] = j == 0 ? 127f : (j % 2 == 0 ? 1 : -1) * (j + 0.5f);   // id = 1: exact .5 ties
        blocks.Add(halves);
        blocks.Add(new float[32]);
        var a = new byte[34];
        var b = new byte[34];
        foreach (var x in blocks)
            fixed (float* px = x)
            fixed (byte* pa = a)
            fixed (byte* pb = b)
            {
                Quant.QuantizeQ8_0(px, pa);
                Quant.QuantizeQ8_0V256(px, pb);
                Assert.Equal(a, b);
            }
    }

    // Q8_1 (Q5_1's activations): the Vector256 quantizer equals the scalar reference, and s = f16(d·Σqs) with the f32 d.
    [Fact]
    public unsafe void Vector_q8_1_equals_scalar_and_carries_the_sum()
    {
        var a = new byte[36];
        var b = new byte[36];
        for (int s = 0; s < 200; s++)
        {
            var x = TestData.Gaussian(32, s, s % 7 == 0 ? 1e-3f : 1f + s);
            if (s == 199) Array.Clear(x);
            fixed (float* px = x)
            fixed (byte* pa = a)
            fixed (byte* pb = b)
            {
                Quant.QuantizeQ8_1(px, pa);
                if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
                {
                    Quant.QuantizeQ8_1V256(px, pb);
                    Assert.Equal(a, b);
                }
            }
            int sum = 0;
            for (int j = 0; j < 32; j++) sum += (sbyte)a[4 + j];
            float amax = 0;
            foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
            float d = amax / 127;   // the f32 scale, before its f16 rounding
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)(sum * d)), BitConverter.ToUInt16(a, 2));
        }
    }
}
