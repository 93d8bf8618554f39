// GRPO's math as small pure functions (DeepSeekMath §4.1, eq. 3 and 4; DeepSeek-R1 §2.2.1), with DAPO's clip-higher and
// token-level normalisation and Dr. GRPO's unscaled advantages and constant normaliser. The trainer supplies per-token
// log-probs of the sampled completion tokens and backpropagates dL/dlogp_t (what Loss writes) through the model.
//
// Layout: a batch is N = prompts × G sequences, group-major (prompt 0's G completions, then prompt 1's, …). Token
// arrays are the sequences' completion tokens concatenated: logp [Σ|o_i|], lengths [N], advantages [N].
//
//   advantage   A_i = (r_i − mean(r_group)) / (std(r_group) + eps)        (std unbiased, N−1, as torch.std in TRL)
//   ratio       ρ_t = exp(logp_t − old_t)                                   (old = the policy that sampled; = logp when μ = 1)
//   surrogate   s_t = min(ρ_t A_i, clip(ρ_t, 1 − ε_low, 1 + ε_high) A_i)
//   k3 KL       k_t = exp(ref_t − logp_t) − (ref_t − logp_t) − 1          (Schulman's unbiased, non-negative estimator)
//   token loss  ℓ_t = −s_t + β k_t
//   batch loss  L = Σ_i w_i Σ_t ℓ_{i,t}, w_i from the loss type (SequenceWeights)
//   gradient    dℓ_t/dlogp_t = −A_i ρ_t [not clipped] + β (1 − exp(ref_t − logp_t))
//               "clipped" = the clip bound is the smaller term: ρ_t > 1 + ε_high with A_i > 0, or ρ_t < 1 − ε_low with A_i < 0
namespace SharpSeek.Reasoning;

/// <summary>How the summed token losses are normalised.</summary>
public enum LossType
{
    /// <summary>GRPO paper (DeepSeekMath eq. 3): mean over tokens within each sequence, then mean over sequences. w_i = 1 / (N |o_i|). TRL "grpo".</summary>
    SequenceMean,
    /// <summary>DAPO (eq. 8): every token weighs the same across the batch. w_i = 1 / Σ_j |o_j|. TRL "dapo" / "bnpo".</summary>
    Token,
    /// <summary>Dr. GRPO: a constant normaliser, no length bias. w_i = 1 / (N · max_completion_length). TRL "dr_grpo".</summary>
    DrGrpo,
}

/// <summary>How advantages are scaled after subtracting the group mean.</summary>
public enum AdvantageScaling
{
    /// <summary>÷ (std of the group + eps): the GRPO paper. TRL scale_rewards "group".</summary>
    Group,
    /// <summary>÷ (std of all rewards in the batch + eps). TRL scale_rewards "batch".</summary>
    Batch,
    /// <summary>No scaling (Dr. GRPO: the std division biases toward too-easy and too-hard questions). TRL "none".</summary>
    None,
}

/// <summary>One token's loss term, its gradient with respect to logp, and what it did.</summary>
public readonly record struct TokenTerm(double Loss, double Grad, double Ratio, double Kl, bool LowClipped, bool HighClipped);

/// <summary>Batch statistics TRL logs: loss, mean k3 KL, fraction of tokens clipped (low / high / either).</summary>
public readonly record struct GrpoStats(double Loss, double MeanKl, double LowClipFraction, double HighClipFraction, int Tokens)
{
    public double ClipFraction => LowClipFraction + HighClipFraction;
}

public static class Grpo
{
    /// <summary>
    /// Advantages of <paramref name="rewards"/> [groups × groupSize], group-major. Group scaling needs groupSize ≥ 2
    /// (a one-sample std is undefined). A group whose rewards are all equal gets advantages 0 (it carries no signal).
    /// </summary>
    public static void Advantages(ReadOnlySpan<float> rewards, int groupSize, Span<float> advantages, AdvantageScaling scaling = AdvantageScaling.Group, double eps = 1e-4)
    {
        if (groupSize < 1 || rewards.Length % groupSize != 0)
            throw new ArgumentException($"{rewards.Length} rewards do not split into groups of {groupSize}");
        if (advantages.Length != rewards.Length) throw new ArgumentException($"advantages has {advantages.Length} slots for {rewards.Length} rewards");
        if (scaling == AdvantageScaling.Group && groupSize < 2) throw new ArgumentException("group-std advantages need groupSize ≥ 2; use AdvantageScaling.None or a larger group");
        double batchStd = scaling == AdvantageScaling.Batch ? Std(rewards, Mean(rewards)) : 0;
        for (int g = 0; g < rewards.Length; g += groupSize)
        {
            var r = rewards.Slice(g, groupSize);
            double mean = Mean(r);
            double scale = scaling switch
            {
                AdvantageScaling.Group => Std(r, mean) + eps,
                AdvantageScaling.Batch => batchStd + eps,
                _ => 1,
            };
            for (int i = 0; i < groupSize; i++) advantages[g + i] = (float)((r[i] - mean) / scale);
        }
    }

    public static float[] Advantages(IReadOnlyList<float> rewards, int groupSize, AdvantageScaling scaling = AdvantageScaling.Group, double eps = 1e-4)
    {
        var a = new float[rewards.Count];
        Advantages(rewards.ToArray(), groupSize, a, scaling, eps);
        return a;
    }

    static double Mean(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (var v in x) s += v;
        return s / x.Length;
    }

    /// <summary>Unbiased (N − 1) standard deviation, as torch.std; 0 for a single value.</summary>
    static double Std(ReadOnlySpan<float> x, double mean)
    {
        if (x.Length < 2) return 0;
        double s = 0;
        foreach (var v in x) s += (v - mean) * (v - mean);
        return Math.Sqrt(s / (x.Length - 1));
    }

