// The GRPO run options, each with its default and where it comes from (like TRL's GRPOConfig). Defaults follow the
// GRPO paper (DeepSeekMath §4.1/§4.2) where it states a value, TRL where it does not. Sources:
//   [DSM]  DeepSeekMath (Shao et al. 2024) — GRPO; [R1] DeepSeek-R1 (2025); [TRL] trl.GRPOConfig;
//   [DAPO] Yu et al. 2025; [DrGRPO] Liu et al. 2025, "Understanding R1-Zero-Like Training".
namespace SharpSeek.Reasoning;

/// <summary>Invalid GRPO options; the message says which value and how to fix it.</summary>
public sealed class GrpoOptionsException(string message) : ArgumentException(message);

public sealed record GrpoOptions
{
    /// <summary>G, completions sampled per prompt. [TRL] num_generations 8; [DSM] 64; [R1] 16. Must be ≥ 2.</summary>
    public int GroupSize { get; init; } = 8;
    /// <summary>Prompts per rollout batch (the batch has PromptsPerStep × G completions).</summary>
    public int PromptsPerStep { get; init; } = 8;
    /// <summary>μ, policy updates per rollout batch (DSM Algorithm 1). [DSM] 1 ("a single update"), [TRL] num_iterations 1. With μ = 1 the ratio is 1 and the clip never acts.</summary>
    public int Iterations { get; init; } = 1;
    /// <summary>ε (ε_low), the clip range of the ratio. [DSM]/[TRL] epsilon 0.2.</summary>
    public double Epsilon { get; init; } = 0.2;
    /// <summary>ε_high, the upper clip (DAPO clip-higher, 0.28 there). null = Epsilon (symmetric, as the paper). [TRL] epsilon_high.</summary>
    public double? EpsilonHigh { get; init; }
    /// <summary>β, the k3 KL penalty to the frozen reference. [DSM] 0.04 (TRL's former default); [TRL] 0.0 since v0.18, following DAPO/Dr. GRPO. β = 0 needs no reference model.</summary>
    public double Beta { get; init; } = 0.04;
    /// <summary>Loss normalisation. [DSM] SequenceMean; [TRL] now "dapo" (Token); [DrGRPO] DrGrpo.</summary>
    public LossType LossType { get; init; } = LossType.SequenceMean;
    /// <summary>Advantage scaling. [DSM] Group (÷ std); [DrGRPO] None. [TRL] scale_rewards "group".</summary>
    public AdvantageScaling ScaleRewards { get; init; } = AdvantageScaling.Group;
    /// <summary>Added to the std before dividing. [TRL] 1e-4.</summary>
    public double AdvantageEpsilon { get; init; } = 1e-4;
    /// <summary>Rollout sampling temperature. [TRL] 1.0 (R1's 0.6 is the evaluation setting, not the rollout one).</summary>
    public float Temperature { get; init; } = 1.0f;
    /// <summary>Rollout nucleus mass. [TRL] top_p 1.0 (off).</summary>
    public float TopP { get; init; } = 1.0f;
    /// <summary>Tokens a completion may have; longer ones are cut (and count as truncated). [TRL] max_completion_length 256.</summary>
    public int MaxCompletionLength { get; init; } = 256;
    /// <summary>Prompt tokens allowed; a longer prompt is an error (never silently cut). [TRL] max_prompt_length 512.</summary>
    public int MaxPromptLength { get; init; } = 512;
    /// <summary>AdamW learning rate. [DSM]/[TRL] 1e-6 (for 7B models; a tiny model trained from scratch needs a larger one — set it per run).</summary>
    public double LearningRate { get; init; } = 1e-6;
    /// <summary>Global gradient-norm clip. [TRL] max_grad_norm 1.0.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Drop truncated completions from the loss. [DAPO] true; [TRL] mask_truncated_completions false.</summary>
    public bool MaskTruncatedCompletions { get; init; }
    /// <summary>Skip groups whose rewards are all equal (no signal; a cheap form of DAPO's dynamic sampling). Off = the paper.</summary>
    public bool SkipZeroVarianceGroups { get; init; }
    /// <summary>Rollout and shuffling seed.</summary>
    public int Seed { get; init; }

    /// <summary>ε_high actually used.</summary>
    public double EpsilonHighOrDefault => EpsilonHigh ?? Epsilon;

    public GrpoOptions Validate()
    {
        Check(GroupSize >= 2, $"GroupSize (num_generations) is {GroupSize}; it must be ≥ 2: advantages compare the completions of a prompt with each other, so a group of 1 always has advantage 0. Use 4–16.");
        Check(PromptsPerStep >= 1, $"PromptsPerStep is {PromptsPerStep}; it must be ≥ 1.");
        Check(Iterations >= 1, $"Iterations (μ) is {Iterations}; it must be ≥ 1 (1 = one update per rollout batch, as in DeepSeekMath).");
        Check(Epsilon > 0 && Epsilon < 1, $"Epsilon is {Epsilon}; it must be in (0, 1) so the ratio is clipped to [1 − ε, 1 + ε]. 0.2 is the usual value.");
        Check(EpsilonHigh is null || (EpsilonHigh > 0 && double.IsFinite(EpsilonHigh.Value)), $"EpsilonHigh is {EpsilonHigh}; it must be > 0 (DAPO uses 0.28), or null to reuse Epsilon.");
        Check(Beta >= 0 && double.IsFinite(Beta), $"Beta is {Beta}; it must be ≥ 0 (0 = no KL penalty and no reference model; DeepSeekMath uses 0.04).");
        Check(Enum.IsDefined(LossType), $"LossType {(int)LossType} is not one of {string.Join(", ", Enum.GetNames<LossType>())}.");
        Check(Enum.IsDefined(ScaleRewards), $"ScaleRewards {(int)ScaleRewards} is not one of {string.Join(", ", Enum.GetNames<AdvantageScaling>())}.");
        Check(AdvantageEpsilon > 0 && double.IsFinite(AdvantageEpsilon), $"AdvantageEpsilon is {AdvantageEpsilon}; it must be > 0 so a group with equal rewards does not divide by zero (1e-4).");
        Check(Temperature > 0 && float.IsFinite(Temperature), $"Temperature is {Temperature}; it must be > 0: greedy rollouts make all G completions identical, so every advantage is 0. Use 1.0 (0.6 for evaluation).");
        Check(TopP > 0 && TopP <= 1, $"TopP is {TopP}; it must be in (0, 1] (1 = off).");
        Check(MaxCompletionLength >= 1, $"MaxCompletionLength is {MaxCompletionLength}; it must be ≥ 1 token (the reasoning needs room: 128–512 for the tiny tasks).");
        Check(MaxPromptLength >= 1, $"MaxPromptLength is {MaxPromptLength}; it must be ≥ 1 token.");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), $"LearningRate is {LearningRate}; it must be a positive number (1e-6 for large models, larger for tiny ones).");
        Check(MaxGradNorm > 0 && double.IsFinite(MaxGradNorm), $"MaxGradNorm is {MaxGradNorm}; it must be > 0 (use a large value to disable clipping).");
        return this;

        static void Check(bool ok, string message) { if (!ok) throw new GrpoOptionsException(message); }
    }
}
