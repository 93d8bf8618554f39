// GRPO math against hand-computed values (each expected number is worked out in the comment beside it) and the
// gradients against central finite differences of the loss.
using SharpSeek.Reasoning;

namespace SharpSeek.Reasoning.Tests;

public class GrpoTests
{
    const double Tol = 1e-5;

    [Fact]
    public void Update_micro_batches_group_sequences_of_similar_length_and_keep_each_once()
    {
        int[] lengths = [300, 1500, 120, 310, 140, 900, 305, 130];
        var micro = GrpoRun.MicroBatches([0, 1, 2, 3, 4, 5, 6, 7], i => lengths[i], 3);
        Assert.Equal([[2, 7, 4], [0, 6, 3], [5, 1]], micro);
        Assert.Equal(Enumerable.Range(0, 8), micro.SelectMany(m => m).Order());
    }

    [Fact]
    public void Group_advantages_divide_by_the_unbiased_group_std()
    {
        // group 1: [1,0,0,1], mean 0.5, std = sqrt((4 × 0.25) / 3) = 0.577350 → ±0.5 / 0.577450 = ±0.865875
        // group 2: [0,0,0,1], mean 0.25, std = sqrt((3 × 0.0625 + 0.5625) / 3) = 0.5 → −0.25/0.5001, 0.75/0.5001
        // group 3: [1,1,1,1] → all 0 (no signal)
        float[] r = [1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1];
        var a = Grpo.Advantages(r, 4);
        double[] expected = [0.865875, -0.865875, -0.865875, 0.865875, -0.4999000, -0.4999000, -0.4999000, 1.4997001, 0, 0, 0, 0];
        for (int i = 0; i < r.Length; i++) Assert.Equal(expected[i], a[i], Tol);
    }

    [Fact]
    public void Dr_grpo_advantages_only_subtract_the_mean()
    {
        var a = Grpo.Advantages([0f, 0, 0, 1], 4, AdvantageScaling.None);
        Assert.Equal([-0.25f, -0.25f, -0.25f, 0.75f], a);
    }

    [Fact]
    public void Batch_scaled_advantages_use_the_std_of_all_rewards()
    {
        // rewards [0,0,0,1 | 1,1,1,1]: batch std (unbiased) = sqrt((3 × 0.625² + 5 × 0.375²) / 7) = 0.517549
        var a = Grpo.Advantages([0f, 0, 0, 1, 1, 1, 1, 1], 4, AdvantageScaling.Batch);
        Assert.Equal(-0.25 / 0.517649, a[0], Tol);
        Assert.Equal(0.75 / 0.517649, a[3], Tol);
        Assert.Equal(0, a[5], Tol);
    }

    [Fact]
    public void Advantages_reject_bad_shapes()
    {
        Assert.Throws<ArgumentException>(() => Grpo.Advantages([1f, 0, 1], 2));
        Assert.Throws<ArgumentException>(() => Grpo.Advantages([1f, 0], 1));          // std of one sample
        Assert.Equal([0f, 0f], Grpo.Advantages([1f, 0], 1, AdvantageScaling.None));
    }

    [Fact]
    public void Has_signal_is_false_for_equal_rewards()
    {
        Assert.False(Grpo.HasSignal([1f, 1, 1]));
        Assert.True(Grpo.HasSignal([1f, 0, 1]));
    }

    [Fact]
    public void Ratio_one_gives_minus_advantage()
    {
        var t = Grpo.Token(-1.3, -1.3, 0, advantage: 2, 0.2, 0.2, beta: 0);
        Assert.Equal(1, t.Ratio, Tol);
        Assert.Equal(-2, t.Loss, Tol);          // −min(1·2, 1·2)
        Assert.Equal(-2, t.Grad, Tol);          // −A ρ
        Assert.False(t.LowClipped || t.HighClipped);
    }

