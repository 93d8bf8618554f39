// AdamW (Loshchilov & Hutter 2019) over the arena, in PyTorch's exact form (decoupled decay p ← p·(1 − lr·wd), bias
// corrections, denom = √v / √(1 − β₂ᵗ) + ε), global-norm gradient clipping, and the learning-rate schedules
// (linear warm-up then cosine, or warm-up–stable–decay). Chunked in a fixed order, so results are thread-count free.
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Training;

public sealed record AdamWOptions(float Beta1 = 0.9f, float Beta2 = 0.95f, float Eps = 1e-8f, float WeightDecay = 0.1f);

public static class AdamW
{
    const int Chunk = 1 << 14;

    /// <summary>One update with step number t (1-based) and learning rate lr; skips non-trainable slices.</summary>
    public static void Step(ParameterArena a, int t, float lr, AdamWOptions o)
    {
        float bc1 = 1 - MathF.Pow(o.Beta1, t), bc2Sqrt = MathF.Sqrt(1 - MathF.Pow(o.Beta2, t));
        float stepSize = lr / bc1;
        var work = new List<(int Off, int Len, bool Decay)>();
        foreach (var s in a.Slices)
        {
            if (!s.Trainable) continue;
            for (int i = 0; i < s.Length; i += Chunk) work.Add((s.Offset + i, Math.Min(Chunk, s.Length - i), s.Decay));
        }
        var p = a.Data; var g = a.Grad; var m = a.M; var v = a.V;
        WorkerPool.Shared.ForEach(work.Count, w =>
        {
            var (off, len, decay) = work[w];
            var ps = p.AsSpan(off, len); var gs = g.AsSpan(off, len); var ms = m.AsSpan(off, len); var vs = v.AsSpan(off, len);
            if (decay && o.WeightDecay != 0) TensorPrimitives.Multiply(ps, 1 - lr * o.WeightDecay, ps);
            for (int i = 0; i < len; i++)
            {
                float gi = gs[i];
                float mi = ms[i] = o.Beta1 * ms[i] + (1 - o.Beta1) * gi;
                float vi = vs[i] = o.Beta2 * vs[i] + (1 - o.Beta2) * gi * gi;
                ps[i] -= stepSize * mi / (MathF.Sqrt(vi) / bc2Sqrt + o.Eps);
            }
        });
    }

    /// <summary>√(Σ g²) over trainable slices (double accumulation, fixed order).</summary>
    public static double GradNorm(ParameterArena a)
    {
        var parts = new List<(int Off, int Len)>();
        foreach (var s in a.Slices)
            if (s.Trainable) for (int i = 0; i < s.Length; i += Chunk) parts.Add((s.Offset + i, Math.Min(Chunk, s.Length - i)));
        var sums = new double[parts.Count];
        var g = a.Grad;
        WorkerPool.Shared.ForEach(parts.Count, w =>
        {
            double acc = 0;
            foreach (var x in g.AsSpan(parts[w].Off, parts[w].Len)) acc += (double)x * x;
            sums[w] = acc;
        });
        return Math.Sqrt(sums.Sum());
    }

    /// <summary>PyTorch clip_grad_norm_: scales grads by max/(norm + 1e-6) when that is below 1; returns the norm.</summary>
    public static double ClipGradNorm(ParameterArena a, double maxNorm)
    {
        double norm = GradNorm(a);
        if (maxNorm > 0 && double.IsFinite(norm))
        {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1)
                foreach (var s in a.Slices) if (s.Trainable) TensorPrimitives.Multiply(a.G(s), (float)coef, a.G(s));
        }
        return norm;
    }
}

public enum LrSchedule { Cosine, Wsd, Constant }

/// <summary>lr(step) for step = 0.. : linear warm-up to Max over Warmup steps, then cosine to Min at Total (Cosine),
/// or constant until the last DecayFraction of Total and linear to Min (Wsd, Hu et al. 2024 "MiniCPM").</summary>
public sealed record LrScheduleOptions(float Max, float Min, int Warmup, int Total, LrSchedule Kind = LrSchedule.Cosine, float DecayFraction = 0.2f)
{
    public float At(int step)
    {
        if (step < Warmup) return Max * (step + 1) / Warmup;
        if (Kind == LrSchedule.Constant || Total <= Warmup) return Max;
        if (Kind == LrSchedule.Wsd)
        {
            int decayStart = Total - (int)(DecayFraction * Total);
            if (step < decayStart) return Max;
            float f = Math.Clamp((float)(step - decayStart) / Math.Max(1, Total - decayStart), 0, 1);
            return Max + (Min - Max) * f;
        }
        float ratio = Math.Clamp((float)(step - Warmup) / (Total - Warmup), 0, 1);
        return Min + 0.5f * (1 + MathF.Cos(MathF.PI * ratio)) * (Max - Min);
    }
}
