// A dense f32 linear layer y = W·x + b with W: [out, in] row-major, exactly as the checkpoint stores it.
using SharpSeek.Tensors;

namespace SharpSeek.Model;

public sealed class Linear(float[] weight, int outDim, int inDim, float[]? bias = null)
{
    public float[] Weight { get; } = weight;
    public float[]? Bias { get; } = bias;
    public int Out { get; } = outDim;
    public int In { get; } = inDim;

    /// <summary>x: [In] → y: [Out].</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y) => Ops.MatVec(Weight, x, y[..Out], Bias);

    public long ParameterCount => Weight.LongLength + (Bias?.LongLength ?? 0);
}
