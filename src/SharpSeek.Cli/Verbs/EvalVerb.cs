// `sharpseek eval --model M (--task NAME | --data F.jsonl) [--n N] [--k K] [--json]`: R1's evaluation protocol on the fast
// inference path — k samples per problem at temperature 0.6 / top-p 0.95, pass@1 averaged over them, cons@k by majority
// vote; --greedy adds greedy accuracy. Task problems come from the held-out Test split.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SharpSeek.Model.Inference;
using SharpSeek.Reasoning;
using SharpSeek.Reasoning.Tasks;
using SharpSeek.Tokenizers;

namespace SharpSeek.Cli.Verbs;

public static class EvalVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF folder, .safetensors or .gguf file, or a name under models/ (default: the embedded model)" };
        var task = new Option<string>("--task") { Description = $"a task's held-out split: {string.Join(", ", TaskRegistry.Names)}" };
        var data = new Option<string>("--data") { Description = "JSONL file of {\"prompt\":..,\"answer\":..} rows" };
        var n = new Option<int?>("--n") { Description = "problems (default: 100 for a task, every row of --data)" };
        var k = new Option<int>("--k") { Description = "samples per problem", DefaultValueFactory = _ => 4 };
        var seed = new Option<int>("--seed") { Description = "problem and sampling seed", DefaultValueFactory = _ => 1 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "completion tokens per sample", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "sampling temperature (R1: 0.6)", DefaultValueFactory = _ => 0.6f };
        var topP = new Option<float>("--top-p") { Description = "nucleus mass (R1: 0.95)", DefaultValueFactory = _ => 0.95f };
        var greedy = new Option<bool>("--greedy") { Description = "also run one greedy completion per problem (greedy accuracy)" };
        var threads = new Option<int>("--threads", "-t") { Description = "worker threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var parallel = new Option<int>("--parallel") { Description = "sequences decoded together", DefaultValueFactory = _ => 16 };
        var tokenizerPath = new Option<string>("--tokenizer") { Description = "tokenizer.json or its folder (default: the model folder)" };
        var samples = new Option<string>("--samples") { Description = "write every completion with its verdict to this JSONL file" };
        var json = new Option<bool>("--json") { Description = "print one JSON object {\"pass_at_1\":..,\"cons_at_k\":..,\"n\":..,…}" };
        var cmd = new Command("eval", "Evaluate a model on a verifiable task or a JSONL dataset (pass@1 over k samples, cons@k).")
        { model, task, data, n, k, seed, maxTokens, temperature, topP, greedy, threads, parallel, tokenizerPath, samples, json };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var (taskName, dataPath) = (parse.GetValue(task), parse.GetValue(data));
            if ((taskName is null) == (dataPath is null)) throw new ArgumentException("give exactly one of --task NAME or --data F.jsonl");
            int count = parse.GetValue(n) ?? (taskName is not null ? 100 : int.MaxValue);
            if (count < 1) throw new ArgumentException("--n must be ≥ 1");
            int kk = parse.GetValue(k);
            if (kk < 1) throw new ArgumentException("--k must be ≥ 1");
            if (parse.GetValue(parallel) < 1) throw new ArgumentException("--parallel must be ≥ 1");
            IReadOnlyList<Problem> problems = taskName is not null
                ? TaskRegistry.Get(taskName).Generate(Split.Test, count, parse.GetValue(seed))
                : Dataset.ReadJsonl(dataPath!).Take(count).ToList();
            var sampling = new SamplingSettings(parse.GetValue(temperature), parse.GetValue(topP), parse.GetValue(maxTokens), parse.GetValue(seed)).Validate();

            var path = ModelPaths.Resolve(parse.GetValue(model));
            var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
            var tokenizer = Tokenizer.Load(parse.GetValue(tokenizerPath) ?? folder);
            using var m = InferenceModel.Load(path, new InferenceOptions { Threads = Math.Max(1, parse.GetValue(threads)), LoadMtp = false });
            var generator = new ModelGenerator(m, tokenizer, parse.GetValue(parallel));
            var evaluator = new Evaluator(generator.Generate, generator.CountTokens);

            var started = DateTime.UtcNow;
            var report = evaluator.Run(problems, kk, sampling);
            var greedyReport = parse.GetValue(greedy) ? evaluator.Greedy(problems, sampling.MaxTokens) : null;
            double seconds = (DateTime.UtcNow - started).TotalSeconds;
            if (parse.GetValue(samples) is string samplesPath) WriteSamples(samplesPath, report);

            if (parse.GetValue(json))
            {
                var o = new Dictionary<string, object?>
                {
                    ["pass_at_1"] = report.PassAt1, ["cons_at_k"] = report.ConsAtK, ["pass_at_k"] = report.PassAtK, ["n"] = report.N, ["k"] = report.K,
                    ["task"] = taskName ?? Path.GetFileName(dataPath), ["format_rate"] = report.FormatRate,
                    ["mean_response_tokens"] = report.MeanResponseLength, ["temperature"] = sampling.Temperature, ["top_p"] = sampling.TopP,
                    ["max_tokens"] = sampling.MaxTokens, ["seconds"] = Math.Round(seconds, 2),
                };
                if (greedyReport is not null) o["greedy_accuracy"] = greedyReport.PassAt1;
                Console.WriteLine(JsonSerializer.Serialize(o));
            }
            else
            {
                var c = CultureInfo.InvariantCulture;
                Console.WriteLine($"{taskName ?? dataPath}: {report.N} problems × {report.K} samples (T={sampling.Temperature.ToString(c)}, top-p={sampling.TopP.ToString(c)}), {seconds:F1} s");
                Console.WriteLine($"  pass@1            {report.PassAt1.ToString("P1", c)}");
                Console.WriteLine($"  cons@{report.K,-12} {report.ConsAtK.ToString("P1", c)}");
                Console.WriteLine($"  pass@{report.K,-12} {report.PassAtK.ToString("P1", c)}");
                if (greedyReport is not null) Console.WriteLine($"  greedy accuracy   {greedyReport.PassAt1.ToString("P1", c)}");
                Console.WriteLine($"  well-formed       {report.FormatRate.ToString("P1", c)}");
                Console.WriteLine($"  mean length       {report.MeanResponseLength.ToString("F1", c)} {report.LengthUnit}");
            }
            return 0;
        }));
        return cmd;
    }

    static void WriteSamples(string path, EvalReport report)
    {
        using var w = new StreamWriter(path);
        foreach (var r in report.Problems)
            for (int i = 0; i < r.Completions.Count; i++)
                w.WriteLine(JsonSerializer.Serialize(new
                {
                    prompt = r.Problem.Prompt, reference = r.Problem.Answer, completion = r.Completions[i],
                    answer = r.Answers[i], correct = r.Correct[i], well_formed = r.WellFormed[i],
                }));
    }
}
