// DeepSeekMoE layer: y = Σ_{e ∈ top-k} w_e · expert_e(x) + shared(x). This is the dense-loop reference;
// grouping tokens by expert is the fast path's business.
namespace SharpSeek.Model;

public sealed class Moe(Gate gate, Mlp[] experts, Mlp? shared)
{
    public Gate Gate { get; } = gate;
    public Mlp[] Experts { get; } = experts;
    public Mlp? Shared { get; } = shared;

    public static Moe Load(WeightLoader w, DeepseekV3Config c, string prefix)
    {
        int d = c.HiddenSize, n = c.NRoutedExperts;
        var gateW = w.Load(prefix + ".gate.weight", "n_routed_experts, hidden_size", n, d);
        float[]? bias = c.TopkMethod == "noaux_tc"
            ? w.Load(prefix + ".gate.e_score_correction_bias", "n_routed_experts (topk_method noaux_tc)", n)
            : null;
        var experts = new Mlp[n];
        for (int e = 0; e < n; e++)
            experts[e] = Mlp.Load(w, $"{prefix}.experts.{e}", "moe_intermediate_size, hidden_size", d, c.MoeIntermediateSize);
        var shared = c.NSharedExperts > 0
            ? Mlp.Load(w, prefix + ".shared_experts", "n_shared_experts × moe_intermediate_size", d, c.NSharedExperts * c.MoeIntermediateSize)
            : null;
        return new Moe(new Gate(c, gateW, bias), experts, shared);
    }

    /// <summary>x: [hidden] → y: [hidden] (overwritten).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int k = Gate.Config.NumExpertsPerTok;
        Span<int> idx = stackalloc int[k];
        Span<float> wts = stackalloc float[k];
        Gate.Route(x, idx, wts);
        var tmp = new float[y.Length];
        if (Shared is not null) Shared.Forward(x, y); else y.Clear();
        for (int j = 0; j < k; j++)
        {
            Experts[idx[j]].Forward(x, tmp);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(tmp, wts[j], y, y);
        }
    }

    public long ParameterCount => Gate.Weight.LongLength + (Gate.Bias?.LongLength ?? 0)
        + Experts.Sum(e => e.ParameterCount) + (Shared?.ParameterCount ?? 0);

    /// <summary>Parameters one token touches: gate, shared, and num_experts_per_tok experts.</summary>
    public long ActiveParameterCount => Gate.Weight.LongLength + (Shared?.ParameterCount ?? 0)
        + Gate.Config.NumExpertsPerTok * Experts[0].ParameterCount;
}
