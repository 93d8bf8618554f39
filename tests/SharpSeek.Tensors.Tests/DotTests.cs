// Dot kernels: every SIMD path equals the scalar reference (float rounding only: the integer block sums are
// exact, so the bound is 1e-5 × Σ|w·x|) over block counts 1..8 and a few large ones; the reference itself is
// within the activation-quantization bound of the f32 dot of the dequantized weights with the unquantized x.
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

public class DotTests
{
    public static TheoryData<GgmlType, string> TypesAndPaths()
    {
        var d = new TheoryData<GgmlType, string>();
        foreach (var t in TestData.WeightTypes)
            foreach (var p in TestData.Paths()) d.Add(t, p.ToString());
        return d;
    }

    static readonly int[] BlockCounts = [1, 2, 3, 4, 5, 6, 7, 8, 13, 35, 48, 280];

    static (byte[] w, float[] x, byte[] xq, int n) Case(GgmlType t, int n, int seed, bool randomBytes = false)
    {
        byte[] w;
        if (randomBytes && Quant.BlockSize(t) > 1) w = RandomBlocks(t, n, seed);
        else w = TestData.QuantizeRow(t, TestData.Gaussian(n, seed, 0.05f));
        var x = TestData.Gaussian(n, seed + 1000);
        var xq = new byte[Quant.ActivationBytes(t, n)];
        Quant.QuantizeActivations(t, x, xq);
        return (w, x, xq, n);
    }

    // Full-range quants (Q8_0 −128, all nibbles and fifth bits, all 6-bit scales) with small finite block scales.
    static byte[] RandomBlocks(GgmlType t, int n, int seed)
    {
        var r = new Random(seed);
        var w = new byte[Quant.RowBytes(t, n)];
        r.NextBytes(w);
        int bb = Quant.BlockBytes(t);
        for (int o = 0; o < w.Length; o += bb)
        {
            void Scale(int at) => BitConverter.TryWriteBytes(w.AsSpan(o + at), (Half)(0.001 + r.NextDouble() * 0.01));
            switch (t)
            {
                case GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0: Scale(0); break;
                case GgmlType.Q5_1: Scale(0); Scale(2); break;
                case GgmlType.Q4_K: Scale(0); Scale(2); break;
                case GgmlType.Q6_K: Scale(208); break;
            }
        }
        return w;
    }

