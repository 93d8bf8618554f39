// SwiGLU forward/backward over fused [g | u] rows: h = silu(g)·u. gu: [N, 2F] (gate first), h: [N, F].
// And sigmoid. silu'(g) = σ(g)·(1 + g·(1 − σ(g))).
namespace SharpSeek.Training.Kernels;

public static class Activations
{
    public static void SwiGluForward(float[] gu, int guOff, float[] h, int hOff, int N, int F)
    {
        Workers.For(0, (N + 31) / 32, Workers.Count, ch =>
        {
            for (int i = ch * 32, end = Math.Min(N, i + 32); i < end; i++)
            {
                var g = gu.AsSpan(guOff + i * 2 * F, F);
                var u = gu.AsSpan(guOff + i * 2 * F + F, F);
                var o = h.AsSpan(hOff + i * F, F);
                for (int j = 0; j < F; j++) { float x = g[j]; o[j] = x / (1f + MathF.Exp(-x)) * u[j]; }
            }
        });
    }

    /// <summary>dgu[N, 2F] = (dh·u·silu'(g) | dh·silu(g)) (overwritten).</summary>
    public static void SwiGluBackward(float[] dh, int dhOff, float[] gu, int guOff, float[] dgu, int dguOff, int N, int F)
    {
        Workers.For(0, (N + 31) / 32, Workers.Count, ch =>
        {
            for (int i = ch * 32, end = Math.Min(N, i + 32); i < end; i++)
            {
                var g = gu.AsSpan(guOff + i * 2 * F, F);
                var u = gu.AsSpan(guOff + i * 2 * F + F, F);
                var d = dh.AsSpan(dhOff + i * F, F);
                var dg = dgu.AsSpan(dguOff + i * 2 * F, F);
                var du = dgu.AsSpan(dguOff + i * 2 * F + F, F);
                for (int j = 0; j < F; j++)
                {
                    float x = g[j], s = 1f / (1f + MathF.Exp(-x));
                    du[j] = d[j] * x * s;
                    dg[j] = d[j] * u[j] * s * (1f + x * (1f - s));
                }
            }
        });
    }

    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
