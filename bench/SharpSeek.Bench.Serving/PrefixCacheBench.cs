// Context caching: time to first token of a request whose 1,000-token prefix is in the prefix cache (hit) against
// one whose prefix is new (miss), each with a short distinct suffix; interleaved miss, hit, miss, hit …, medians.
//   dotnet run -c Release --project bench/SharpSeek.Bench.Serving -- cache [--model DIR] [--prefix 1000] [--suffix 24]
//       [--reps 7] [--threads 0]
// Default model: tests/fixtures/models/chat-tiny (runs anywhere, but too small to mean much); a realistic one:
//   /usr/bin/python3 tools/serving/make_chat_tiny.py --medium bench/.models/chat-medium   (~200M parameters, bf16)
using System.Diagnostics;
using SharpSeek.Engine;
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Bench.Serving;

public static class PrefixCacheBench
{
    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
        string modelDir = Arg("--model", SharpSeek.Tests.Fixtures.Path("models", "chat-tiny"));
        int prefixTokens = int.Parse(Arg("--prefix", "1000")), suffixTokens = int.Parse(Arg("--suffix", "24"));
        int reps = int.Parse(Arg("--reps", "7")), threads = int.Parse(Arg("--threads", "0"));

        using var model = ServingModel.Load(modelDir, new EngineOptions
        {
            Scheduler = new SchedulerOptions { MaxBatch = 1, ContextLength = prefixTokens + suffixTokens + 8 },
            Threads = threads,
        });
        var cache = model.Scheduler.PrefixCache ?? throw new InvalidOperationException("this model's step cannot export KV rows");
        var rng = new Random(1);
        int[] Tokens(int n) => [.. Enumerable.Range(0, n).Select(_ => rng.Next(256))];   // byte tokens: valid in any byte-level vocab
        double Ttft(int[] prompt)
        {
            var clock = Stopwatch.StartNew();
            var r = model.Submit(new GenerationRequest { Prompt = prompt, MaxTokens = 1, SplitReasoning = false, Sampling = new SamplingParams { Temperature = 0 } })
                .CompleteAsync().GetAwaiter().GetResult();
            if (r.Finish == FinishReason.Error) throw new InvalidOperationException(r.Error);
            return clock.Elapsed.TotalMilliseconds;
        }

        var shared = Tokens(prefixTokens);
        Ttft([.. shared, .. Tokens(suffixTokens)]);              // warm-up (JIT, pool) and it stores the shared prefix
        var miss = new List<double>();
        var hit = new List<double>();
        for (int r = 0; r < reps; r++)
        {
            miss.Add(Ttft([.. Tokens(prefixTokens), .. Tokens(suffixTokens)]));   // a prefix never seen
            hit.Add(Ttft([.. shared, .. Tokens(suffixTokens)]));
        }
        var s = cache.Stats;
        double Median(List<double> x) { x.Sort(); return x[x.Count / 2]; }
        double m = Median(miss), h = Median(hit);
        var layout = model.Model.KvLayout!.Split(' ');           // "f32 256/32,…": element type, key/value elements per layer
        long bytesPerToken = (layout[0] == "f16" ? 2 : 4) * layout[1].Split(',', '/').Sum(long.Parse);
        Console.WriteLine($"model {modelDir}; KV rows {model.Model.KvLayout} = {bytesPerToken} bytes/token; {Environment.ProcessorCount} cores; prefix {prefixTokens} + suffix {suffixTokens} tokens; {reps} reps, medians");
        Console.WriteLine($"cached per hit: {s.HitTokens / Math.Max(1, s.Hits)} tokens; prefix cache holds {s.MemoryBlocks} blocks, {s.MemoryBytes / 1024.0:F0} KiB");
        Console.WriteLine("| time to first token | miss (ms) | hit (ms) | hit / miss |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| {Path.GetFileName(Path.GetFullPath(modelDir))} | {m:F1} | {h:F1} | {h / m:P1} |");
        return 0;
    }
}
