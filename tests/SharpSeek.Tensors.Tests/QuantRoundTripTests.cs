// Quantize → dequantize error within the bounds llama.cpp's tests/test-quantize-fns.cpp uses (same data,
// same metric: sqrt(Σ diff²)/n < 0.002), plus a normalized RMSE bound per type on Gaussian rows.
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

public class QuantRoundTripTests
{
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q8_1)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.Q8_K)]
    public void Total_error_within_llama_cpp_bound(GgmlType t)
    {
        const int n = 32 * 128;
        var x = TestData.Cosine(n, 0);
        var y = TestData.Dequantize(t, TestData.QuantizeRow(t, x), n);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double)(x[i] - y[i]) * (x[i] - y[i]);
        float err = MathF.Sqrt((float)sum) / n;
        Assert.True(err < 0.002f, $"{t}: total quantization error {err} ≥ 0.002 (MAX_QUANTIZATION_TOTAL_ERROR)");
    }

    // RMSE / RMS of the input on N(0,1) rows; bounds ≈ 1.5× what the reference quantizers reach.
    [Theory]
    [InlineData(GgmlType.Q8_0, 0.012)]
    [InlineData(GgmlType.Q4_0, 0.16)]
    [InlineData(GgmlType.Q5_0, 0.08)]
    [InlineData(GgmlType.Q5_1, 0.07)]
    [InlineData(GgmlType.Q8_1, 0.012)]
    [InlineData(GgmlType.Q4_K, 0.13)]
    [InlineData(GgmlType.Q6_K, 0.04)]
    [InlineData(GgmlType.Q8_K, 0.012)]
    [InlineData(GgmlType.F16, 0.0005)]
    [InlineData(GgmlType.BF16, 0.004)]
    public void Normalized_rmse_on_gaussian_rows(GgmlType t, double bound)
    {
        const int n = 256 * 64;
        var x = TestData.Gaussian(n, 7);
        var y = TestData.Dequantize(t, TestData.QuantizeRow(t, x), n);
        double se = 0, ss = 0;
        for (int i = 0; i < n; i++) { se += (double)(x[i] - y[i]) * (x[i] - y[i]); ss += (double)x[i] * x[i]; }
        double nrmse = Math.Sqrt(se / ss);
        Assert.True(nrmse < bound, $"{t}: normalized RMSE {nrmse:F5} ≥ {bound}");
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q8_1)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.Q8_K)]
    public void Zero_and_constant_blocks(GgmlType t)
    {
        int n = 2 * Math.Max(32, Quant.BlockSize(t));
        var x = new float[n];
        for (int i = n / 2; i < n; i++) x[i] = -3.25f;
        var y = TestData.Dequantize(t, TestData.QuantizeRow(t, x), n);
        for (int i = 0; i < n / 2; i++) Assert.Equal(0f, y[i]);
        for (int i = n / 2; i < n; i++) Assert.True(MathF.Abs(y[i] + 3.25f) <= 3.25f * 0.02f, $"{t}[{i}] = {y[i]}");
    }

    [Fact]
    public void Q8_K_block_sums_match_quants()
    {
        var x = TestData.Gaussian(512, 3);
        var q = TestData.QuantizeRow(GgmlType.Q8_K, x);
        for (int b = 0; b < 2; b++)
            for (int g = 0; g < 16; g++)
            {
                int s = 0;
                for (int i = 0; i < 16; i++) s += (sbyte)q[b * 292 + 4 + g * 16 + i];
                Assert.Equal(s, BitConverter.ToInt16(q, b * 292 + 260 + 2 * g));
            }
    }
}