    [Theory]
    // ratio, A, ε_high, loss, grad, high-clipped
    [InlineData(1.5, 1, 0.2, -1.2, 0, true)]       // min(1.5, 1.2) = 1.2: the clip bound acts, no gradient
    [InlineData(1.5, 1, 0.28, -1.28, 0, true)]     // DAPO clip-higher: bound 1.28
    [InlineData(1.25, 1, 0.28, -1.25, -1.25, false)] // inside [0.8, 1.28]: −A ρ
    [InlineData(1.25, 1, 0.2, -1.2, 0, true)]      // the same ratio is clipped by the symmetric 0.2
    [InlineData(0.5, 1, 0.2, -0.5, -0.5, false)]   // min(0.5, 0.8) = 0.5: pessimistic side, gradient flows
    [InlineData(1.5, -1, 0.2, 1.5, 1.5, false)]    // min(−1.5, −1.2) = −1.5: gradient flows
    public void Clipped_surrogate(double ratio, double a, double epsHigh, double loss, double grad, bool highClipped)
    {
        var t = Grpo.Token(Math.Log(ratio), 0, 0, a, 0.2, epsHigh, 0);
        Assert.Equal(loss, t.Loss, Tol);
        Assert.Equal(grad, t.Grad, Tol);
        Assert.Equal(highClipped, t.HighClipped);
    }

    [Fact]
    public void Low_clip_with_negative_advantage()
    {
        // ρ = 0.5, A = −1: min(−0.5, 0.8 × −1) = −0.8 → loss 0.8, clipped below, gradient 0
        var t = Grpo.Token(Math.Log(0.5), 0, 0, -1, 0.2, 0.28, 0);
        Assert.Equal(0.8, t.Loss, Tol);
        Assert.Equal(0, t.Grad, Tol);
        Assert.True(t.LowClipped);
    }

    [Fact]
    public void K3_kl_and_its_gradient()
    {
        // logp = −1, ref = −2: d = ref − logp = −1 → k3 = e^−1 + 1 − 1 = 0.367879; dk3/dlogp = 1 − e^−1 = 0.632121
        Assert.Equal(0.367879, Grpo.KlK3(-1, -2), Tol);
        Assert.Equal(0.632121, Grpo.KlK3Grad(-1, -2), Tol);
        Assert.Equal(0, Grpo.KlK3(-0.7, -0.7), Tol);
        Assert.True(Grpo.KlK3(-3, -0.1) > 0 && Grpo.KlK3(-0.1, -3) > 0);
        // in a token with A = 0 and β = 0.1: loss 0.0367879, grad 0.0632121
        var t = Grpo.Token(-1, -1, -2, 0, 0.2, 0.2, 0.1);
        Assert.Equal(0.0367879, t.Loss, Tol);
        Assert.Equal(0.0632121, t.Grad, Tol);
    }

