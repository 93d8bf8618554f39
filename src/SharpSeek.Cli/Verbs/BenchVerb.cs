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
        var mtpText = new Option<string>("--mtp-text") { Description = "measure MTP speculative decoding instead: prompts cut from this text file (tokenized with the model's tokenizer.json)" };
        var cmd = new Command("bench", "Measure prompt-processing and generation throughput (llama-bench's pp/tg).") { model, prompt, gen, threads, reps, f16, json, mtpText };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            int p = parse.GetValue(prompt), n = parse.GetValue(gen), t = parse.GetValue(threads), r = parse.GetValue(reps);
            if (parse.GetValue(mtpText) is { } textFile) return MeasureMtp(parse.GetValue(model)!, textFile, n, t, r, parse.GetValue(json));
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

    // Greedy decoding with and without MTP drafts on r prompts of 32 tokens cut from a text: outputs must be equal;
    // reports the acceptance rate and the speed-up measured in the same run.
    static int MeasureMtp(string modelPath, string textFile, int n, int threads, int reps, bool json)
    {
        var dir = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var ids = SharpSeek.Tokenizers.Tokenizer.Load(dir).Encode(File.ReadAllText(textFile));
        using var m = InferenceModel.Load(modelPath, new InferenceOptions { Threads = threads, MaxBatch = 64, MaxContext = 32 + n + 2 });
        if (!m.HasMtp) throw new ArgumentException($"{modelPath} has no MTP module (num_nextn_predict_layers is 0)");
        if (ids.Length < 32 * reps) throw new ArgumentException($"{textFile} holds {ids.Length} tokens; {32 * reps} are needed for {reps} prompts");
        double plainSeconds = 0, specSeconds = 0;
        int drafted = 0, accepted = 0, tokens = 0, mainSteps = 0;
        for (int i = 0; i < reps; i++)
        {
            var promptIds = ids.AsSpan(i * ids.Length / reps, 32).ToArray();
            var sw = Stopwatch.StartNew();
            var plain = Speculative.Greedy(m, promptIds, n);
            plainSeconds += sw.Elapsed.TotalSeconds;
            sw.Restart();
            var (spec, stats) = Speculative.GreedyWithMtp(m, promptIds, n);
            specSeconds += sw.Elapsed.TotalSeconds;
            if (!plain.SequenceEqual(spec)) throw new InvalidOperationException($"prompt {i}: speculative output differs from plain greedy decoding");
            drafted += stats.Drafted; accepted += stats.Accepted; tokens += stats.Tokens; mainSteps += stats.MainSteps;
        }
        double acceptance = drafted == 0 ? 0 : (double)accepted / drafted, speedup = plainSeconds / specSeconds;
        if (json) Console.WriteLine(JsonSerializer.Serialize(new { mtp_acceptance = acceptance, speedup, tokens, main_steps = mainSteps, plain_tok_s = tokens / plainSeconds, mtp_tok_s = tokens / specSeconds }));
        else Console.WriteLine($"MTP: acceptance {acceptance:P1} ({accepted}/{drafted}), {tokens} tokens in {mainSteps} main steps; plain {tokens / plainSeconds:F1} tok/s, speculative {tokens / specSeconds:F1} tok/s, speed-up {speedup:F2}×; outputs identical");
        return 0;
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
