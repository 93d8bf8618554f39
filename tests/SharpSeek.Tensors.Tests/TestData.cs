// Shared inputs and helpers for the kernel tests: seeded random rows, the paths this machine can run, and
// llama.cpp test-quantize-fns' synthetic data.
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

static class TestData
{
    public static readonly GgmlType[] QuantTypes = [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q6_K];
    public static readonly GgmlType[] WeightTypes = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, .. QuantTypes];

    /// <summary>Every path up to the widest this machine runs (narrower ones are always runnable in-process).</summary>
    public static IEnumerable<KernelPath> Paths()
    {
        for (var p = KernelPath.Scalar; p <= Quant.BestPath; p++) yield return p;
    }

    public static float[] Gaussian(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - r.NextDouble(), u2 = r.NextDouble();
            x[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    /// <summary>llama.cpp tests/test-quantize-fns.cpp generate_data: 0.1 + 2·cos(i + offset).</summary>
    public static float[] Cosine(int n, float offset)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(0.1 + 2 * MathF.Cos(i + offset));
        return x;
    }

    public static byte[] QuantizeRow(GgmlType t, float[] x)
    {
        var q = new byte[Quant.RowBytes(t, x.Length)];
        Quant.Quantize(t, x, q);
        return q;
    }

    public static float[] Dequantize(GgmlType t, byte[] q, int n)
    {
        var y = new float[n];
        Quant.Dequantize(t, q, y);
        return y;
    }

    /// <summary>Values per row for a type given a block count (float types use the same count of 32-value units).</summary>
    public static int Values(GgmlType t, int blocks) => blocks * Math.Max(32, Quant.BlockSize(t));
}
