// SwiGLU forward/backward over fused [g | u] rows: h = silu(g)·u. gu: [N, 2F] (gate first), h: [N, F].
// silu(g) = g·σ(g); silu'(g) = σ + silu·(1 − σ). Vectorised with TensorPrimitives (σ in SIMD), scalar Sigmoid beside.
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Training.Kernels;

public static class Activations
{
    public static void SwiGluForward(float[] gu, int guOff, float[] h, int hOff, int N, int F)
    {
        WorkerPool.Shared.ForEach((N + 31) / 32, ch =>
        {
            var s = Scratch.Get(13, F).AsSpan(0, F);
            for (int i = ch * 32, end = Math.Min(N, i + 32); i < end; i++)
            {
                var g = gu.AsSpan(guOff + i * 2 * F, F);
                var u = gu.AsSpan(guOff + i * 2 * F + F, F);
                var o = h.AsSpan(hOff + i * F, F);
                TensorPrimitives.Sigmoid(g, s);
                TensorPrimitives.Multiply(g, s, o);
                TensorPrimitives.Multiply(o, u, o);
            }
        });
    }

    /// <summary>dgu[N, 2F] = (dh·u·silu'(g) | dh·silu(g)) (overwritten).</summary>
    public static void SwiGluBackward(float[] dh, int dhOff, float[] gu, int guOff, float[] dgu, int dguOff, int N, int F)
    {
        WorkerPool.Shared.ForEach((N + 31) / 32, ch =>
        {
            var tmp = Scratch.Get(13, 2 * F);
            var s = tmp.AsSpan(0, F);
            var silu = tmp.AsSpan(F, F);
            for (int i = ch * 32, end = Math.Min(N, i + 32); i < end; i++)
            {
                var g = gu.AsSpan(guOff + i * 2 * F, F);
                var u = gu.AsSpan(guOff + i * 2 * F + F, F);
                var d = dh.AsSpan(dhOff + i * F, F);
                var dg = dgu.AsSpan(dguOff + i * 2 * F, F);
                var du = dgu.AsSpan(dguOff + i * 2 * F + F, F);
                TensorPrimitives.Sigmoid(g, s);
                TensorPrimitives.Multiply(g, s, silu);
                TensorPrimitives.Multiply(d, silu, du);
                // dg = d·u·(σ + silu·(1 − σ))
                TensorPrimitives.Subtract(1f, s, dg);
                TensorPrimitives.MultiplyAdd(silu, dg, s, dg);
                TensorPrimitives.Multiply(dg, u, dg);
                TensorPrimitives.Multiply(dg, d, dg);
            }
        });
    }

    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>Scalar reference of SwiGluForward for one row.</summary>
    public static void SwiGluReference(ReadOnlySpan<float> g, ReadOnlySpan<float> u, Span<float> h)
    {
        for (int j = 0; j < g.Length; j++) h[j] = g[j] * Sigmoid(g[j]) * u[j];
    }
}
