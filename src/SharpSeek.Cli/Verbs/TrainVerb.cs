// `sharpseek train --config F.json [--restart] [--threads N] [--plain]`: pretraining with the C# training engine.
// Resumes from <out_dir>/latest when present; live progress (step, loss, tok/s, ETA) with Spectre.Console.
using System.CommandLine;
using SharpSeek.Training;
using Spectre.Console;

namespace SharpSeek.Cli.Verbs;

public static class TrainVerb
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "training config JSON (see docs/TRAINING.md)", Required = true };
        var restart = new Option<bool>("--restart") { Description = "ignore <out_dir>/latest and start from scratch" };
        var threads = new Option<int>("--threads") { Description = "worker threads (overrides the config; 0 = config/all cores)" };
        var plain = new Option<bool>("--plain") { Description = "one log line per step instead of the live progress bar" };
        var cmd = new Command("train", "Pretrain (or continue training) a model from token shards; resumable.") { config, restart, threads, plain };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            try
            {
                var cfg = TrainConfig.Load(parse.GetValue(config)!);
                if (parse.GetValue(threads) is > 0 and var t) cfg = cfg with { Threads = t };
                var run = new TrainRun(cfg, parse.GetValue(restart));
                var mc = run.ModelConfig;
                Console.Error.WriteLine($"train: {mc.ModelType}, {run.Model.ParameterCount / 1e6:F2}M parameters, {run.Data.TokenCount:N0} tokens in {run.Data.Windows:N0} windows of {cfg.SeqLen}; " +
                    (run.StartStep > 0 ? $"resuming at step {run.StartStep}" : "from scratch") + $" → {run.OutDir}");
                bool live = !parse.GetValue(plain) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
                if (live)
                {
                    AnsiConsole.Progress()
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                        .Start(ctx =>
                        {
                            var task = ctx.AddTask("train", maxValue: cfg.Steps);
                            task.Value = run.StartStep;
                            run.Run(r =>
                            {
                                task.Value = r.Result.Step;
                                task.Description = Markup.Escape($"step {r.Result.Step}/{r.TotalSteps} loss {r.Result.Loss:F4} {r.TokensPerSecond:F0} tok/s ETA {r.Eta:hh\\:mm\\:ss}");
                            });
                        });
                }
                else
                    run.Run(r => Console.WriteLine(
                        $"step {r.Result.Step}/{r.TotalSteps} loss {r.Result.Loss:F6} main {r.Result.MainLoss:F6} mtp {r.Result.MtpLoss:F6} " +
                        $"lr {r.Result.Lr:E3} |g| {r.Result.GradNorm:F4} {r.TokensPerSecond:F0} tok/s ETA {r.Eta:hh\\:mm\\:ss}"));
                Console.Error.WriteLine($"train: done; checkpoint {SharpSeek.Training.CheckpointStore.Latest(run.OutDir)}, curves in {run.OutDir}/loss.png");
                return 0;
            }
            catch (Exception e) when (e is TrainConfigException or DataFormatException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        }));
        return cmd;
    }
}
