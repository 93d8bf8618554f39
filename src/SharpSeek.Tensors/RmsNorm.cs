// RMSNorm (Zhang & Sennrich 2019): y = x / sqrt(mean(x²) + eps) · weight, computed in f32.
using System.Numerics.Tensors;

namespace SharpSeek.Tensors;

public static partial class Ops
{
    /// <summary>x, weight, y: [n]. y may alias x.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        if (weight.Length != x.Length || y.Length != x.Length)
            throw new ArgumentException($"RmsNorm lengths differ: x {x.Length}, weight {weight.Length}, y {y.Length}");
        float meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        float inv = 1f / MathF.Sqrt(meanSquare + eps);
        TensorPrimitives.Multiply(x, inv, y);
        TensorPrimitives.Multiply(y, weight, y);
    }

    public static void RmsNormReference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        float sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * x[i];
        float inv = 1f / MathF.Sqrt(sum / x.Length + eps);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * inv * weight[i];
    }
}
