// `sharpseek sft --model DIR --data traces.jsonl --out DIR [--steps N] [--batch B] [--lr X] ...`: supervised fine-tuning
// on R1-format traces (cold start / distillation), loss on completion tokens only; resumes from <out>/latest.
using System.CommandLine;
using SharpSeek.Reasoning;

namespace SharpSeek.Cli.Verbs;

public static class SftVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF folder to start from (e.g. a pretraining checkpoint)", Required = true };
        var data = new Option<string>("--data") { Description = "JSONL of {\"prompt\",\"reasoning\",\"answer\"} traces (r1-data's cold_start.jsonl)", Required = true };
        var output = new Option<string>("--out") { Description = "run folder (checkpoints/, latest, metrics.jsonl)", Required = true };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 300 };
        var batch = new Option<int>("--batch") { Description = "sequences per step", DefaultValueFactory = _ => 16 };
        var lr = new Option<float>("--lr") { DefaultValueFactory = _ => 1e-3f };
        var minLr = new Option<float>("--min-lr") { DefaultValueFactory = _ => 1e-4f };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var minutes = new Option<double?>("--minutes") { Description = "stop after this much training time (equal-wall-clock baselines)" };
        var restart = new Option<bool>("--restart") { Description = "ignore <out>/latest and start over" };
        var cmd = new Command("sft", "Supervised fine-tuning on R1-format reasoning traces (cold start, distillation).")
        { model, data, output, steps, batch, lr, minLr, warmup, seed, minutes, restart };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var init = PolicyCheckpoint.Open(parse.GetValue(model)!);
            var examples = ColdStart.ReadJsonl(parse.GetValue(data)!);
            var options = new SftOptions
            {
                Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr), MinLearningRate = parse.GetValue(minLr),
                WarmupSteps = parse.GetValue(warmup), Seed = parse.GetValue(seed),
                TimeBudget = parse.GetValue(minutes) is double m ? TimeSpan.FromMinutes(m) : null,
            };
            var run = new SftRun(init, examples, options, parse.GetValue(output)!, parse.GetValue(restart));
            Console.Error.WriteLine($"sft: {examples.Count} examples, {run.Model.ParameterCount / 1e6:F2}M parameters; " + (run.StartStep > 0 ? $"resuming at step {run.StartStep}" : "from " + init.Directory));
            run.Run(r => { if (r.Step % 10 == 0 || r.Step == r.TotalSteps) Console.WriteLine($"step {r.Step}/{r.TotalSteps} loss {r.Loss:F4} mtp {r.MtpLoss:F4} |g| {r.GradNorm:F3} lr {r.Lr:E2} {r.Seconds:F0}s"); });
            Console.Error.WriteLine($"sft: done; model {run.LatestCheckpoint}");
            return 0;
        }));
        return cmd;
    }
}
