// SwiGLU feed-forward: down(silu(gate(x)) ⊙ up(x)). Used as the dense MLP, a routed expert and the shared experts.
using SharpSeek.Tensors;

namespace SharpSeek.Model;

public sealed class Mlp(Linear gate, Linear up, Linear down)
{
    public Linear Gate { get; } = gate;
    public Linear Up { get; } = up;
    public Linear Down { get; } = down;

    public static Mlp Load(WeightLoader w, string prefix, string keys, int dim, int hidden) => new(
        w.Linear(prefix + ".gate_proj", keys, hidden, dim),
        w.Linear(prefix + ".up_proj", keys, hidden, dim),
        w.Linear(prefix + ".down_proj", keys, dim, hidden));

    /// <summary>x: [dim] → y: [dim] (overwritten).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        var g = new float[Gate.Out];
        var u = new float[Up.Out];
        Gate.Forward(x, g);
        Up.Forward(x, u);
        Ops.SwiGlu(g, u);
        Down.Forward(g, y);
    }

    public long ParameterCount => Gate.ParameterCount + Up.ParameterCount + Down.ParameterCount;
}
