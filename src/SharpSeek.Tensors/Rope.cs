// Rotary position embedding applied with precomputed cos/sin rows (one row = dim/2 angles for one position).
// Two layouts: interleaved pairs (x[2i], x[2i+1]) as DeepSeek's checkpoints store q_pe/k_pe, and rotate-half
// pairs (x[i], x[i + dim/2]) as HF Qwen2/Llama checkpoints use.
namespace SharpSeek.Tensors;

public static partial class Ops
{
    /// <summary>x: [dim], rotated in place; cos, sin: [dim/2] for this position.</summary>
    public static void RopeInterleaved(Span<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        CheckRope(x, cos, sin);
        for (int i = 0; i < cos.Length; i++)
        {
            float a = x[2 * i], b = x[2 * i + 1];
            x[2 * i] = a * cos[i] - b * sin[i];
            x[2 * i + 1] = a * sin[i] + b * cos[i];
        }
    }

    /// <summary>x: [dim], rotated in place; pairs (x[i], x[i + dim/2]).</summary>
    public static void RopeHalf(Span<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        CheckRope(x, cos, sin);
        int half = cos.Length;
        for (int i = 0; i < half; i++)
        {
            float a = x[i], b = x[i + half];
            x[i] = a * cos[i] - b * sin[i];
            x[i + half] = b * cos[i] + a * sin[i];
        }
    }

    static void CheckRope(Span<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        if (x.Length != 2 * cos.Length || sin.Length != cos.Length)
            throw new ArgumentException($"rope: x has {x.Length} elements, cos {cos.Length}, sin {sin.Length}; expected x = 2·cos");
    }
}
