// Softmax cross-entropy over logits rows, fused with its backward (llm.c): logits [N, V] are overwritten by
// dlogits = (softmax − onehot(target)) · scale. Rows whose target is negative are ignored (zero gradient).
// Returns Σ over valid rows of −log p(target) (the caller divides by the count). Log-sum-exp in fp32, max subtracted.
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Training.Kernels;

public static class CrossEntropy
{
    /// <summary>rowScale (optional, [N]) multiplies row i's gradient by rowScale[i] on top of scale (GRPO: −dL/dlogp_i).</summary>
    public static double ForwardBackward(float[] logits, int N, int V, int[] targets, int tOff, int tStride, float scale, float[]? losses = null, float[]? rowScale = null)
    {
        var rowLoss = Scratch.Get(2, N);
        WorkerPool.Shared.ForEach((N + 15) / 16, ch =>
        {
            for (int i = ch * 16, end = Math.Min(N, i + 16); i < end; i++)
            {
                var row = logits.AsSpan((long)i * V > int.MaxValue ? throw new OverflowException() : i * V, V);
                int y = targets[tOff + i * tStride];
                if (y < 0) { row.Clear(); rowLoss[i] = 0; continue; }
                if (y >= V) throw new ArgumentOutOfRangeException(nameof(targets), y, $"target id {y} is out of range for vocab_size {V}");
                float max = TensorPrimitives.Max(row);
                float zy = row[y];
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp(row, row);
                float sum = TensorPrimitives.Sum(row);
                rowLoss[i] = MathF.Log(sum) - (zy - max);
                float sc = rowScale is null ? scale : scale * rowScale[i];
                TensorPrimitives.Multiply(row, sc / sum, row);
                row[y] -= sc;
            }
        });
        double total = 0;
        for (int i = 0; i < N; i++) total += rowLoss[i];
        if (losses is not null) rowLoss.AsSpan(0, N).CopyTo(losses);
        return total;
    }

    /// <summary>log p(target) of each row into logp [N] (0 where the target is negative); logits untouched.</summary>
    public static void TargetLogProbs(ReadOnlySpan<float> logits, int N, int V, ReadOnlySpan<int> targets, Span<float> logp)
    {
        for (int i = 0; i < N; i++)
        {
            int y = targets[i];
            if (y < 0) { logp[i] = 0; continue; }
            var row = logits.Slice(i * V, V);
            float max = TensorPrimitives.Max(row);
            double sum = 0;
            foreach (var z in row) sum += Math.Exp(z - max);
            logp[i] = (float)(row[y] - max - Math.Log(sum));
        }
    }
}
