// `sharpseek grpo --model DIR --out DIR [--tasks a,b] [--steps N] [--minutes M] [--group G] [--prompts P] [--beta β] ...`:
// R1's reinforcement learning with rule rewards (docs/R1-RECIPE.md §4), resumable; curves as PNG beside metrics.jsonl.
using System.CommandLine;
using SharpSeek.Reasoning;

namespace SharpSeek.Cli.Verbs;

public static class GrpoVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF folder of the policy to start from (the cold-start SFT model)", Required = true };
        var output = new Option<string>("--out") { Description = "run folder", Required = true };
        var tasks = new Option<string>("--tasks") { DefaultValueFactory = _ => "arithmetic,countdown3" };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 200 };
        var minutes = new Option<double?>("--minutes") { Description = "stop after this much GRPO time (rollouts + updates; evaluation excluded)" };
        var group = new Option<int>("--group") { Description = "G: completions per prompt", DefaultValueFactory = _ => 8 };
        var prompts = new Option<int>("--prompts") { Description = "prompts per step", DefaultValueFactory = _ => 8 };
        var iterations = new Option<int>("--iterations") { Description = "μ: updates per rollout batch", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 1e-4 };
        var beta = new Option<double>("--beta") { DefaultValueFactory = _ => 0.04 };
        var eps = new Option<double>("--epsilon") { DefaultValueFactory = _ => 0.2 };
        var epsHigh = new Option<double?>("--epsilon-high") { Description = "upper clip (DAPO 0.28); default = --epsilon" };
        var loss = new Option<LossType>("--loss") { Description = "SequenceMean (paper), Token (DAPO), DrGrpo", DefaultValueFactory = _ => LossType.SequenceMean };
        var temperature = new Option<float>("--temperature") { DefaultValueFactory = _ => 1.0f };
        var topP = new Option<float>("--top-p") { Description = "rollout nucleus mass (1 = off, as in TRL)", DefaultValueFactory = _ => 1.0f };
        var scaleRewards = new Option<AdvantageScaling>("--scale-rewards") { Description = "advantage ÷ std of the Group (paper), of the Batch, or None (Dr. GRPO)", DefaultValueFactory = _ => AdvantageScaling.Group };
        var maxGradNorm = new Option<double>("--max-grad-norm") { DefaultValueFactory = _ => 1.0 };
        var maskTruncated = new Option<bool>("--mask-truncated") { Description = "drop truncated completions from the loss (DAPO)" };
        var skipFlat = new Option<bool>("--skip-zero-variance") { Description = "skip groups whose rewards are all equal (no signal; a cheap form of DAPO's dynamic sampling)" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max completion length", DefaultValueFactory = _ => 256 };
        var rewards = new Option<string>("--rewards") { Description = "weighted reward terms, e.g. accuracy=1,format=0.1,overlong=0.5", DefaultValueFactory = _ => "accuracy=1,format=0.1" };
        var evalEvery = new Option<int>("--eval-every") { DefaultValueFactory = _ => 20 };
        var evalN = new Option<int>("--eval-n") { Description = "held-out problems per task in the in-run evaluation", DefaultValueFactory = _ => 50 };
        var evalK = new Option<int>("--eval-k") { DefaultValueFactory = _ => 4 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var restart = new Option<bool>("--restart") { Description = "ignore <out>/latest and start over" };
        var cmd = new Command("grpo", "Reinforcement learning with GRPO and rule rewards on verifiable tasks (R1).")
        {
            model, output, tasks, steps, minutes, group, prompts, iterations, lr, beta, eps, epsHigh, loss, temperature, topP, maxTokens, rewards,
            scaleRewards, maxGradNorm, maskTruncated, skipFlat, evalEvery, evalN, evalK, seed, restart,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var init = PolicyCheckpoint.Open(parse.GetValue(model)!);
            int max = parse.GetValue(maxTokens);
            var grpo = new GrpoOptions
            {
                GroupSize = parse.GetValue(group), PromptsPerStep = parse.GetValue(prompts), Iterations = parse.GetValue(iterations),
                LearningRate = parse.GetValue(lr), Beta = parse.GetValue(beta), Epsilon = parse.GetValue(eps), EpsilonHigh = parse.GetValue(epsHigh),
                LossType = parse.GetValue(loss), Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), MaxCompletionLength = max,
                ScaleRewards = parse.GetValue(scaleRewards), MaxGradNorm = parse.GetValue(maxGradNorm), MaskTruncatedCompletions = parse.GetValue(maskTruncated),
                SkipZeroVarianceGroups = parse.GetValue(skipFlat), Seed = parse.GetValue(seed),
            };
            var options = new GrpoRunOptions
            {
                Grpo = grpo, Rewards = RewardConfig.Parse(parse.GetValue(rewards)!, max), Tasks = R1DataVerb.ParseTasks(parse.GetValue(tasks)!),
                Steps = parse.GetValue(steps), TimeBudget = parse.GetValue(minutes) is double m ? TimeSpan.FromMinutes(m) : null,
                EvalEvery = parse.GetValue(evalEvery), EvalProblems = parse.GetValue(evalN), EvalK = parse.GetValue(evalK),
            };
            var run = new GrpoRun(init, options, parse.GetValue(output)!, parse.GetValue(restart));
            Console.Error.WriteLine($"grpo: {string.Join(", ", options.Tasks.Select(t => t.Name))}, G={grpo.GroupSize}, {grpo.PromptsPerStep} prompts/step, β={grpo.Beta}, lr={grpo.LearningRate}; " +
                (run.Step > 0 ? $"resuming at step {run.Step}" : "from " + init.Directory));
            run.Run(r =>
            {
                Console.WriteLine($"step {r.Step}/{r.TotalSteps} reward {r.Batch.MeanReward:F3} acc {r.Batch.Accuracy:F3} fmt {r.Batch.FormatRate:F2} len {r.Batch.MeanLength:F0} " +
                    $"kl {r.Loss.MeanKl:F4} clip {r.Loss.ClipFraction:F3} |g| {r.GradNorm:F3} {r.Seconds:F0}s");
                if (r.HeldOut is { } h) Console.WriteLine("  held-out pass@1: " + string.Join(", ", h.Select(kv => $"{kv.Key} {kv.Value:F3}")));
            });
            Console.Error.WriteLine($"grpo: done; model {SharpSeek.Training.CheckpointStore.Latest(run.OutDir)}; curves in {run.OutDir}");
            return 0;
        }));
        return cmd;
    }
}
