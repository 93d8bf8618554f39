// Inference throughput of SharpSeek against llama.cpp on the same GGUF files, measured in the same run.
//   dotnet run -c Release --project bench/SharpSeek.Bench.Inference -- [--shape qwen2-1.5b,v3-lite-4l] [--type q4_k,q8_0]
//       [-t 1,2] [-p 128] [-n 64] [-r 3] [--llama-bench PATH]   (or LLAMA_BENCH=PATH)
// Models are random-weight stand-ins at real shapes (BenchModels), cached under bench/.models (not committed).
// llama-bench is whatever binary you point at (built beside the project; nothing here builds it).
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Bench.Inference;
using SharpSeek.Cli.Verbs;
using SharpSeek.Model.Convert;
using SharpSeek.Model.Inference;
using SharpSeek.Tensors;

string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
var shapes = Arg("--shape", string.Join(",", BenchModels.Shapes)).Split(',');
var types = Arg("--type", "q4_k,q8_0").Split(',');
var threads = Arg("-t", "1,2").Split(',').Select(int.Parse).ToArray();
int p = int.Parse(Arg("-p", "128")), n = int.Parse(Arg("-n", "64")), reps = int.Parse(Arg("-r", "3"));
string? llamaBench = Arg("--llama-bench", Environment.GetEnvironmentVariable("LLAMA_BENCH") ?? "");
if (llamaBench == "" || !File.Exists(llamaBench)) llamaBench = null;

string root = FindRoot();
string models = Path.Combine(root, "bench", ".models");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores; kernels: {Quant.KernelPathName}; llama-bench: {llamaBench ?? "(not given: ratios omitted)"}");
Console.WriteLine($"| model | type | test | threads | SharpSeek tok/s | llama.cpp tok/s | ratio |");
Console.WriteLine($"|---|---|---|---|---|---|---|");
foreach (var shape in shapes)
{
    string dir = Path.Combine(models, shape);
    BenchModels.Ensure(shape, dir, Path.Combine(root, "tests", "fixtures", "tokenizers"));
    foreach (var type in types)
    {
        string gguf = Path.Combine(models, $"{shape}-{type}.gguf");
        if (!File.Exists(gguf)) GgufConvert.ToGguf(dir, gguf, GgufConvert.OutTypes[type]);
        foreach (int t in threads)
        {
            double pp, tg;
            using (var m = InferenceModel.Load(gguf, new InferenceOptions { Threads = t, MaxBatch = p, MaxContext = Math.Max(p, n) + 1 }))
                (pp, tg) = BenchVerb.Measure(m, p, n, reps);
            var (lpp, ltg) = llamaBench is null ? (double.NaN, double.NaN) : LlamaBench(llamaBench, gguf, p, n, t, reps);
            Console.WriteLine($"| {shape} | {type} | pp{p} | {t} | {pp:F1} | {lpp:F1} | {pp / lpp:F2} |");
            Console.WriteLine($"| {shape} | {type} | tg{n} | {t} | {tg:F2} | {ltg:F2} | {tg / ltg:F2} |");
        }
    }
}

static (double Pp, double Tg) LlamaBench(string exe, string model, int p, int n, int t, int reps)
{
    var psi = new ProcessStartInfo(exe, $"-m \"{model}\" -p {p} -n {n} -t {t} -r {reps} -o json") { RedirectStandardOutput = true, RedirectStandardError = true };
    using var proc = Process.Start(psi)!;
    string stdout = proc.StandardOutput.ReadToEnd();
    proc.StandardError.ReadToEnd();
    proc.WaitForExit();
    double pp = double.NaN, tg = double.NaN;
    try
    {
        foreach (var e in JsonDocument.Parse(stdout).RootElement.EnumerateArray())
        {
            double ts = e.GetProperty("avg_ts").GetDouble();
            if (e.GetProperty("n_prompt").GetInt32() > 0) pp = ts; else tg = ts;
        }
    }
    catch (JsonException) { Console.Error.WriteLine($"llama-bench output not understood: {stdout[..Math.Min(300, stdout.Length)]}"); }
    return (pp, tg);
}

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "SharpSeek.slnx"))) return d.FullName;
    throw new DirectoryNotFoundException("run from inside the SharpSeek repository");
}
