// SiLU and the SwiGLU gate of the feed-forward blocks: h = silu(gate) ⊙ up.
using System.Numerics.Tensors;

namespace SharpSeek.Tensors;

public static partial class Ops
{
    /// <summary>gate[i] = gate[i]·σ(gate[i]) · up[i], in place on gate.</summary>
    [System.Runtime.CompilerServices.SkipLocalsInit]   // the sigmoid scratch is written before it is read
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        if (gate.Length != up.Length) throw new ArgumentException($"SwiGlu lengths differ: {gate.Length} vs {up.Length}");
        // silu(g) = g / (1 + e^-g); TensorPrimitives.Sigmoid is SIMD.
        Span<float> sig = stackalloc float[1024];
        for (int i = 0; i < gate.Length; i += sig.Length)
        {
            var chunk = gate.Slice(i, Math.Min(sig.Length, gate.Length - i));
            TensorPrimitives.Sigmoid(chunk, sig[..chunk.Length]);
            TensorPrimitives.Multiply(chunk, sig[..chunk.Length], chunk);
        }
        TensorPrimitives.Multiply(gate, up, gate);
    }

    public static void SwiGluReference(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
            gate[i] = gate[i] / (1f + MathF.Exp(-gate[i])) * up[i];
    }

    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
