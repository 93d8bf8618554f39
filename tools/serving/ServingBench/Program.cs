// Serving benchmark: starts the real server in-process on loopback and measures, in one run, a single streaming
// client (the baseline) against N concurrent streaming clients: aggregate generated tokens/s, the ratio, and
// time to first token (client side: request sent → first SSE chunk carrying text). Requests set ignore_eos so
// every stream generates exactly --tokens tokens.
//   dotnet run -c Release --project tools/serving/ServingBench -- --model DIR [--streams 8] [--tokens 32] [--threads 0] [--reference]
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SharpSeek.Engine;
using SharpSeek.Server;

string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
var modelDir = Arg("--model", "tests/fixtures/models/chat-tiny");
int streams = int.Parse(Arg("--streams", "8")), tokens = int.Parse(Arg("--tokens", "32")), threads = int.Parse(Arg("--threads", "0"));
int repeats = int.Parse(Arg("--repeats", "1"));
bool reference = args.Contains("--reference");

using var model = ServingModel.Load(modelDir, new EngineOptions
{
    Scheduler = new SchedulerOptions { MaxBatch = streams, MaxQueue = streams, ContextLength = 1024 },
    Reference = reference, Threads = threads,
});
await using var server = SharpSeekServer.Create(new ServerOptions { Port = 0, LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning }, model);
await server.StartAsync();
using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(30) };

async Task<(int Tokens, double Ttft)> Stream(int i, int n)
{
    var body = JsonSerializer.Serialize(new
    {
        model = model.Id, stream = true, stream_options = new { include_usage = true }, max_tokens = n, ignore_eos = true,
        temperature = 0.7, seed = i, messages = new[] { new { role = "user", content = $"Client {i}: explain in a few sentences why the sky is blue." } },
    });
    var clock = Stopwatch.StartNew();
    using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
    resp.EnsureSuccessStatusCode();
    using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
    double ttft = double.NaN;
    int completion = 0;
    while (await reader.ReadLineAsync() is string line)
    {
        if (!line.StartsWith("data: {")) continue;
        using var doc = JsonDocument.Parse(line[6..]);
        var root = doc.RootElement;
        if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object) completion = u.GetProperty("completion_tokens").GetInt32();
        if (double.IsNaN(ttft) && root.GetProperty("choices") is { ValueKind: JsonValueKind.Array } ch && ch.GetArrayLength() > 0)
        {
            var d = ch[0].GetProperty("delta");
            if (d.TryGetProperty("reasoning_content", out _) || d.TryGetProperty("content", out var c) && c.GetString()!.Length > 0) ttft = clock.Elapsed.TotalSeconds;
        }
    }
    return (completion, ttft);
}

async Task<(double TokS, double Ttft, double Wall, double DecodeTokS)> Run(int clients)
{
    var st = model.Scheduler.Stats;
    (long tokens0, double secs0) = (st.DecodeOnlyTokens, st.DecodeOnlySeconds);
    var clock = Stopwatch.StartNew();
    var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Stream(i, tokens)));
    double wall = clock.Elapsed.TotalSeconds;
    double decode = (st.DecodeOnlyTokens - tokens0) / Math.Max(1e-9, st.DecodeOnlySeconds - secs0);
    return (results.Sum(r => r.Tokens) / wall, results.Average(r => r.Ttft), wall, decode);
}

// in-process (no HTTP): time to the first token and to the first text, straight from the engine
async Task<(double FirstToken, double FirstText)> EngineTtft()
{
    var prompt = model.PrepareChat([new ChatTurn("user", "Client 0: explain in a few sentences why the sky is blue.")]);
    var clock = Stopwatch.StartNew();
    var h = model.Submit(new GenerationRequest { Prompt = prompt.Tokens, StartInReasoning = prompt.StartInReasoning, MaxTokens = 8, IgnoreEos = true });
    double first = double.NaN, text = double.NaN;
    await foreach (var d in h.ReadAllAsync())
    {
        if (double.IsNaN(first)) first = clock.Elapsed.TotalSeconds;
        if (double.IsNaN(text) && (d.Reasoning.Length > 0 || d.Content.Length > 0)) text = clock.Elapsed.TotalSeconds;
    }
    return (first, text);
}

await Stream(0, 4);                                            // warm-up: JIT, page-in of the weights
await EngineTtft();
var engineTtft = await EngineTtft();
Console.Error.WriteLine($"engine only: first token {engineTtft.FirstToken * 1000:0.0} ms, first text {engineTtft.FirstText * 1000:0.0} ms");
var singles = new List<(double TokS, double Ttft, double Wall, double DecodeTokS)>();
var multis = new List<(double TokS, double Ttft, double Wall, double DecodeTokS)>();
for (int r = 0; r < repeats; r++) { singles.Add(await Run(1)); multis.Add(await Run(streams)); }
var single = singles.OrderBy(x => x.TokS).ElementAt(singles.Count / 2);
var multi = multis.OrderBy(x => x.TokS).ElementAt(multis.Count / 2);
double ratio = multi.TokS / single.TokS;
var stats = model.Scheduler.Stats;
var json = JsonSerializer.Serialize(new
{
    model = model.Id, path = reference ? "reference" : "fast", streams, tokens,
    single_tok_s = Math.Round(single.TokS, 2), concurrent_tok_s = Math.Round(multi.TokS, 2), ratio = Math.Round(ratio, 2),
    ttft_single_ms = Math.Round(single.Ttft * 1000, 1), engine_ttft_ms = Math.Round(engineTtft.FirstToken * 1000, 1), ttft_concurrent_mean_ms = Math.Round(multi.Ttft * 1000, 1),
    decode_only_single_tok_s = Math.Round(single.DecodeTokS, 2), decode_only_concurrent_tok_s = Math.Round(multi.DecodeTokS, 2),
    decode_only_ratio = Math.Round(multi.DecodeTokS / single.DecodeTokS, 2),
    mean_decode_batch = Math.Round(stats.MeanBatch, 2), cores = Environment.ProcessorCount, load_average = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?",
});
Console.WriteLine(json);
Console.WriteLine($"| {model.Id} ({(reference ? "fp32 reference" : "fast path")}) | {single.TokS:0.0} | {multi.TokS:0.0} | **{ratio:0.00}×** | {single.DecodeTokS:0.0} → {multi.DecodeTokS:0.0} ({multi.DecodeTokS / single.DecodeTokS:0.00}×) | {single.Ttft * 1000:0} ms | {multi.Ttft * 1000:0} ms |");
