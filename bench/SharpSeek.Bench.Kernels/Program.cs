// Kernel benchmarks: memory bandwidth and FMA peak of this machine (the rooflines), then MatVec GB/s and GFLOP/s
// per weight type at LLM sizes (weights cycled through more copies than fit in L3, so the figures are DRAM-bound
// like a real decode step), batched MatMul, GEMM GFLOP/s vs peak, and WorkerPool per-call overhead — each
// against a baseline measured in the same run (the scalar reference kernel / naive GEMM).
// usage: dotnet run -c Release --project bench/SharpSeek.Bench.Kernels [-- --quick] [--markdown FILE]
//        ... -- --matmul [--types Q4_0,F16] [--shapes 1536x8960] [--n 1,128] [--compare] [--interleaved] [--threads 2]
//        ... -- --gemm   (f32 / bf16 / f16 B at prefill shapes, t1, against the FMA peak)
//        ... -- --dots   (every Dot kernel on every SIMD path)
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpSeek.Tensors;

namespace SharpSeek.Bench.Kernels;

static unsafe class Program
{
    static bool Quick;
    static readonly List<string> Md = [];

    static int Main(string[] args)
    {
        Quick = args.Contains("--quick");
        int mdAt = Array.IndexOf(args, "--markdown");
        string? mdFile = mdAt >= 0 && mdAt + 1 < args.Length ? args[mdAt + 1] : null;

        Line("t1 figures use the calling thread's CPU time (robust on a shared machine); t2 figures are wall clock.");
        Line($"SharpSeek kernel bench — {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSArchitecture}, " +
             $".NET {Environment.Version}, kernel path {Quant.KernelPathName}, quick={Quick}");
        if (args.Contains("--dots")) { DotPaths(); return 0; }
        if (args.Contains("--matmul"))
        {
            try { MatMulTable(args); return 0; }
            catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException)
            {   // a malformed --n / --types / --shapes / --threads value
                Console.Error.WriteLine($"error: bad --matmul arguments ({e.Message}); e.g. --n 1,128 --types Q4_0,F16 --shapes 1536x8960 --threads 1,2");
                return 2;
            }
        }
        if (args.Contains("--gemm")) { GemmTable(); return 0; }
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        var pools = new[] { pool1, pool2 };

        // ---- rooflines ----
        Md.Add("### Machine\n");
        Md.Add("| threads | read bandwidth GB/s | FMA peak GFLOP/s (f32) |");
        Md.Add("|---:|---:|---:|");
        var bw = new double[3];
        var peak = new double[3];
        foreach (var p in pools)
        {
            bw[p.Threads] = Bandwidth(p);
            peak[p.Threads] = FmaPeak(p);
            Line($"t{p.Threads}: read bandwidth {bw[p.Threads]:F1} GB/s, FMA peak {peak[p.Threads]:F1} GFLOP/s");
            Md.Add($"| {p.Threads} | {bw[p.Threads]:F1} | {peak[p.Threads]:F1} |");
        }

        // ---- pool overhead ----
        Md.Add("\n### WorkerPool per-call overhead (median of 20k calls of For over 2 indices of ~1 µs each, minus the ideal time)\n");
        Md.Add("| threads | µs per call |");
        Md.Add("|---:|---:|");
        foreach (var p in pools)
        {
            double us = PoolOverhead(p);
            Line($"pool t{p.Threads}: {us:F2} µs per call");
            Md.Add($"| {p.Threads} | {us:F2} |");
        }

        // ---- MatVec ----
        Md.Add("\n### MatVec (decode GEMV, weights streamed from DRAM)\n");
        Md.Add("| type | rows×cols | t1 GB/s | t1 GFLOP/s | t1 % of 1-thread bandwidth | t2 GB/s | t2 GFLOP/s | scalar ref t1 GB/s | speed-up t1 vs ref |");
        Md.Add("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        var shapes = Quick ? new[] { (1536, 8960) } : new[] { (1536, 8960), (8960, 1536), (4096, 4096) };
        foreach (var t in new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.BF16, GgmlType.F32 })
            foreach (var (rows, cols) in shapes)
                MatVecBench(t, rows, cols, pools, bw);

