// The recipe's text data. Pretraining: worked solutions from the Pretrain split written as plain text, with no chat
// markers and no <think>/<answer> tags (a base model has seen math worked out, never the R1 format). Tokenizer
// training: the same text plus the cold-start traces in their chat form, so the format tokens are learned as pieces.
using System.Text.Json;

namespace SharpSeek.Reasoning;

public static class Corpus
{
    /// <summary>One plain-text document: "Problem: PROMPT\nSolution:\nREASONING\nAnswer: ANSWER".</summary>
    public static string PretrainDocument(Problem problem, Trace trace) => $"Problem: {problem.Prompt}\nSolution:\n{trace.Reasoning.Trim()}\nAnswer: {trace.Answer.Trim()}";

    /// <summary><paramref name="perTask"/> documents per task from the Pretrain split, interleaved across tasks.</summary>
    public static List<string> Pretrain(IReadOnlyList<ReasoningTask> tasks, int perTask, int seed) =>
        Pretrain(tasks.Select(t => (t, perTask)).ToList(), seed);

    /// <summary>count documents of each task from the Pretrain split, shuffled together deterministically by seed.</summary>
    public static List<string> Pretrain(IReadOnlyList<(ReasoningTask Task, int Count)> tasks, int seed)
    {
        var all = new List<string>();
        foreach (var (task, count) in tasks)
        {
            var rng = new DetRandom(seed * 131 + task.Name.Length);
            all.AddRange(task.Generate(Split.Pretrain, count, seed).Select(p => PretrainDocument(p, task.Think(p, rng))));
        }
        var shuffle = new DetRandom(seed * 7 + 3);
        for (int i = all.Count - 1; i > 0; i--) { int j = shuffle.Next(0, i); (all[i], all[j]) = (all[j], all[i]); }
        return all;
    }

    /// <summary>JSONL with one {"text": …} object per line (what `sharpseek data` reads); written atomically.</summary>
    public static void WriteTextJsonl(string path, IEnumerable<string> documents)
    {
        var tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp))
            foreach (var d in documents) w.WriteLine(JsonSerializer.Serialize(new { text = d }));
        File.Move(tmp, path, overwrite: true);
    }
}