    [Fact]
    public void Token_gradient_matches_finite_differences()
    {
        var rng = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            double logp = -3 * rng.NextDouble(), old = logp + (rng.NextDouble() - 0.5), reference = -3 * rng.NextDouble();
            double a = rng.NextDouble() * 4 - 2, beta = rng.NextDouble() * 0.2;
            double ratio = Math.Exp(logp - old);
            if (Math.Abs(ratio - 0.8) < 1e-3 || Math.Abs(ratio - 1.28) < 1e-3) continue;     // kinks of the clip
            const double h = 1e-6;
            double numeric = (Grpo.Token(logp + h, old, reference, a, 0.2, 0.28, beta).Loss - Grpo.Token(logp - h, old, reference, a, 0.2, 0.28, beta).Loss) / (2 * h);
            Assert.Equal(numeric, Grpo.Token(logp, old, reference, a, 0.2, 0.28, beta).Grad, 1e-6);
        }
    }

    [Fact]
    public void Sequence_weights_per_loss_type()
    {
        int[] lengths = [2, 4];
        var w = new float[2];
        Grpo.SequenceWeights(LossType.SequenceMean, lengths, 8, w);
        Assert.Equal([1 / 4f, 1 / 8f], w);                   // 1 / (N |o_i|), N = 2
        Grpo.SequenceWeights(LossType.Token, lengths, 8, w);
        Assert.Equal([1 / 6f, 1 / 6f], w);                   // 1 / Σ|o| = 1/6
        Grpo.SequenceWeights(LossType.DrGrpo, lengths, 8, w);
        Assert.Equal([1 / 16f, 1 / 16f], w);                 // 1 / (N L_max) = 1/16
        Grpo.SequenceWeights(LossType.Token, lengths, 8, w, [true, false]);
        Assert.Equal([1 / 2f, 0f], w);                       // the truncated one is masked out of Σ|o|
    }

    [Fact]
    public void Batch_loss_by_hand()
    {
        // two sequences, lengths [1, 2], μ = 1 (ratio 1), β = 0, advantages [1, −1]; every token loss is −A_i
        float[] logp = [-0.5f, -1f, -2f];
        int[] lengths = [1, 2];
        float[] adv = [1, -1];
        var w = new float[2];
        var d = new float[3];
        // sequence mean: w = [1/2, 1/4] → L = ½(−1) + ¼(1 + 1) = 0; dL/dlogp = w_i × (−A_i) = [−½, ¼, ¼]
        Grpo.SequenceWeights(LossType.SequenceMean, lengths, 4, w);
        var s = Grpo.Loss(logp, [], [], lengths, adv, w, 0.2, 0.2, 0, d);
        Assert.Equal(0, s.Loss, Tol);
        Assert.Equal([-0.5f, 0.25f, 0.25f], d);
        Assert.Equal(3, s.Tokens);
        // token level: w = 1/3 → L = (−1 + 1 + 1) / 3 = 1/3; gradient ∓1/3
        Grpo.SequenceWeights(LossType.Token, lengths, 4, w);
        s = Grpo.Loss(logp, [], [], lengths, adv, w, 0.2, 0.2, 0, d);
        Assert.Equal(1 / 3.0, s.Loss, Tol);
        Assert.Equal(-1 / 3.0, d[0], Tol);
        Assert.Equal(1 / 3.0, d[2], Tol);
        // Dr. GRPO with L_max 4: w = 1/(2 × 4) → L = 1/8
        Grpo.SequenceWeights(LossType.DrGrpo, lengths, 4, w);
        Assert.Equal(1 / 8.0, Grpo.Loss(logp, [], [], lengths, adv, w, 0.2, 0.2, 0, d).Loss, Tol);
    }

    [Fact]
    public void Batch_gradient_matches_finite_differences_and_reports_clipping()
    {
        var rng = new Random(7);
        int[] lengths = [3, 5, 2, 4];
        int total = lengths.Sum();
        var logp = Enumerable.Range(0, total).Select(_ => (float)(-3 * rng.NextDouble())).ToArray();
        var old = logp.Select(x => x + (float)(rng.NextDouble() - 0.5) * 0.8f).ToArray();
        var reference = logp.Select(x => x + (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] adv = [1.2f, -0.7f, 0.4f, -1.1f];
        var w = new float[4];
        Grpo.SequenceWeights(LossType.SequenceMean, lengths, 8, w);
        var d = new float[total];
        var stats = Grpo.Loss(logp, old, reference, lengths, adv, w, 0.2, 0.28, 0.04, d);
        Assert.True(stats.ClipFraction > 0, "the perturbed old policy should clip some tokens");
        Assert.True(stats.MeanKl > 0);
        var scratch = new float[total];
        for (int t = 0; t < total; t++)
        {
            const float h = 1e-3f;
            var plus = (float[])logp.Clone(); plus[t] += h;
            var minus = (float[])logp.Clone(); minus[t] -= h;
            double numeric = (Grpo.Loss(plus, old, reference, lengths, adv, w, 0.2, 0.28, 0.04, scratch).Loss
                            - Grpo.Loss(minus, old, reference, lengths, adv, w, 0.2, 0.28, 0.04, scratch).Loss) / (2 * h);
            Assert.Equal(numeric, d[t], 1e-3);
        }
    }

    [Fact]
    public void Loss_rejects_mismatched_layouts()
    {
        var d = new float[3];
        float[] w = [1, 1];
        Assert.Throws<ArgumentException>(() => Grpo.Loss(new float[3], [], [], [1, 1], [1, 1], w, 0.2, 0.2, 0, d));             // lengths sum 2
        Assert.Throws<ArgumentException>(() => Grpo.Loss(new float[3], [], [], [1, 2], [1, 1], w, 0.2, 0.2, 0.1, d));           // β > 0 without ref
        Assert.Throws<ArgumentException>(() => Grpo.Loss(new float[3], new float[2], [], [1, 2], [1, 1], w, 0.2, 0.2, 0, d));    // old too short
    }

    [Fact]
    public void Options_defaults_validate_and_bad_values_say_how_to_fix()
    {
        var o = new GrpoOptions().Validate();
        Assert.Equal(8, o.GroupSize);
        Assert.Equal(0.2, o.EpsilonHighOrDefault);
        Assert.Equal(0.28, (o with { EpsilonHigh = 0.28 }).EpsilonHighOrDefault);
        Assert.Contains("≥ 2", Assert.Throws<GrpoOptionsException>(() => (o with { GroupSize = 1 }).Validate()).Message);
        Assert.Contains("greedy", Assert.Throws<GrpoOptionsException>(() => (o with { Temperature = 0 }).Validate()).Message);
        Assert.Contains("(0, 1)", Assert.Throws<GrpoOptionsException>(() => (o with { Epsilon = 1.5 }).Validate()).Message);
        Assert.Throws<GrpoOptionsException>(() => (o with { Beta = -0.1 }).Validate());
        Assert.Throws<GrpoOptionsException>(() => (o with { TopP = 0 }).Validate());
        Assert.Throws<GrpoOptionsException>(() => (o with { Iterations = 0 }).Validate());
        Assert.Throws<GrpoOptionsException>(() => (o with { LearningRate = double.NaN }).Validate());
        Assert.Throws<GrpoOptionsException>(() => (o with { LossType = (LossType)9 }).Validate());
        Assert.Throws<GrpoOptionsException>(() => (o with { MaxCompletionLength = 0 }).Validate());
    }
}

