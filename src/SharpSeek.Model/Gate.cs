// DeepSeekMoE router. V3: s = sigmoid(W·x); the e_score_correction_bias is added for *selection only*
// (auxiliary-loss-free balancing, V3 paper §2.1.2); groups scored by the sum of their top-2 biased scores,
// the best topk_group kept; weights from the unbiased scores, renormalised, × routed_scaling_factor.
// V2: s = softmax(W·x), greedy or group-limited (group score = max) top-k.
using SharpSeek.Tensors;

namespace SharpSeek.Model;

public sealed class Gate(DeepseekV3Config config, float[] weight, float[]? bias)
{
    public float[] Weight { get; } = weight;             // [n_routed_experts, hidden_size]
    public float[]? Bias { get; } = bias;                // e_score_correction_bias [n_routed_experts] (noaux_tc only)
    public DeepseekV3Config Config { get; } = config;

    /// <summary>Floats of scratch Route needs.</summary>
    public int ScratchSize => 2 * Config.NRoutedExperts + Config.NGroup;

    /// <summary>x: [hidden] → indices, weights: [num_experts_per_tok].</summary>
    public void Route(ReadOnlySpan<float> x, Span<int> indices, Span<float> weights) => Route(x, indices, weights, new float[ScratchSize]);

    /// <summary>As above without allocating: scratch holds at least ScratchSize floats.</summary>
    public void Route(ReadOnlySpan<float> x, Span<int> indices, Span<float> weights, Span<float> scratch)
    {
        var c = Config;
        int n = c.NRoutedExperts, k = c.NumExpertsPerTok;
        var scores = scratch[..n];
        Ops.MatVec(Weight, x, scores);
        if (c.ScoringFunc == "sigmoid") for (int i = 0; i < n; i++) scores[i] = Ops.Sigmoid(scores[i]);
        else Ops.Softmax(scores, scores);

        var choice = scratch.Slice(n, n);
        scores.CopyTo(choice);
        if (Bias is not null) for (int i = 0; i < n; i++) choice[i] += Bias[i];

        if (c.TopkMethod != "greedy" && c.NGroup > 1) MaskGroups(choice, scratch.Slice(2 * n, c.NGroup));

        Ops.TopK(choice, indices[..k]);
        float sum = 0;
        for (int j = 0; j < k; j++) { weights[j] = scores[indices[j]]; sum += weights[j]; }

        bool normalize = k > 1 && c.NormTopkProb;
        if (normalize) for (int j = 0; j < k; j++) weights[j] /= sum + 1e-20f;
        // V3 always scales; V2 (HF modeling_deepseek) scales only when it does not normalise.
        if (c.IsV3 || !normalize) for (int j = 0; j < k; j++) weights[j] *= (float)c.RoutedScalingFactor;
    }

    // Keeps the topk_group best groups; experts of the others get -inf so top-k cannot pick them.
    void MaskGroups(Span<float> choice, Span<float> groupScore)
    {
        int groups = Config.NGroup, perGroup = choice.Length / groups;
        Span<int> top2 = stackalloc int[2];
        for (int g = 0; g < groups; g++)
        {
            var s = choice.Slice(g * perGroup, perGroup);
            if (Config.TopkMethod == "noaux_tc")
            {
                Ops.TopK(s, top2);
                groupScore[g] = s[top2[0]] + s[top2[1]];
            }
            else groupScore[g] = System.Numerics.Tensors.TensorPrimitives.Max(s);
        }
        Span<int> keep = stackalloc int[Config.TopkGroup];
        Ops.TopK(groupScore, keep);
        for (int g = 0; g < groups; g++)
            if (!keep.Contains(g)) choice.Slice(g * perGroup, perGroup).Fill(float.NegativeInfinity);
    }
}