    static double AbsTerms(GgmlType t, byte[] w, byte[] xq, int n)
    {
        var wd = TestData.Dequantize(t, w, n);
        var xd = TestData.Dequantize(Quant.ActivationType(t), xq, n);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.Abs((double)wd[i] * xd[i]);
        return s;
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Path_equals_reference(GgmlType t, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        foreach (bool randomBytes in new[] { false, true })
            foreach (int blocks in BlockCounts)
            {
                var (w, _, xq, n) = Case(t, TestData.Values(t, blocks), blocks * 31 + (int)t, randomBytes);
                float reference = Quant.Dot(t, w, xq, n, KernelPath.Scalar);
                float fast = Quant.Dot(t, w, xq, n, path);
                double tol = 1e-5 * AbsTerms(t, w, xq, n) + 1e-30;
                Assert.True(Math.Abs(fast - reference) <= tol,
                    $"{t} {path} n={n}{(randomBytes ? " random blocks" : "")}: fast {fast} vs reference {reference} (tol {tol:G3})");
            }
    }

    // On AMD the V512 path routes integer kernels to their 256-bit forms (Quant.WideInt); test the 512-bit ones here.
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Wide_integer_kernels_equal_reference(GgmlType t)
    {
        if (Quant.BestPath < KernelPath.V512) return;
        foreach (bool randomBytes in new[] { false, true })
            foreach (int blocks in BlockCounts)
            {
                var (w, _, xq, n) = Case(t, TestData.Values(t, blocks), blocks * 17 + (int)t, randomBytes);
                float reference = Quant.Dot(t, w, xq, n, KernelPath.Scalar);
                float fast = Quant.DotV512Int(t, w, xq, n);
                double tol = 1e-5 * AbsTerms(t, w, xq, n) + 1e-30;
                Assert.True(Math.Abs(fast - reference) <= tol, $"{t} 512-bit n={n}: {fast} vs {reference}");
            }
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Float_rows_of_every_length(GgmlType t, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        if (Quant.BlockSize(t) != 1) return;
        for (int n = 0; n <= 300; n++) Check(n);
        Check(4097);

        void Check(int n)
        {
            var w = TestData.QuantizeRow(t, TestData.Gaussian(n, n));
            var x = TestData.Gaussian(n, n + 1);
            var xq = new byte[n * 4];
            Quant.QuantizeActivations(t, x, xq);
            float reference = Quant.Dot(t, w, xq, n, KernelPath.Scalar), fast = Quant.Dot(t, w, xq, n, path);
            double tol = 1e-5 * AbsTerms(t, w, xq, n) + 1e-30;
            Assert.True(Math.Abs(fast - reference) <= tol, $"{t} {path} n={n}: {fast} vs {reference}");
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Float_special_values_propagate(GgmlType t, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        if (Quant.BlockSize(t) != 1) return;
        foreach (int n in new[] { 7, 64, 133 })
            foreach (var (special, expectNaN) in new[] { (float.NaN, true), (float.PositiveInfinity, false) })
            {
                var wf = TestData.Gaussian(n, 5);
                for (int i = 0; i < n; i++) wf[i] = MathF.Abs(wf[i]) + 0.5f;   // all positive: +inf·w stays +inf
                var x = TestData.Gaussian(n, 6);
                for (int i = 0; i < n; i++) x[i] = MathF.Abs(x[i]);
                x[n - 1] = special;
                var w = TestData.QuantizeRow(t, wf);
                var xq = new byte[n * 4];
                Quant.QuantizeActivations(t, x, xq);
                float r = Quant.Dot(t, w, xq, n, path);
                if (expectNaN) Assert.True(float.IsNaN(r), $"{t} {path} n={n}: {r}");
                else Assert.Equal(float.PositiveInfinity, r);
            }
    }

    // |Dot − Σ w_deq·x| ≤ 0.05·‖w‖·‖x‖/√n: the activation rounding error (≤ amax/254 per value, ~0.007σ rms)
    // at 7 standard deviations. Float types: ≤ 1e-5 Σ|w·x| (no activation quantization).
    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Reference_is_close_to_the_f32_dot(GgmlType t, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        foreach (int blocks in new[] { 1, 4, 35 })
        {
            var (w, x, xq, n) = Case(t, TestData.Values(t, blocks), blocks + 77);
            var wd = TestData.Dequantize(t, w, n);
            double exact = 0, ww = 0, xx = 0, abs = 0;
            for (int i = 0; i < n; i++) { exact += (double)wd[i] * x[i]; ww += (double)wd[i] * wd[i]; xx += (double)x[i] * x[i]; abs += Math.Abs((double)wd[i] * x[i]); }
            float got = Quant.Dot(t, w, xq, n, path);
            double bound = Quant.BlockSize(t) == 1 ? 1e-5 * abs : 0.05 * Math.Sqrt(ww * xx / n);
            Assert.True(Math.Abs(got - exact) <= bound, $"{t} {path} n={n}: {got} vs f32 {exact} (bound {bound:G3})");
        }
    }

    // llama.cpp test-quantize-fns: |vec_dot(q(a), q8(b)) − a·b| / n < 0.02 on its cosine data.
    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void Dot_product_error_within_llama_cpp_bound(GgmlType t, string pathName)
    {
        var path = Enum.Parse<KernelPath>(pathName);
        const int n = 32 * 128;
        var a = TestData.Cosine(n, 0);
        var b = TestData.Cosine(n, 1);
        var xq = new byte[Quant.ActivationBytes(t, n)];
        Quant.QuantizeActivations(t, b, xq);
        float got = Quant.Dot(t, TestData.QuantizeRow(t, a), xq, n, path);
        double exact = 0;
        for (int i = 0; i < n; i++) exact += a[i] * b[i];
        Assert.True(Math.Abs(got - exact) / n < 0.02, $"{t} {path}: {got} vs {exact}");
    }

    [Fact]
    public void Public_dot_uses_the_best_path_and_matches_reference()
    {
        var (w, _, xq, n) = Case(GgmlType.Q4_0, 1024, 1);
        float a = Quant.Dot(GgmlType.Q4_0, w, xq, n), r = Quant.DotReference(GgmlType.Q4_0, w, xq, n);
        Assert.True(Math.Abs(a - r) <= 1e-5 * AbsTerms(GgmlType.Q4_0, w, xq, n));
    }
}
