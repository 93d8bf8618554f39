// RMSNorm forward/backward over rows: y = x · rstd · w, rstd = 1/sqrt(mean(x²) + eps). x, y: [N, C]; rstd: [N].
// Backward adds into dx and dw; dw is reduced over fixed row chunks in a fixed order (deterministic).
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Training.Kernels;

public static class Norm
{
    const int Chunk = 64;

    /// <summary>x [N,C] (row stride ldx) → y [N,C] (row stride ldy), rstd [N]. y may alias x only if the caller saved x.</summary>
    public static void RmsForward(float[] x, int ldx, int offX, float[] w, float[] y, int ldy, int offY, float[] rstd, int N, int C, float eps, int wOff = 0)
    {
        WorkerPool.Shared.ForEach((N + Chunk - 1) / Chunk, ch =>
        {
            var wt = w.AsSpan(wOff, C);
            for (int i = ch * Chunk, end = Math.Min(N, i + Chunk); i < end; i++)
            {
                var xi = x.AsSpan(offX + i * ldx, C);
                float r = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xi) / C + eps);
                rstd[i] = r;
                var yi = y.AsSpan(offY + i * ldy, C);
                TensorPrimitives.Multiply(xi, r, yi);
                TensorPrimitives.Multiply(yi, wt, yi);
            }
        });
    }

    /// <summary>dx[i] += rstd·(dy⊙w − x̂·mean(dy⊙w⊙x̂)); dw += Σ_i dy⊙x̂. dx may not alias dy.</summary>
    public static void RmsBackward(float[] dy, int lddy, int offDy, float[] x, int ldx, int offX, float[] w, int wOff, float[] rstd,
        float[] dx, int lddx, int offDx, float[] dw, int dwOff, int N, int C, bool accumulateDx = true)
    {
        int chunks = (N + Chunk - 1) / Chunk;
        var partial = Scratch.Get(0, chunks * C);
        WorkerPool.Shared.ForEach(chunks, ch =>
        {
            var pw = partial.AsSpan(ch * C, C);
            pw.Clear();
            var tmp = Scratch.Get(1, 2 * C);
            var g = tmp.AsSpan(0, C);
            var xh = tmp.AsSpan(C, C);
            var wt = w.AsSpan(wOff, C);
            for (int i = ch * Chunk, end = Math.Min(N, i + Chunk); i < end; i++)
            {
                var dyi = dy.AsSpan(offDy + i * lddy, C);
                TensorPrimitives.Multiply(x.AsSpan(offX + i * ldx, C), rstd[i], xh);
                TensorPrimitives.MultiplyAdd(dyi, xh, pw, pw);
                TensorPrimitives.Multiply(dyi, wt, g);
                float mean = TensorPrimitives.Dot(g, xh) / C;
                // dx = rstd·(g − x̂·mean)
                TensorPrimitives.MultiplyAdd(xh, -mean, g, g);
                var dxi = dx.AsSpan(offDx + i * lddx, C);
                if (accumulateDx) TensorPrimitives.MultiplyAdd(g, rstd[i], dxi, dxi);
                else TensorPrimitives.Multiply(g, rstd[i], dxi);
            }
        });
        var dwt = dw.AsSpan(dwOff, C);
        for (int ch = 0; ch < chunks; ch++) TensorPrimitives.Add(dwt, partial.AsSpan(ch * C, C), dwt);
    }
}

/// <summary>Per-thread scratch arrays, grown on demand and reused (slot = which buffer of the caller).</summary>
public static class Scratch
{
    [ThreadStatic] static float[]?[]? slots;

    public static float[] Get(int slot, int length)
    {
        slots ??= new float[16][];
        var a = slots[slot];
        if (a is null || a.Length < length) slots[slot] = a = GC.AllocateUninitializedArray<float>(Math.Max(length, (a?.Length ?? 0) * 3 / 2), pinned: true);
        return a;
    }
}
