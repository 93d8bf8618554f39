// Inference throughput of SharpSeek against llama.cpp on the same GGUF files, measured in the same run,
// repetitions interleaved (ours, theirs, ours, …), each side in its own process. Each process makes one warm-up run
// and K timed runs and reports their mean (llama-bench's own protocol; K = 1 measures a fresh process, where .NET is
// still compiling hot methods to their final tier during the timed run).
//   dotnet run -c Release --project bench/SharpSeek.Bench.Inference -- [--shape qwen2-1.5b,v2-lite-4l] [--type q4_0,q8_0]
//       [-t 1,2] [-p 128] [-n 64] [-r 3] [--runs-per-process 3] [--llama-bench PATH]   (or LLAMA_BENCH=PATH)
// Models are random-weight stand-ins at real shapes (BenchModels), cached under bench/.models (not committed).
// llama-bench is whatever binary you point at (built beside the project; nothing here builds it). Without it the
// table shows ours and the memory-bandwidth roofline alone.
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Bench.Inference;
using SharpSeek.Model.Convert;
using SharpSeek.Tensors;

string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
var shapes = Arg("--shape", string.Join(",", BenchModels.Shapes)).Split(',');
string? typeArg = Arg("--type", "") is { Length: > 0 } ta ? ta : null;
var threads = Arg("-t", "1,2").Split(',').Select(int.Parse).ToArray();
int p = int.Parse(Arg("-p", "128")), n = int.Parse(Arg("-n", "64")), reps = int.Parse(Arg("-r", "3")), k = int.Parse(Arg("--runs-per-process", "3"));
string? llamaBench = Arg("--llama-bench", Environment.GetEnvironmentVariable("LLAMA_BENCH") ?? "");
if (llamaBench == "" || !File.Exists(llamaBench)) llamaBench = null;

string root = FindRoot();
string models = Path.Combine(root, "bench", ".models");
string cli = Path.Combine(root, "src", "SharpSeek.Cli", "bin", "Release", "net10.0", "sharpseek.dll");
if (!File.Exists(cli)) throw new FileNotFoundException($"build the CLI first: dotnet build -c Release src/SharpSeek.Cli ({cli})");
string commit = Git(root, "rev-parse --short HEAD");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; kernels {Quant.KernelPathName}; commit {commit}");
Console.WriteLine($"llama-bench: {llamaBench ?? "(not given: ratios omitted)"}; {reps} processes per side and cell, each a warm-up and {k} timed runs");
Console.WriteLine("| model | type | threads | test | SharpSeek tok/s | llama.cpp tok/s | ratio | roofline (GB/s read) | peak RSS / (file + KV) |");
Console.WriteLine("|---|---|---|---|---:|---:|---:|---:|---:|");
foreach (var shape in shapes)
{
    string dir = Path.Combine(models, shape);
    BenchModels.Ensure(shape, dir, Path.Combine(root, "tests", "fixtures", "tokenizers"));
    var types = (typeArg ?? (shape.StartsWith("qwen") ? "q4_0,q8_0,f16" : "q4_0,q8_0")).Split(',');
    foreach (var type in types)
    {
        string gguf = Path.Combine(models, $"{shape}-{type}.gguf");
        if (!File.Exists(gguf)) GgufConvert.ToGguf(dir, gguf, GgufConvert.OutTypes[type]);
        long fileBytes = new FileInfo(gguf).Length;
        foreach (int t in threads)
        {
            var ours = new List<JsonElement>();
            var theirs = new List<(double Pp, double Tg)>();
            var bandwidth = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                bandwidth.Add(Bandwidth.Measure(t));       // the roofline, measured beside each repetition
                ours.Add(Ours(cli, gguf, p, n, t, k));
                if (llamaBench is not null) theirs.Add(LlamaBench(llamaBench, gguf, p, n, t, k));
            }
            double pp = ours.Average(o => o.GetProperty("pp_tok_s").GetDouble()), tg = ours.Average(o => o.GetProperty("tg_tok_s").GetDouble());
            double lpp = theirs.Count > 0 ? theirs.Average(x => x.Pp) : double.NaN, ltg = theirs.Count > 0 ? theirs.Average(x => x.Tg) : double.NaN;
            long bytesPerToken = ours[0].GetProperty("decode_bytes_per_token").GetInt64();
            long kv = ours[0].GetProperty("kv_bytes_per_token").GetInt64() * (Math.Max(p, n) + 1);
            double rss = ours.Max(o => o.GetProperty("peak_rss_bytes").GetInt64()) / (double)(fileBytes + kv);
            double roofline = tg * bytesPerToken / bandwidth.Max();
            Console.WriteLine($"| {shape} | {type} | {t} | pp{p} | {pp:F1} | {lpp:F1} | {pp / lpp:F2} | | {rss:F2} |");
            Console.WriteLine($"| {shape} | {type} | {t} | tg{n} | {tg:F2} | {ltg:F2} | {tg / ltg:F2} | {roofline:P0} of {bandwidth.Max() / 1e9:F1} | |");
        }
    }
}

static JsonElement Ours(string cli, string model, int p, int n, int t, int k)
{
    string stdout = Run("dotnet", $"\"{cli}\" bench --model \"{model}\" -p {p} -n {n} -t {t} -r {k} --json");
    return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone();
}

static (double Pp, double Tg) LlamaBench(string exe, string model, int p, int n, int t, int k)
{
    string stdout = Run(exe, $"-m \"{model}\" -p {p} -n {n} -t {t} -r {k} -o json");
    double pp = double.NaN, tg = double.NaN;
    try
    {
        foreach (var e in JsonDocument.Parse(stdout).RootElement.EnumerateArray())
            if (e.GetProperty("n_prompt").GetInt32() > 0) pp = e.GetProperty("avg_ts").GetDouble(); else tg = e.GetProperty("avg_ts").GetDouble();
    }
    catch (JsonException) { Console.Error.WriteLine($"llama-bench output not understood: {stdout[..Math.Min(300, stdout.Length)]}"); }
    return (pp, tg);
}

static string Run(string exe, string arguments)
{
    var psi = new ProcessStartInfo(exe, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
    using var proc = Process.Start(psi)!;
    var err = proc.StandardError.ReadToEndAsync();
    string stdout = proc.StandardOutput.ReadToEnd();
    proc.WaitForExit();
    if (proc.ExitCode != 0) throw new InvalidOperationException($"{exe} {arguments} failed ({proc.ExitCode}): {err.Result}");
    return stdout;
}

static string Git(string root, string arguments)
{
    try { return Run("git", $"-C \"{root}\" {arguments}").Trim(); } catch (Exception) { return "?"; }
}

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "SharpSeek.slnx"))) return d.FullName;
    throw new DirectoryNotFoundException("run from inside the SharpSeek repository");
}
