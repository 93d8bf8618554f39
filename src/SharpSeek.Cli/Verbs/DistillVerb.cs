// `sharpseek distill --teacher DIR --student DIR --out DIR [--tasks a,b] [--problems N] [--k K] [--steps S] ...`: R1's
// distillation — rejection-sample the teacher's correct traces on RL prompts (<out>/traces.jsonl), then SFT the student
// on them (<out>/sft). Each half is skipped when its output exists (resumable).
using System.CommandLine;
using SharpSeek.Model.Inference;
using SharpSeek.Reasoning;

namespace SharpSeek.Cli.Verbs;

public static class DistillVerb
{
    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "HF folder of the teacher (the GRPO model)", Required = true };
        var student = new Option<string>("--student") { Description = "HF folder of the student to fine-tune (same tokenizer)", Required = true };
        var output = new Option<string>("--out") { Description = "run folder", Required = true };
        var tasks = new Option<string>("--tasks") { DefaultValueFactory = _ => "arithmetic,countdown3" };
        var problems = new Option<int>("--problems") { Description = "RL-split prompts per task", DefaultValueFactory = _ => 400 };
        var k = new Option<int>("--k") { Description = "teacher samples per prompt", DefaultValueFactory = _ => 4 };
        var maxTokens = new Option<int>("--max-tokens") { DefaultValueFactory = _ => 256 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 300 };
        var lr = new Option<float>("--lr") { DefaultValueFactory = _ => 1e-3f };
        var minutes = new Option<double?>("--minutes") { Description = "cap on the student's SFT time" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var cmd = new Command("distill", "Distil a reasoning model into a student: rejection-sampled teacher traces → SFT.")
        { teacher, student, output, tasks, problems, k, maxTokens, steps, lr, minutes, seed };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string outDir = parse.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            string traces = Path.Combine(outDir, "traces.jsonl");
            var studentInit = PolicyCheckpoint.Open(parse.GetValue(student)!);
            if (!File.Exists(traces))
            {
                var t = PolicyCheckpoint.Open(parse.GetValue(teacher)!);
                using var model = InferenceModel.Load(t.Directory, new InferenceOptions { LoadMtp = false, MaxBatch = 256 });
                var gen = new ModelGenerator(model, t.Tokenizer, 64);
                var (examples, stats) = Distill.RejectionSample(gen.Generate, R1DataVerb.ParseTasks(parse.GetValue(tasks)!), parse.GetValue(problems), parse.GetValue(k),
                    SamplingSettings.R1Eval(parse.GetValue(maxTokens), parse.GetValue(seed)), parse.GetValue(seed));
                ColdStart.WriteJsonl(traces, examples);
                Console.WriteLine($"distill: kept {stats.Kept} of {stats.Problems} problems ({stats.Samples} samples) in {stats.Seconds:F0}s → {traces}");
            }
            var all = ColdStart.ReadJsonl(traces);
            var run = new SftRun(studentInit, all, new SftOptions
            {
                Steps = parse.GetValue(steps), LearningRate = parse.GetValue(lr), MinLearningRate = parse.GetValue(lr) / 10, Seed = parse.GetValue(seed),
                TimeBudget = parse.GetValue(minutes) is double m ? TimeSpan.FromMinutes(m) : null,
            }, Path.Combine(outDir, "sft"));
            run.Run(r => { if (r.Step % 10 == 0 || r.Step == r.TotalSteps) Console.WriteLine($"step {r.Step}/{r.TotalSteps} loss {r.Loss:F4} {r.Seconds:F0}s"); });
            Console.Error.WriteLine($"distill: done; student {run.LatestCheckpoint}");
            return 0;
        }));
        return cmd;
    }
}
