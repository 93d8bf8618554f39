// Causal self-attention over a KV cache. Forward takes T new tokens at positions start..start+T-1:
// it first appends their keys/values to the cache, then lets each attend to every cached position ≤ its own.
namespace SharpSeek.Model;

public abstract class Attention
{
    /// <summary>Floats per cached token in the key / value rows of this layer.</summary>
    public abstract int KeyWidth { get; }
    public abstract int ValueWidth { get; }

    /// <summary>x: [T, hidden] (normed input) → y: [T, hidden]. Appends T rows at cache positions start.. .</summary>
    public abstract void Forward(ReadOnlySpan<float> x, int tokens, int start, KvCache cache, int layer, Span<float> y);

    public abstract long ParameterCount { get; }
}
