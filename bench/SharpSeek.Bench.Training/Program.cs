using System.Diagnostics;
using SharpSeek.Training.Kernels;
int n = 2048; if (args.Length > 0) Workers.Count = int.Parse(args[0]);
var a = new float[n * n]; var b = new float[n * n]; var c = new float[n * n];
var r = new Random(1); for (int i = 0; i < a.Length; i++) { a[i] = (float)r.NextDouble(); b[i] = (float)r.NextDouble(); }
foreach (var (name, f) in new (string, Action)[] {
    ("fwd", () => MatMul.Forward(a, b, default, c, n, n, n)),
    ("dinp", () => MatMul.BackwardInput(a, b, c, n, n, n, false)),
    ("dw", () => MatMul.BackwardWeight(a, b, c, default, n, n, n, false)) })
{
    f(); f();
    var sw = Stopwatch.StartNew(); int it = 5;
    for (int i = 0; i < it; i++) f();
    Console.WriteLine($"{name}: {2.0 * n * n * n * it / sw.Elapsed.TotalSeconds / 1e9:F1} GFLOPS");
}