        // ---- batched MatMul (several sequences per decode step; prefill) ----
        Md.Add("\n### Quantized MatMul (activations quantized once, each weight row read once per call)\n");
        Md.Add("| type | rows×cols | n | t1 GFLOP/s | t2 GFLOP/s | t2 time / (n × MatVec time) |");
        Md.Add("|---|---|---:|---:|---:|---:|");
        foreach (var t in new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K })
            foreach (int n in Quick ? new[] { 4 } : new[] { 4, 32 })
                MatMulBench(t, 1536, 8960, n, pools);

        // ---- GEMM ----
        Md.Add("\n### GEMM C[m,n] = A[m,k]·B[n,k]ᵀ\n");
        Md.Add("| B | m×n×k | t1 GFLOP/s | t1 % of 1-core FMA peak | t2 GFLOP/s | naive ref t1 GFLOP/s | speed-up t1 vs naive |");
        Md.Add("|---|---|---:|---:|---:|---:|---:|");
        foreach (bool bf16 in new[] { false, true })
            foreach (var (m, n, k) in Quick ? new[] { (128, 1536, 1536) } : new[] { (128, 1536, 1536), (128, 8960, 1536), (512, 2048, 2048) })
                GemmBench(m, n, k, bf16, pools, peak);

        if (mdFile != null) File.WriteAllText(mdFile, string.Join("\n", Md) + "\n");
        return 0;
    }

    static void Line(string s) => Console.WriteLine(s);

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec { public long Sec, Nsec; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out Timespec ts);

    /// <summary>CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID): immune to being descheduled on a busy machine.</summary>
    static double ThreadCpuSeconds() => ClockGetTime(3, out var ts) == 0 ? ts.Sec + ts.Nsec * 1e-9 : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>Best-of-reps seconds per call of f (warmed up first); wall clock, or this thread's CPU time.</summary>
    static double Time(Action f, double minSeconds = 0.25, int reps = 5, bool cpuTime = false)
    {
        Func<double> now = cpuTime ? ThreadCpuSeconds : () => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        for (int i = 0; i < 3; i++) f();
        double t0 = now();
        int calls = 0;
        while (now() - t0 < 0.05) { f(); calls++; }
        double per = (now() - t0) / calls;
        int inner = Math.Max(1, (int)(minSeconds / reps / per));
        double best = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            double start = now();
            for (int i = 0; i < inner; i++) f();
            best = Math.Min(best, (now() - start) / inner);
        }
        return best;
    }

    // ---- per-path dot throughput on cache-resident rows (compute bound: what each SIMD path can feed) ----

    static void DotPaths()
    {
        const int cols = 8960 / 256 * 256, rows = 32;
        Md.Add("| type | " + string.Join(" | ", Enumerable.Range(0, (int)Quant.BestPath + 1).Select(p => ((KernelPath)p).ToString() + " GB/s")) + " |");
        foreach (var t in new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.BF16, GgmlType.F32 })
        {
            long rb = Quant.RowBytes(t, cols);
            var w = new byte[rb * rows];
            var src = new float[cols];
            var rnd = new Random(3);
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < cols; i++) src[i] = (float)rnd.NextDouble() - 0.5f;
                Quant.Quantize(t, src, w.AsSpan((int)(r * rb), (int)rb));
            }
            var xq = new byte[Quant.ActivationBytes(t, cols)];
            Quant.QuantizeActivations(t, src, xq);
            var line = new List<string>();
            for (var p = KernelPath.Scalar; p <= Quant.BestPath; p++)
            {
                var path = p;
                float sink = 0;
                double s = Time(() => { for (int r = 0; r < rows; r++) sink += Quant.Dot(t, w.AsSpan((int)(r * rb), (int)rb), xq, cols, path); }, 0.3, 7, cpuTime: true);
                line.Add($"{rb * rows / s / 1e9:F1}");
            }
            Console.WriteLine($"{t,-5} {string.Join("  ", line)}");
            Md.Add($"| {t} | {string.Join(" | ", line)} |");
        }
    }

    // ---- rooflines ----

    unsafe struct SumJob : IParallelJob
    {
        public float* Data;
        public float* Out;
        public readonly void Run(int start, int end)
        {
            // each index = one 1 MiB slice
            var acc = Vector256<float>.Zero;
            for (int s = start; s < end; s++)
            {
                float* p = Data + (long)s * (1 << 18);
                for (int i = 0; i < 1 << 18; i += 32)
                    acc += Vector256.Load(p + i) + Vector256.Load(p + i + 8) + Vector256.Load(p + i + 16) + Vector256.Load(p + i + 24);
            }
            Out[start & 63] += Vector256.Sum(acc);
        }
    }

    static double Bandwidth(WorkerPool pool)
    {
        const int slices = 512;   // 512 MiB: far beyond L3
        float* data = (float*)NativeMemory.AlignedAlloc((nuint)slices << 20, 64);
        float* outp = stackalloc float[64];
        try
        {
            new Span<byte>(data, int.MaxValue / 4 + 1).Fill(1);   // touch (first 512 MiB)
            var job = new SumJob { Data = data, Out = outp };
            double s = Time(() => pool.For(slices, ref job), 1.0, 3, cpuTime: pool.Threads == 1);
            return (double)slices * (1 << 20) / s / 1e9;
        }
        finally { NativeMemory.AlignedFree(data); }
    }

    struct FmaJob : IParallelJob
    {
        public readonly void Run(int start, int end)
        {
            if (Vector512.IsHardwareAccelerated) { Run512(start, end); return; }
            for (int s = start; s < end; s++)
            {
                var a0 = Vector256.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
                var a6 = a0; var a7 = a0; var a8 = a0; var a9 = a0;
                var m = Vector256.Create(0.999999f); var c = Vector256.Create(1e-7f);
                for (int i = 0; i < 100_000; i++)
                {
                    a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
                    a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
                    a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
                    a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
                    a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
                }
                if (Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9) == 42) Console.Write("");
            }
        }
    }

    static void Run512(int start, int end)
    {
        for (int s = start; s < end; s++)
        {
            var a0 = Vector512.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0;
            var a5 = a0; var a6 = a0; var a7 = a0; var a8 = a0; var a9 = a0;
            var m = Vector512.Create(0.999999f); var c = Vector512.Create(1e-7f);
            for (int i = 0; i < 50_000; i++)
            {
                a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
                a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
                a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
                a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
                a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            }
            if (Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9) == 42) Console.Write("");
        }
    }

    // 100k iterations × 10 FMAs × 8 lanes × 2 flops per index (or 50k × 10 × 16 × 2 with 512 bits: the same).
    static double FmaPeak(WorkerPool pool)
    {
        var job = new FmaJob();
        int tasks = pool.Threads * 8;
        double s = Time(() => pool.For(tasks, ref job), 0.5, 3, cpuTime: pool.Threads == 1);
        return tasks * 100_000.0 * 10 * 8 * 2 / s / 1e9;
    }

    // ---- pool ----

    // Each index does a fixed ~1 µs of work, so a For(2) must really hand one chunk to a worker.
    struct WorkJob : IParallelJob
    {
        public readonly void Run(int start, int end)
        {
            for (int s = start; s < end; s++)
                for (int i = 0; i < 300; i++) System.Runtime.Intrinsics.X86.X86Base.Pause();
        }
    }

    /// <summary>Median µs per For(2 indices) beyond the ideal (one index's work split over 2 threads, both on 1).</summary>
    static double PoolOverhead(WorkerPool pool)
    {
        var job = new WorkJob();
        double one = Median(() => job.Run(0, 1));
        double call = Median(() => pool.For(2, ref job));
        return (call - (pool.Threads >= 2 ? one : 2 * one)) * 1e6;

        static double Median(Action f)
        {
            var t = new double[20_000];
            for (int i = 0; i < 1000; i++) f();
            for (int i = 0; i < t.Length; i++)
            {
                long a = Stopwatch.GetTimestamp();
                f();
                t[i] = (Stopwatch.GetTimestamp() - a) / (double)Stopwatch.Frequency;
            }
            Array.Sort(t);
            return t[t.Length / 2];
        }
    }

    // ---- MatVec ----

    static byte[][] Weights(GgmlType t, int rows, int cols, out long bytesPerCopy)
    {
        bytesPerCopy = Quant.RowBytes(t, cols) * rows;
        int copies = (int)Math.Max(2, Math.Min(16, (128L << 20) / bytesPerCopy + 1));   // ≥ 128 MiB in rotation
        var w = new byte[copies][];
        var src = new float[cols];
        var rnd = new Random(1);
        for (int c = 0; c < copies; c++)
        {
            w[c] = GC.AllocateUninitializedArray<byte>((int)bytesPerCopy, pinned: true);
            long rb = Quant.RowBytes(t, cols);
            for (int r = 0; r < rows; r++)
            {
                if (r < 64 || c == 0)   // quantizing every row is slow; the rest repeat real rows
                {
                    for (int i = 0; i < cols; i++) src[i] = (float)(rnd.NextDouble() - 0.5) * 0.1f;
                    Quant.Quantize(t, src, w[c].AsSpan((int)(r * rb), (int)rb));
                }
                else w[0].AsSpan((int)(r * rb), (int)rb).CopyTo(w[c].AsSpan((int)(r * rb), (int)rb));
            }
        }
        return w;
    }

    static void MatVecBench(GgmlType t, int rows, int cols, WorkerPool[] pools, double[] bw)
    {
        var w = Weights(t, rows, cols, out long bytes);
        var x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = MathF.Sin(i);
        var y = new float[rows];
        int next = 0;
        double flops = 2.0 * rows * cols;
        var gbs = new double[3];
        var gfs = new double[3];
        foreach (var p in pools)
        {
            double s = Time(() => { Quant.MatVec(t, w[next], rows, cols, x, y, p); next = (next + 1) % w.Length; }, cpuTime: p.Threads == 1);
            gbs[p.Threads] = bytes / s / 1e9;
            gfs[p.Threads] = flops / s / 1e9;
        }
        var saved = Quant.Path;
        Quant.Path = KernelPath.Scalar;
        double sr = Time(() => { Quant.MatVec(t, w[next], rows, cols, x, y, pools[0]); next = (next + 1) % w.Length; }, 0.2, 2, cpuTime: true);
        Quant.Path = saved;
        double refGbs = bytes / sr / 1e9;
        Line($"MatVec {t,-5} {rows}x{cols}: t1 {gbs[1],6:F1} GB/s {gfs[1],6:F1} GFLOP/s | t2 {gbs[2],6:F1} GB/s {gfs[2],6:F1} GFLOP/s " +
             $"| t1 {100 * gbs[1] / bw[1]:F0}% of 1-thread bw | scalar ref t1 {refGbs:F2} GB/s → {gbs[1] / refGbs:F1}×");
        Md.Add($"| {t} | {rows}×{cols} | {gbs[1]:F1} | {gfs[1]:F1} | {100 * gbs[1] / bw[1]:F0}% | {gbs[2]:F1} | {gfs[2]:F1} | {refGbs:F2} | {gbs[1] / refGbs:F1}× |");
    }

    static void MatMulBench(GgmlType t, int rows, int cols, int n, WorkerPool[] pools)
    {
        var w = Weights(t, rows, cols, out long bytes);
        var x = new float[n * cols];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(i);
        var y = new float[n * rows];
        var y1 = new float[rows];
        int next = 0;
        var gf = new double[3];
        double ratio = 0;
        foreach (var p in pools)
        {
            double s = Time(() => { Quant.MatMul(t, w[next], rows, cols, x, n, y, p); next = (next + 1) % w.Length; }, cpuTime: p.Threads == 1);
            gf[p.Threads] = 2.0 * rows * cols * n / s / 1e9;
            if (p.Threads == 2)
            {
                double s1 = Time(() => { Quant.MatVec(t, w[next], rows, cols, x.AsSpan(0, cols), y1, p); next = (next + 1) % w.Length; });
                ratio = s / (n * s1);
            }
        }
        Line($"MatMul {t,-5} {rows}x{cols} n={n}: t1 {gf[1]:F1} GFLOP/s, t2 {gf[2]:F1} GFLOP/s, time vs n MatVecs {ratio:F2}");
        Md.Add($"| {t} | {rows}×{cols} | {n} | {gf[1]:F1} | {gf[2]:F1} | {ratio:F2} |");
    }

    // ---- quantized MatMul at decode and prefill sizes, t1 CPU time: tiles vs one Dot per pair ----

    static void MatMulTable(string[] args)
    {
        int at = Array.IndexOf(args, "--n");
        var ns = at >= 0 ? args[at + 1].Split(',').Select(int.Parse).ToArray() : new[] { 1, 128, 512 };
        at = Array.IndexOf(args, "--types");
        var types = at >= 0 ? args[at + 1].Split(',').Select(Enum.Parse<GgmlType>).ToArray()
            : new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K };
        at = Array.IndexOf(args, "--shapes");
        var shapes = at >= 0 ? args[at + 1].Split(',').Select(v => (int.Parse(v.Split('x')[0]), int.Parse(v.Split('x')[1]))).ToArray()
            : new[] { (1536, 8960), (4096, 4096) };
        bool compare = args.Contains("--compare");
        at = Array.IndexOf(args, "--threads");
        foreach (int threads in at >= 0 ? args[at + 1].Split(',').Select(int.Parse).ToArray() : [1])
            MatMulTable(args, ns, types, shapes, compare, threads);
        int mdAt = Array.IndexOf(args, "--markdown");
        if (mdAt >= 0) File.WriteAllText(args[mdAt + 1], string.Join("\n", Md) + "\n");
    }

    static void MatMulTable(string[] args, int[] ns, GgmlType[] types, (int rows, int cols)[] shapes, bool compare, int threads)
    {
        if (threads < 1) throw new ArgumentException($"--threads {threads}: at least 1");
        using var pool = threads > 1 ? new WorkerPool(threads) : null;   // t > 1: wall clock
        string tn = $"t{threads}";
        if (args.Contains("--multirow")) Quant.MultiRowDecode = true;
        if (args.Contains("--rowdecode")) Quant.MultiRowDecode = false;
        Md.Add($"| type | rows×cols | n | {tn} GFLOP/s | {tn} GB/s of weights | " + (compare ? "one Dot per pair t1 GFLOP/s | speed-up |" : ""));
        foreach (var t in types)
            foreach (var (rows, cols) in shapes)
            {
                var w = Weights(t, rows, cols, out long bytes);
                foreach (int n in ns)
                {
                    var x = new float[n * cols];
                    for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(i);
                    var y = new float[n * rows];
                    int next = 0;
                    double flops = 2.0 * rows * cols * n;
                    double s = Time(() => { Quant.MatMul(t, w[next], rows, cols, x, n, y, pool); next = (next + 1) % w.Length; }, n > 1 ? 0.6 : 0.25, 3, cpuTime: pool == null);
                    string extra = "";
                    if (compare)
                    {
                        Quant.UseTiles = false; bool md = Quant.MultiRowDecode; Quant.MultiRowDecode = false;
                        double s0 = Time(() => { Quant.MatMul(t, w[next], rows, cols, x, n, y, null); next = (next + 1) % w.Length; }, n > 1 ? 0.6 : 0.25, 3, cpuTime: true);
                        Quant.UseTiles = true; Quant.MultiRowDecode = md;
                        extra = $" {flops / s0 / 1e9:F1} | {s0 / s:F2}× |";
                    }
                    if (args.Contains("--interleaved") && Quant.Interleaves(t))   // the load-time layout, timed right after the plain one
                    {
                        var wi = w.Select(p => { var q = new byte[p.Length]; Quant.TryInterleave(t, p, rows, cols, q); return q; }).ToArray();
                        double si = Time(() => { Quant.MatMulInterleaved(t, wi[next], rows, cols, x, n, y, pool); next = (next + 1) % wi.Length; }, n > 1 ? 0.6 : 0.25, 3, cpuTime: pool == null);
                        extra += $" interleaved {flops / si / 1e9:F1} GFLOP/s, {bytes / si / 1e9:F1} GB/s ({s / si:F2}×)";
                    }
                    Line($"MatMul {t,-5} {rows}x{cols} n={n}: {tn} {flops / s / 1e9:F1} GFLOP/s, {bytes / s / 1e9:F1} GB/s{extra}");
                    Md.Add($"| {t} | {rows}×{cols} | {n} | {flops / s / 1e9:F1} | {bytes / s / 1e9:F1} |{extra}");
                }
            }
    }

    // ---- GEMM ----

    /// <summary>A [m, k] and B [n, k] of smooth values, B also as bf16 bits.</summary>
    static (float[] a, float[] b, ushort[] bh) GemmInputs(int m, int n, int k)
    {
        var a = new float[m * k];
        var b = new float[n * k];
        for (int i = 0; i < a.Length; i++) a[i] = MathF.Sin(i) * 0.1f;
        for (int i = 0; i < b.Length; i++) b[i] = MathF.Cos(i) * 0.1f;
        var bh = new ushort[b.Length];
        Dtypes.F32ToBf16(b, bh);
        return (a, b, bh);
    }

    static void GemmBench(int m, int n, int k, bool bf16, WorkerPool[] pools, double[] peak)
    {
        var (a, b, bh) = GemmInputs(m, n, k);
        var c = new float[m * n];
        double flops = 2.0 * m * n * k;
        var gf = new double[3];
        foreach (var p in pools)
        {
            double s = bf16 ? Time(() => Gemm.Multiply(a, bh, c, m, n, k, p), cpuTime: p.Threads == 1) : Time(() => Gemm.Multiply(a, b, c, m, n, k, p), cpuTime: p.Threads == 1);
            gf[p.Threads] = flops / s / 1e9;
        }
        // naive baseline on a slice of the problem (same k), scaled to GFLOP/s
        int mr = Math.Min(m, 8), nr = Math.Min(n, 64);
        var cr = new float[mr * nr];
        var ar = a.AsSpan(0, mr * k).ToArray();
        var br = b.AsSpan(0, nr * k).ToArray();
        var brh = bh.AsSpan(0, nr * k).ToArray();
        double sr = bf16 ? Time(() => Gemm.MultiplyReference(ar, brh, cr, mr, nr, k), 0.2, 2, true) : Time(() => Gemm.MultiplyReference(ar, br, cr, mr, nr, k), 0.2, 2, true);
        double refGf = 2.0 * mr * nr * k / sr / 1e9;
        string bt = bf16 ? "bf16" : "f32";
        Line($"GEMM {bt} {m}x{n}x{k}: t1 {gf[1]:F1} GFLOP/s, t2 {gf[2]:F1} GFLOP/s (t1 {100 * gf[1] / peak[1]:F0}% of 1-core peak) | naive t1 {refGf:F2} → {gf[1] / refGf:F0}×");
        Md.Add($"| {bt} | {m}×{n}×{k} | {gf[1]:F1} | {100 * gf[1] / peak[1]:F0}% | {gf[2]:F1} | {refGf:F2} | {gf[1] / refGf:F0}× |");
    }

    // ---- GEMM at prefill shapes, t1 CPU time: f32, bf16 and f16 B (f16 through Quant.MatMul, as F16 weights run) ----

    static void GemmTable()
    {
        using var pool1 = new WorkerPool(1);
        double peak = FmaPeak(pool1);
        Line($"t1 FMA peak {peak:F1} GFLOP/s");
        foreach (var (m, n, k) in new[] { (128, 1536, 1536), (128, 8960, 1536), (128, 1536, 8960), (512, 2048, 2048) })
        {
            var (a, b, bh) = GemmInputs(m, n, k);
            var bf16 = new byte[b.Length * 2];
            Dtypes.F32ToF16(b, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bf16.AsSpan()));
            var c = new float[m * n];
            double flops = 2.0 * m * n * k;
            double f32 = flops / Time(() => Gemm.Multiply(a, b, c, m, n, k, null), 0.6, 3, cpuTime: true) / 1e9;
            double b16 = flops / Time(() => Gemm.Multiply(a, bh, c, m, n, k, null), 0.6, 3, cpuTime: true) / 1e9;
            var h = Enumerable.Range(0, (int)Math.Max(1, (256L << 20) / bf16.Length)).Select(_ => bf16.ToArray()).ToArray();   // ≥ 256 MiB in rotation: B from memory, as in a model
            int next = 0;
            double h16 = flops / Time(() => { Quant.MatMul(GgmlType.F16, h[next], n, k, a, m, c, null); next = (next + 1) % h.Length; }, 0.6, 3, cpuTime: true) / 1e9;
            Line($"GEMM {m}x{n}x{k}: t1 GFLOP/s f32 {f32:F1} ({100 * f32 / peak:F0}%), bf16 {b16:F1} ({100 * b16 / peak:F0}%), f16 {h16:F1} ({100 * h16 / peak:F0}%)");
        }
    }
}