public class GrpoBatchTests
{
    static readonly Problem P = new SharpSeek.Reasoning.Tasks.ArithmeticProblem(12, '+', 7);
    const string Right = "<think>12 + 7</think>\n<answer>19</answer>", Wrong = "<think>12 + 7</think>\n<answer>18</answer>";

    [Fact]
    public void Prepare_scores_groups_and_weights_sequences()
    {
        var options = new GrpoOptions { GroupSize = 2, LossType = LossType.Token, MaskTruncatedCompletions = true, SkipZeroVarianceGroups = true };
        var rewards = RewardConfig.Parse("accuracy=1,format=0.1");
        RolloutGroup[] groups =
        [
            new(P, [Right, Wrong], [4, 6], [true, false]),       // rewards 1.1, 0.1; the wrong one was truncated
            new(P, [Wrong, Wrong], [5, 5], [true, true]),        // equal rewards: no signal, skipped
        ];
        var b = GrpoBatch.Prepare(groups, rewards, options);
        Assert.Equal([1.1f, 0.1f, 0.1f, 0.1f], b.Rewards);
        // group 1: mean 0.6, std (N−1) = 0.707107 → ±0.5 / 0.707207
        Assert.Equal(0.5 / 0.707207, b.Advantages[0], 1e-5);
        Assert.Equal(-0.5 / 0.707207, b.Advantages[1], 1e-5);
        Assert.Equal([0f, 0f], b.Advantages[2..]);
        Assert.Equal([true, false, false, false], b.Keep);
        Assert.Equal([1 / 4f, 0f, 0f, 0f], b.Weights);           // token-level over the one kept sequence (4 tokens)
        Assert.Equal(0.25, b.Stats.Accuracy);
        Assert.Equal(1, b.Stats.FormatRate);
        Assert.Equal(0.25, b.Stats.TruncatedFraction);
        Assert.Equal(0.5, b.Stats.SignalFraction);
        Assert.Equal(5, b.Stats.MeanLength);
        Assert.Throws<ArgumentException>(() => GrpoBatch.Prepare([new(P, [Right], [1], [true])], rewards, options));
    }
}
