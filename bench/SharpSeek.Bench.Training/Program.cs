// Training throughput benchmark: a ~23M-parameter Llama-shape model, batch 8 × 256, AdamW, N threads — SharpSeek's
// engine against PyTorch (tools/train/torch_baseline.py, OpenBLAS) measured in the same run, plus model FLOPs
// utilisation against the measured GEMM peak of each side, and tokens/s of a tiny V3 (MLA + MoE + MTP).
//
//   dotnet run -c Release --project bench/SharpSeek.Bench.Training -- [--steps 5] [--threads 2] [--no-torch] [--json]
//   … -- --shapes      GFLOP/s of the three training matmuls at the model's shapes (best of 7)
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Model;
using SharpSeek.Tensors;
using SharpSeek.Training;
using SharpSeek.Training.Kernels;

int steps = Arg("--steps", 5), threads = Arg("--threads", 2), batch = Arg("--batch", 8), seq = Arg("--seq", 256);
bool torch = !args.Contains("--no-torch"), json = args.Contains("--json"), v3 = !args.Contains("--no-v3");
WorkerPool.SetSharedThreads(threads);

const string Llama = """
{"model_type":"llama","vocab_size":8192,"hidden_size":512,"intermediate_size":1408,"num_hidden_layers":6,
 "num_attention_heads":8,"num_key_value_heads":8,"rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":true,
 "max_position_embeddings":2048}
""";
// similar active size: MLA (q LoRA 256, kv LoRA 128), 16 experts top-2 + 1 shared of 352, first layer dense, MTP 1
const string V3 = """
{"model_type":"deepseek_v3","vocab_size":8192,"hidden_size":512,"intermediate_size":1408,"moe_intermediate_size":352,
 "num_hidden_layers":6,"num_attention_heads":8,"num_key_value_heads":8,"q_lora_rank":256,"kv_lora_rank":128,
 "qk_nope_head_dim":64,"qk_rope_head_dim":32,"v_head_dim":64,"n_routed_experts":16,"n_shared_experts":1,
 "num_experts_per_tok":2,"n_group":4,"topk_group":2,"topk_method":"noaux_tc","scoring_func":"sigmoid","norm_topk_prob":true,
 "routed_scaling_factor":2.5,"first_k_dense_replace":1,"moe_layer_freq":1,"rms_norm_eps":1e-6,"rope_theta":10000.0,
 "max_position_embeddings":2048,"tie_word_embeddings":false,"num_nextn_predict_layers":1}
""";

if (args.Contains("--shapes"))
{
    foreach (var (m, n, k) in new[] { (2048, 1536, 512), (2048, 512, 512), (2048, 2816, 512), (2048, 512, 1408), (2048, 8192, 512) })
    {
        var A = new float[m * k]; var W = new float[n * k]; var O = new float[m * n];
        var rr = new Random(1); for (int i = 0; i < A.Length; i++) A[i] = rr.NextSingle(); for (int i = 0; i < W.Length; i++) W[i] = rr.NextSingle(); for (int i = 0; i < O.Length; i++) O[i] = rr.NextSingle();
        double flops = 2.0 * m * n * k;
        double Best(Action f) { f(); double best = 1e9; for (int i = 0; i < 7; i++) { var sw = Stopwatch.StartNew(); f(); best = Math.Min(best, sw.Elapsed.TotalSeconds); } return flops / best / 1e9; }
        double fw = Best(() => Dense.Forward(A, W, default, O, m, n, k));
        double bi = Best(() => Dense.BackwardInput(O, W, A, m, n, k, accumulate: false));
        double bw = Best(() => Dense.BackwardWeight(O, A, W, default, m, n, k, accumulate: true));
        Console.WriteLine($"M={m} N={n} K={k}: forward {fw:F0}  backward-input {bi:F0}  backward-weight {bw:F0} GFLOP/s");
    }
    return;
}
// the machine may be shared: peak = best single 2048³ GEMM, measured before and after the training run
double peak = GemmPeak();
var llama = Measure(ModelConfig.Parse(Llama), out long llamaParams, out double llamaFlopsPerToken);
peak = Math.Max(peak, GemmPeak());
double oursTokS = batch * seq / llama;
(double TokS, double Sgemm, string Blas)? pt = torch ? Torch(Llama) : null;
double? v3TokS = null; long v3Params = 0, v3Active = 0;
if (v3)
{
    var cfg = (DeepseekV3Config)ModelConfig.Parse(V3);
    v3TokS = batch * seq / Measure(cfg, out v3Params, out _, mtpWeight: 0.3f);
    v3Active = ActiveParams(cfg);
}

