// Distillation data by rejection sampling (R1 §2.3.3, §2.4): the teacher (the RL model) answers RL-split prompts, k
// samples each; only well-formed, verified-correct responses are kept (one per problem, the first that passes), as
// SFT examples for a smaller student.
namespace SharpSeek.Reasoning;

public sealed record DistillStats(int Problems, int Samples, int Kept, double Seconds);

public static class Distill
{
    public static (List<SftExample> Examples, DistillStats Stats) RejectionSample(GenerateCompletions teacher, IReadOnlyList<ReasoningTask> tasks,
        int problemsPerTask, int k, SamplingSettings sampling, int seed)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var examples = new List<SftExample>();
        int problems = 0;
        foreach (var task in tasks)
        {
            var list = task.Generate(Split.Rl, problemsPerTask, seed + 101);
            problems += list.Count;
            var completions = teacher(list.Select(p => p.Prompt).ToList(), k, sampling);
            for (int i = 0; i < list.Count; i++)
                foreach (var c in completions[i])
                {
                    var parsed = R1Format.Parse(c);
                    if (!parsed.WellFormed || Rewards.Accuracy(list[i], c) != 1 || parsed.Reasoning is null || parsed.Answer is null) continue;
                    examples.Add(new SftExample(task.Name, list[i].Prompt, parsed.Reasoning, parsed.Answer));
                    break;
                }
        }
        return (examples, new DistillStats(problems, problems * k, examples.Count, sw.Elapsed.TotalSeconds));
    }
}
