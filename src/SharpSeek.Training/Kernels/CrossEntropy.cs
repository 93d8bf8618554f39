// Softmax cross-entropy over logits rows, fused with its backward (llm.c): logits [N, V] are overwritten by
// dlogits = (softmax − onehot(target)) · scale. Rows whose target is negative are ignored (zero gradient).
// Returns Σ over valid rows of −log p(target) (the caller divides by the count). Log-sum-exp in fp32, max subtracted.
using System.Numerics.Tensors;

namespace SharpSeek.Training.Kernels;

public static class CrossEntropy
{
    public static double ForwardBackward(float[] logits, int N, int V, int[] targets, int tOff, int tStride, float scale, float[]? losses = null)
    {
        var rowLoss = Scratch.Get(2, N);
        Workers.For(0, (N + 15) / 16, Workers.Count, ch =>
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
                TensorPrimitives.Multiply(row, scale / sum, row);
                row[y] -= scale;
            }
        });
        double total = 0;
        for (int i = 0; i < N; i++) total += rowLoss[i];
        if (losses is not null) rowLoss.AsSpan(0, N).CopyTo(losses);
        return total;
    }
}