double oursMfu = oursTokS * llamaFlopsPerToken / (peak * 1e9);
if (json)
{
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        load_average = LoadAverage(), params_llama = llamaParams, threads, batch, seq, gemm_peak_gflops = peak, ours_tok_s = oursTokS, ours_mfu = oursMfu,
        torch_tok_s = pt?.TokS, torch_sgemm_gflops = pt?.Sgemm, torch_blas = pt?.Blas,
        torch_mfu = pt is { } p ? p.TokS * llamaFlopsPerToken / (p.Sgemm * 1e9) : (double?)null,
        ratio = pt is { } q ? oursTokS / q.TokS : (double?)null, v3_tok_s = v3TokS, v3_params = v3Params, v3_active_params = v3Active,
    }));
    return;
}
Console.WriteLine($"load average {LoadAverage()} (shared machine: the ratio is measured in the same run, the peaks as best-of)");
Console.WriteLine($"Llama-shape {llamaParams / 1e6:F1}M params, batch {batch}×{seq}, AdamW, {threads} threads; model FLOPs/token {llamaFlopsPerToken / 1e6:F0}M (6N + 12·L·D·T)");
Console.WriteLine($"  GEMM peak (ours, 2048³)      {peak,8:F1} GFLOP/s");
Console.WriteLine($"  SharpSeek                    {oursTokS,8:F0} tok/s   MFU {oursMfu:P1} of our GEMM peak");
if (pt is { } r)
{
    Console.WriteLine($"  PyTorch {r.Blas,-8} sgemm peak {r.Sgemm,8:F1} GFLOP/s");
    Console.WriteLine($"  PyTorch                      {r.TokS,8:F0} tok/s   MFU {r.TokS * llamaFlopsPerToken / (r.Sgemm * 1e9):P1} of its sgemm peak");
    Console.WriteLine($"  ratio ours / PyTorch         {oursTokS / r.TokS,8:F2}×   (target ≥ 1.2×, stretch 1.5×)");
}
if (v3TokS is { } vt)
    Console.WriteLine($"Tiny V3 (MLA + MoE 16e top-2 + MTP) {v3Params / 1e6:F1}M params, {v3Active / 1e6:F1}M active: {vt,8:F0} tok/s");

int Arg(string name, int def) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : def; }

double GemmPeak()
{
    int n = 2048;
    var a = new float[n * n]; var b = new float[n * n]; var c = new float[n * n];
    new Random(1).NextBytes(new byte[1]);
    for (int i = 0; i < a.Length; i++) { a[i] = (i % 7) * 0.1f; b[i] = (i % 5) * 0.1f; }
    Dense.Forward(a, b, default, c, n, n, n);
    double best = double.MaxValue;
    for (int i = 0; i < 6; i++)
    {
        var sw = Stopwatch.StartNew();
        Dense.Forward(a, b, default, c, n, n, n);
        best = Math.Min(best, sw.Elapsed.TotalSeconds);
    }
    return 2.0 * n * n * n / best / 1e9;
}

// median seconds per optimizer step
double Measure(ModelConfig cfg, out long parameters, out double flopsPerToken, float mtpWeight = 0)
{
    var model = new TrainModel(cfg) { MtpWeight = mtpWeight };
    model.Initialize(1);
    parameters = model.ParameterCount;
    long matmul = parameters - (cfg.TieWordEmbeddings ? 0 : (long)cfg.VocabSize * cfg.HiddenSize);   // head counts, embedding lookup does not
    flopsPerToken = 6.0 * matmul + 12.0 * cfg.NumHiddenLayers * cfg.HiddenSize * seq;
    var trainer = new Trainer(model, new StepOptions { Lr = new LrScheduleOptions(1e-3f, 1e-4f, 0, 100) });
    var rng = new SplitMix64(1);
    var times = new List<double>();
    for (int s = 0; s < steps + 2; s++)
    {
        var ids = new int[batch * (seq + 1)];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(cfg.VocabSize);
        var inputs = new int[batch * seq]; var targets = new int[batch * seq];
        for (int b = 0; b < batch; b++) { Array.Copy(ids, b * (seq + 1), inputs, b * seq, seq); Array.Copy(ids, b * (seq + 1) + 1, targets, b * seq, seq); }
        var sw = Stopwatch.StartNew();
        trainer.TrainStep(_ => new Batch(batch, seq, inputs, targets));
        if (s >= 2) times.Add(sw.Elapsed.TotalSeconds);
        if (!json) Console.Error.Write($"\r  {cfg.ModelType} step {s + 1}/{steps + 2}: {sw.Elapsed.TotalSeconds:F2} s ");
    }
    if (!json) Console.Error.WriteLine();
    times.Sort();
    return times[times.Count / 2];
}

long ActiveParams(DeepseekV3Config c)
{
    var m = new TrainModel(c with { NumNextnPredictLayers = 0 });
    long total = m.ParameterCount - (long)c.VocabSize * c.HiddenSize;   // embedding lookup excluded
    int moeLayers = Enumerable.Range(0, c.NumHiddenLayers).Count(c.IsMoeLayer);
    long expert = 3L * c.HiddenSize * c.MoeIntermediateSize;
    return total - moeLayers * (c.NRoutedExperts - c.NumExpertsPerTok) * expert;
}

(double, double, string) Torch(string cfgJson)
{
    string script = FindUp("tools/train/torch_baseline.py");
    var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in new[] { script, "--config", cfgJson.Replace("\n", ""), "--batch", $"{batch}", "--seq", $"{seq}", "--steps", $"{steps}", "--threads", $"{threads}" })
        psi.ArgumentList.Add(a);
    psi.Environment["OMP_NUM_THREADS"] = $"{threads}";
    if (!json) Console.Error.WriteLine("  running PyTorch baseline …");
    using var p = Process.Start(psi)!;
    string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException("torch_baseline.py failed: " + stderr);
    using var d = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
    return (d.RootElement.GetProperty("tok_s").GetDouble(), d.RootElement.GetProperty("sgemm_gflops").GetDouble(), d.RootElement.GetProperty("blas").GetString()!);
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

static string FindUp(string rel)
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, rel))) return Path.Combine(d.FullName, rel);
    throw new FileNotFoundException(rel);
}
