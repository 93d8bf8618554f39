// Numerically stable softmax (subtracts the max; TensorPrimitives.SoftMax does not) and log-sum-exp.
using System.Numerics.Tensors;

namespace SharpSeek.Tensors;

public static partial class Ops
{
    /// <summary>y = exp(x - max) / Σ exp(x - max). y may alias x. -inf entries get 0.</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.IsEmpty) return;
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        float sum = TensorPrimitives.Sum(y);
        TensorPrimitives.Divide(y, sum, y);
    }

    public static void SoftmaxReference(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = float.NegativeInfinity;
        foreach (var v in x) max = MathF.Max(max, v);
        float sum = 0;
        for (int i = 0; i < x.Length; i++) { y[i] = MathF.Exp(x[i] - max); sum += y[i]; }
        for (int i = 0; i < x.Length; i++) y[i] /= sum;
    }

    /// <summary>log Σ exp(x), stable.</summary>
    public static float LogSumExp(ReadOnlySpan<float> x)
    {
        float max = TensorPrimitives.Max(x);
        double sum = 0;
        foreach (var v in x) sum += Math.Exp(v - max);
        return max + (float)Math.Log(sum);
    }
}
