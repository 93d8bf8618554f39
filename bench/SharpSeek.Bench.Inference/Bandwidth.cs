// Memory read bandwidth (the decode roofline): sum a 1 GiB buffer with `threads` threads, best of 3.
using System.Diagnostics;
using System.Numerics.Tensors;

namespace SharpSeek.Bench.Inference;

public static class Bandwidth
{
    public static double Measure(int threads)
    {
        const int n = 1 << 28;                       // 2^28 floats = 1 GiB
        var data = GC.AllocateUninitializedArray<float>(n);
        data.AsSpan().Fill(1f);
        double best = 0;
        for (int rep = 0; rep < 3; rep++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int chunk = n / threads;
                TensorPrimitives.Sum(data.AsSpan(t * chunk, chunk));
            });
            best = Math.Max(best, 4.0 * n / sw.Elapsed.TotalSeconds);
        }
        return best;
    }
}