    /// <summary>True when a group's rewards differ (DAPO's dynamic sampling keeps only such groups).</summary>
    public static bool HasSignal(ReadOnlySpan<float> groupRewards)
    {
        foreach (var r in groupRewards) if (r != groupRewards[0]) return true;
        return false;
    }

    /// <summary>k3 estimator of KL(π ‖ π_ref) at one token: exp(ref − logp) − (ref − logp) − 1 (≥ 0).</summary>
    public static double KlK3(double logp, double refLogp)
    {
        double d = refLogp - logp;
        return Math.Exp(d) - d - 1;
    }

    /// <summary>d k3 / d logp = 1 − exp(ref − logp).</summary>
    public static double KlK3Grad(double logp, double refLogp) => 1 - Math.Exp(refLogp - logp);

    /// <summary>One token: ℓ = −min(ρA, clip(ρ, 1−ε_low, 1+ε_high)A) + β k3, and dℓ/dlogp.</summary>
    public static TokenTerm Token(double logp, double oldLogp, double refLogp, double advantage, double epsLow, double epsHigh, double beta)
    {
        double ratio = Math.Exp(logp - oldLogp);
        double clipped = Math.Clamp(ratio, 1 - epsLow, 1 + epsHigh);
        double surrogate = Math.Min(ratio * advantage, clipped * advantage);
        bool low = advantage < 0 && ratio < 1 - epsLow;
        bool high = advantage > 0 && ratio > 1 + epsHigh;
        double grad = low || high ? 0 : -advantage * ratio;
        double kl = 0;
        if (beta != 0)
        {
            kl = KlK3(logp, refLogp);
            grad += beta * KlK3Grad(logp, refLogp);
        }
        return new TokenTerm(-surrogate + beta * kl, grad, ratio, kl, low, high);
    }

    /// <summary>
    /// The per-sequence weights w_i of the loss type over the WHOLE batch (compute once per batch and slice them for
    /// micro-batches, so gradient accumulation gives the same gradient as one big batch). keep[i] = false drops a
    /// sequence (DAPO's masking of truncated completions): weight 0, its tokens not counted in Σ|o|; N still counts it.
    /// </summary>
    public static void SequenceWeights(LossType type, ReadOnlySpan<int> lengths, int maxCompletionLength, Span<float> weights, ReadOnlySpan<bool> keep = default)
    {
        int n = lengths.Length;
        if (weights.Length != n) throw new ArgumentException($"weights has {weights.Length} slots for {n} sequences");
        if (!keep.IsEmpty && keep.Length != n) throw new ArgumentException($"keep has {keep.Length} flags for {n} sequences");
        long tokens = 0;
        for (int i = 0; i < n; i++) if (keep.IsEmpty || keep[i]) tokens += lengths[i];
        for (int i = 0; i < n; i++)
        {
            if (!keep.IsEmpty && !keep[i]) { weights[i] = 0; continue; }
            weights[i] = type switch
            {
                LossType.SequenceMean => 1f / (n * Math.Max(1, lengths[i])),
                LossType.Token => 1f / Math.Max(1, tokens),
                LossType.DrGrpo => 1f / ((float)n * maxCompletionLength),
                _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown loss type"),
            };
        }
    }

    /// <summary>
    /// The batch (or micro-batch) loss L = Σ_i w_i Σ_t ℓ_{i,t} and its gradient dL/dlogp written into dlogp (same
    /// layout as logp). oldLogp empty = logp (μ = 1: ratio 1); refLogp may be empty when beta = 0.
    /// </summary>
    public static GrpoStats Loss(ReadOnlySpan<float> logp, ReadOnlySpan<float> oldLogp, ReadOnlySpan<float> refLogp,
        ReadOnlySpan<int> lengths, ReadOnlySpan<float> advantages, ReadOnlySpan<float> weights,
        double epsLow, double epsHigh, double beta, Span<float> dlogp)
    {
        long total = 0;
        foreach (var l in lengths) total += l >= 0 ? l : throw new ArgumentException($"negative sequence length {l}");
        if (logp.Length != total) throw new ArgumentException($"logp has {logp.Length} entries; the lengths sum to {total}");
        if (!oldLogp.IsEmpty && oldLogp.Length != total) throw new ArgumentException($"oldLogp has {oldLogp.Length} entries, expected {total} (or none when μ = 1)");
        if (beta != 0 && refLogp.Length != total) throw new ArgumentException($"refLogp has {refLogp.Length} entries, expected {total} (β = {beta} needs the reference log-probs)");
        if (advantages.Length != lengths.Length || weights.Length != lengths.Length)
            throw new ArgumentException($"{lengths.Length} sequences but {advantages.Length} advantages and {weights.Length} weights");
        if (dlogp.Length != total) throw new ArgumentException($"dlogp has {dlogp.Length} entries, expected {total}");

        double loss = 0, kl = 0;
        int low = 0, high = 0, t = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            double w = weights[i];
            for (int j = 0; j < lengths[i]; j++, t++)
            {
                double old = oldLogp.IsEmpty ? logp[t] : oldLogp[t];
                double reference = beta != 0 ? refLogp[t] : 0;
                var term = Token(logp[t], old, reference, advantages[i], epsLow, epsHigh, beta);
                loss += w * term.Loss;
                dlogp[t] = (float)(w * term.Grad);
                kl += term.Kl;
                if (term.LowClipped) low++;
                if (term.HighClipped) high++;
            }
        }
        int n = Math.Max(1, t);
        return new GrpoStats(loss, kl / n, (double)low / n, (double)high / n, t);
    }
}
