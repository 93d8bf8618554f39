// Fast kernels against their scalar references across lengths that cross every vector width, plus special values.
using SharpSeek.Tensors;
using Xunit;

namespace SharpSeek.Model.Tests;

public class KernelTests
{
    static float[] RandomVector(Random r, int n, float scale = 1) => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();

    [Fact]
    public void MatVec_matches_reference_across_lengths()
    {
        var r = new Random(1);
        for (int cols = 0; cols <= 70; cols++)
        foreach (int rows in new[] { 1, 3, 17 })
        {
            var w = RandomVector(r, rows * cols);
            var x = RandomVector(r, cols);
            var b = RandomVector(r, rows);
            var fast = new float[rows];
            var slow = new float[rows];
            Ops.MatVec(w, x, fast, b);
            Ops.MatVecReference(w, x, slow, b);
            for (int i = 0; i < rows; i++) Assert.True(MathF.Abs(fast[i] - slow[i]) <= 1e-5f * (1 + cols), $"cols {cols} row {i}: {fast[i]} vs {slow[i]}");
        }
    }

    [Fact]
    public void MatTVec_is_the_transpose_of_MatVec()
    {
        var r = new Random(2);
        int rows = 13, cols = 37;
        var w = RandomVector(r, rows * cols);
        var x = RandomVector(r, rows);
        var y = new float[cols];
        Ops.MatTVec(w, x, y);
        for (int c = 0; c < cols; c++)
        {
            float expect = 0;
            for (int i = 0; i < rows; i++) expect += w[i * cols + c] * x[i];
            Assert.Equal(expect, y[c], 4);
        }
    }

    [Fact]
    public void MatVec_rejects_a_wrong_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.MatVec(new float[10], new float[3], new float[3]));
        Assert.Contains("rows 3", e.Message);
    }

    [Fact]
    public void RmsNorm_and_SwiGlu_match_reference()
    {
        var r = new Random(3);
        for (int n = 1; n <= 300; n += 7)
        {
            var x = RandomVector(r, n, 3);
            var w = RandomVector(r, n);
            var a = new float[n];
            var b = new float[n];
            Ops.RmsNorm(x, w, 1e-6f, a);
            Ops.RmsNormReference(x, w, 1e-6f, b);
            for (int i = 0; i < n; i++) Assert.True(MathF.Abs(a[i] - b[i]) <= 1e-5f * (1 + MathF.Abs(b[i])), $"rmsnorm n {n} i {i}");

            var g1 = RandomVector(r, n, 5);
            var g2 = (float[])g1.Clone();
            var up = RandomVector(r, n);
            Ops.SwiGlu(g1, up);
            Ops.SwiGluReference(g2, up);
            for (int i = 0; i < n; i++) Assert.True(MathF.Abs(g1[i] - g2[i]) <= 1e-5f * (1 + MathF.Abs(g2[i])), $"n {n} i {i}");
        }
    }

    [Fact]
    public void Softmax_is_stable_and_handles_minus_infinity()
    {
        var big = new float[] { 1000f, 1001f, float.NegativeInfinity, 999f };
        var y = new float[4];
        Ops.Softmax(big, y);
        Assert.All(y, v => Assert.False(float.IsNaN(v)));
        Assert.Equal(0f, y[2]);
        Assert.Equal(1f, y.Sum(), 5);
        var r = new Random(4);
        for (int n = 1; n < 200; n += 13)
        {
            var x = RandomVector(r, n, 20);
            var a = new float[n];
            var b = new float[n];
            Ops.Softmax(x, a);
            Ops.SoftmaxReference(x, b);
            for (int i = 0; i < n; i++) Assert.True(MathF.Abs(a[i] - b[i]) <= 1e-6f, $"softmax n {n} i {i}");
        }
        Assert.Equal(1001f + MathF.Log(1 + MathF.Exp(-1) + MathF.Exp(-2)), Ops.LogSumExp(big), 4);
    }

    [Fact]
    public void TopK_orders_by_value_descending()
    {
        Span<int> idx = stackalloc int[3];
        Ops.TopK([0.1f, 0.9f, -2f, 0.5f, 0.95f], idx);
        Assert.Equal(new[] { 4, 1, 3 }, idx.ToArray());
    }

    [Fact]
    public void Rope_layouts_rotate_the_right_pairs()
    {
        float[] cos = [0f, 1f], sin = [1f, 0f];  // pair 0 rotated 90°, pair 1 unchanged
        float[] inter = [1, 2, 3, 4];
        Ops.RopeInterleaved(inter, cos, sin);
        Assert.Equal(new float[] { -2, 1, 3, 4 }, inter);
        float[] half = [1, 2, 3, 4];               // pairs (x0, x2), (x1, x3)
        Ops.RopeHalf(half, cos, sin);
        Assert.Equal(new float[] { -3, 2, 1, 4 }, half);
    }
}
