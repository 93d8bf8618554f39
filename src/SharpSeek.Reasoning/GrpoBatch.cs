// From one rollout batch to what the GRPO update needs: rewards (rule rewards per group), advantages, per-sequence loss
// weights (with DAPO's masking of truncated completions and the skipping of zero-signal groups when asked), and the
// statistics the reward / length curves plot. Pure: the trainer supplies the completions and their token counts.
namespace SharpSeek.Reasoning;

/// <summary>The G completions of one prompt: text, generated token counts, and whether each ended with EOS.</summary>
public sealed record RolloutGroup(Problem Problem, IReadOnlyList<string> Completions, IReadOnlyList<int> Lengths, IReadOnlyList<bool> Finished);

/// <summary>Batch means for the curves: reward, accuracy, format, length (tokens), truncation, groups with signal.</summary>
public sealed record GrpoBatchStats(double MeanReward, double Accuracy, double FormatRate, double MeanLength, double TruncatedFraction, double SignalFraction);

/// <summary>Per-sequence arrays, group-major [prompts × G]; Keep = false drops a sequence from the loss (weight 0).</summary>
public sealed record GrpoBatch(float[] Rewards, float[] Advantages, float[] Weights, bool[] Keep, int[] Lengths, RewardScores[] Scores, GrpoBatchStats Stats)
{
    public static GrpoBatch Prepare(IReadOnlyList<RolloutGroup> groups, RewardConfig rewards, GrpoOptions options)
    {
        options.Validate();
        rewards.Validate();
        int g = options.GroupSize, n = groups.Count * g;
        var scores = new RewardScores[n];
        var r = new float[n];
        var lengths = new int[n];
        var keep = new bool[n];
        double acc = 0, fmt = 0;
        int truncated = 0, signal = 0;
        for (int p = 0; p < groups.Count; p++)
        {
            var grp = groups[p];
            if (grp.Completions.Count != g || grp.Lengths.Count != g || grp.Finished.Count != g)
                throw new ArgumentException($"group {p} has {grp.Completions.Count} completions, {grp.Lengths.Count} lengths and {grp.Finished.Count} finished flags; GroupSize is {g}");
            var s = SharpSeek.Reasoning.Rewards.Score(rewards, grp.Completions.Select((c, i) => new RewardInput(grp.Problem, c, grp.Lengths[i])).ToList());
            for (int i = 0; i < g; i++)
            {
                int j = p * g + i;
                scores[j] = s[i];
                r[j] = (float)s[i].Total;
                lengths[j] = grp.Lengths[i];
                keep[j] = !(options.MaskTruncatedCompletions && !grp.Finished[i]);
                acc += SharpSeek.Reasoning.Rewards.Accuracy(grp.Problem, grp.Completions[i]);
                fmt += SharpSeek.Reasoning.Rewards.Format(grp.Completions[i]);
                if (!grp.Finished[i]) truncated++;
            }
            bool hasSignal = Grpo.HasSignal(r.AsSpan(p * g, g));
            if (hasSignal) signal++;
            else if (options.SkipZeroVarianceGroups) for (int i = 0; i < g; i++) keep[p * g + i] = false;
        }
        var adv = new float[n];
        Grpo.Advantages(r, g, adv, options.ScaleRewards, options.AdvantageEpsilon);
        var weights = new float[n];
        Grpo.SequenceWeights(options.LossType, lengths, options.MaxCompletionLength, weights, keep);
        int m = Math.Max(1, n);
        var stats = new GrpoBatchStats(r.Sum() / (double)m, acc / m, fmt / m, lengths.Sum() / (double)m, (double)truncated / m, groups.Count == 0 ? 0 : (double)signal / groups.Count);
        return new GrpoBatch(r, adv, weights, keep, lengths, scores, stats);
    }
}
