// Rotary frequency tables: plain RoPE (Su et al. 2021), YaRN (Peng et al. 2023, as DeepSeek-V3 uses it) and
// Llama-3 scaling. The rotation kernels themselves are Ops.RopeInterleaved / Ops.RopeHalf.
namespace SharpSeek.Model;

public sealed class RopeTable
{
    /// <summary>inv_freq[i] = θ^(-2i/dim) after scaling, f32 as the references compute it. [dim/2]</summary>
    public float[] InvFreq { get; }
    /// <summary>Multiplier on cos/sin (HF YaRN: yarn_mscale(factor, mscale) / yarn_mscale(factor, mscale_all_dim); 1 otherwise).</summary>
    public float CosSinScale { get; }
    public int Dim => InvFreq.Length * 2;

    RopeTable(float[] invFreq, float cosSinScale) { InvFreq = invFreq; CosSinScale = cosSinScale; }

    /// <summary>cos, sin: [dim/2] for position pos; angle = pos·inv_freq in f32.</summary>
    public void CosSin(int pos, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < InvFreq.Length; i++)
        {
            float angle = pos * InvFreq[i];
            cos[i] = MathF.Cos(angle) * CosSinScale;
            sin[i] = MathF.Sin(angle) * CosSinScale;
        }
    }

    static float[] BaseFreqs(int dim, double theta)
    {
        var f = new float[dim / 2];
        for (int i = 0; i < f.Length; i++) f[i] = (float)(1.0 / Math.Pow(theta, (float)(2 * i) / dim));
        return f;
    }

    /// <summary>Picks plain, YaRN or Llama-3 frequencies from rope_scaling.</summary>
    public static RopeTable Create(int dim, double theta, RopeScaling? scaling) => scaling?.Kind switch
    {
        "yarn" => Yarn(dim, theta, scaling),
        "llama3" => Llama3(dim, theta, scaling),
        _ => new RopeTable(BaseFreqs(dim, theta), 1f),
    };

    /// <summary>yarn_get_mscale: 0.1·m·ln(s) + 1 for s > 1, else 1.</summary>
    public static double YarnMscale(double factor, double mscale) => factor <= 1 ? 1.0 : 0.1 * mscale * Math.Log(factor) + 1.0;

    // YaRN: interpolate low frequencies by 1/factor, keep high ones, ramp linearly between the correction dims.
    static RopeTable Yarn(int dim, double theta, RopeScaling s)
    {
        var freqs = BaseFreqs(dim, theta);
        int original = s.OriginalMaxPositionEmbeddings!.Value;
        double CorrectionDim(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = Math.Max(Math.Floor(CorrectionDim(s.BetaFast)), 0);
        double high = Math.Min(Math.Ceiling(CorrectionDim(s.BetaSlow)), dim - 1);
        if (low == high) high += 0.001;
        for (int i = 0; i < freqs.Length; i++)
        {
            float ramp = Math.Clamp((float)((i - low) / (high - low)), 0f, 1f);
            float smooth = 1f - ramp; // 1 → keep (extrapolate), 0 → interpolate
            freqs[i] = freqs[i] / (float)s.Factor * (1 - smooth) + freqs[i] * smooth;
        }
        float scale = (float)(YarnMscale(s.Factor, s.Mscale) / YarnMscale(s.Factor, s.MscaleAllDim));
        return new RopeTable(freqs, scale);
    }

    // Llama 3.1: wavelengths above original/low_freq_factor are divided by factor, below original/high_freq_factor
    // kept, and smoothly blended in between (transformers' _compute_llama3_parameters).
    static RopeTable Llama3(int dim, double theta, RopeScaling s)
    {
        var freqs = BaseFreqs(dim, theta);
        double original = s.OriginalMaxPositionEmbeddings!.Value;
        double lowWavelen = original / s.LowFreqFactor, highWavelen = original / s.HighFreqFactor;
        for (int i = 0; i < freqs.Length; i++)
        {
            double f = freqs[i], wavelen = 2 * Math.PI / f;
            if (wavelen > lowWavelen) f /= s.Factor;
            else if (wavelen >= highWavelen)
            {
                double smooth = (original / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                f = (1 - smooth) * f / s.Factor + smooth * f;
            }
            freqs[i] = (float)f;
        }
        return new RopeTable(freqs, 1f);
    }
}
