// `sharpseek bench --model M -p 128 -n 64 -t T [-r R] [--json]`: prompt processing (pp) and text generation (tg)
// throughput with llama-bench's meaning: pp = p prompt tokens in one batch from an empty cache; tg = n tokens
// decoded one at a time from an empty cache. Each is the mean of R repetitions after one warm-up.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Model.Inference;

namespace SharpSeek.Cli.Verbs;

public static class BenchVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "HF folder, .safetensors or .gguf", Required = true };
        var prompt = new Option<int>("-p") { Description = "prompt tokens (pp test)", DefaultValueFactory = _ => 128 };
        var gen = new Option<int>("-n") { Description = "generated tokens (tg test)", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("-t") { Description = "threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var reps = new Option<int>("-r") { Description = "repetitions", DefaultValueFactory = _ => 3 };
        var f16 = new Option<bool>("--f16-cache") { Description = "store the KV cache in f16" };
        var json = new Option<bool>("--json") { Description = "print {\"pp_tok_s\":..,\"tg_tok_s\":..}" };
        var cmd = new Command("bench", "Measure prompt-processing and generation throughput (llama-bench's pp/tg).") { model, prompt, gen, threads, reps, f16, json };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            int p = parse.GetValue(prompt), n = parse.GetValue(gen), t = parse.GetValue(threads), r = parse.GetValue(reps);
            if (p < 0 || n < 0 || (p == 0 && n == 0)) throw new ArgumentException("-p and -n must be ≥ 0, and not both 0");
            if (t < 1) throw new ArgumentException("-t must be ≥ 1");
            if (r < 1) throw new ArgumentException("-r must be ≥ 1");
            using var m = InferenceModel.Load(parse.GetValue(model)!, new InferenceOptions
            {
                Threads = t, MaxBatch = Math.Max(1, p), MaxContext = Math.Max(p, n) + 1, F16Cache = parse.GetValue(f16),
            });
            var result = Measure(m, p, n, r);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    pp_tok_s = result.Pp, tg_tok_s = result.Tg, threads = t, p, n, weight_bytes = m.WeightBytes,
                    decode_bytes_per_token = m.DecodeBytesPerToken, kv_bytes_per_token = m.NewSequence(1).BytesPerToken, peak_rss_bytes = Environment.WorkingSet > 0 ? System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 : 0,
                }));
            else
            {
                Console.WriteLine($"model {parse.GetValue(model)}  weights {m.WeightBytes / 1e6:F1} MB  threads {t}");
                if (p > 0) Console.WriteLine($"pp{p}: {result.Pp:F2} tok/s");
                if (n > 0) Console.WriteLine($"tg{n}: {result.Tg:F2} tok/s  ({result.Tg * m.DecodeBytesPerToken / 1e9:F1} GB/s of weights read)");
                Console.WriteLine($"peak resident memory {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");
            }
            return 0;
        }));
        return cmd;
    }

    public static (double Pp, double Tg) Measure(InferenceModel m, int p, int n, int reps)
    {
        var random = new Random(42);
        int v = m.Config.VocabSize;
        var tokens = Enumerable.Range(0, Math.Max(p, 1)).Select(_ => random.Next(v)).ToArray();
        var logits = new float[Math.Max(p, 1) * v];

        double RunPrompt()
        {
            var seq = m.NewSequence(p);
            var rows = tokens.Select((tok, i) => new BatchRow(tok, i, seq, WantLogits: i == p - 1)).ToArray();
            var sw = Stopwatch.StartNew();
            m.Forward(rows, logits);
            return p / sw.Elapsed.TotalSeconds;
        }
        double RunGen()
        {
            var seq = m.NewSequence(n);
            var row = new BatchRow[1];
            int tok = tokens[0];
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                row[0] = new BatchRow(tok, i, seq);
                m.Forward(row, logits.AsSpan(0, v));
                tok = (tok + 1) % v;
            }
            return n / sw.Elapsed.TotalSeconds;
        }

        double pp = 0, tg = 0;
        if (p > 0) { RunPrompt(); pp = Enumerable.Range(0, reps).Select(_ => RunPrompt()).Average(); }
        if (n > 0) { RunGen(); tg = Enumerable.Range(0, reps).Select(_ => RunGen()).Average(); }
        return (pp, tg);
    }
}
