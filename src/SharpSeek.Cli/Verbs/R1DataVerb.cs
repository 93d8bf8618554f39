// `sharpseek r1-data --out DIR [--tasks a,b] [--pretrain-per-task N] [--cold-start-per-task M] [--seed S]`: the
// recipe's text. pretrain.jsonl (plain worked solutions, Pretrain split), cold_start.jsonl (verified R1-format traces,
// ColdStart split) and tokenizer_corpus.txt (both, for `tokenizer train`). Held-out and RL problems never appear.
using System.CommandLine;
using SharpSeek.Reasoning;
using SharpSeek.Reasoning.Tasks;

namespace SharpSeek.Cli.Verbs;

public static class R1DataVerb
{
    public static readonly string[] DefaultTasks = ["arithmetic", "countdown3", "countdown4", "linear", "evaluate", "lookup"];

    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "output folder", Required = true };
        var tasks = new Option<string>("--tasks") { Description = "comma-separated task names", DefaultValueFactory = _ => string.Join(",", DefaultTasks) };
        var pretrain = new Option<string>("--pretrain") { Description = "pretraining documents: N per task, or per task as name=N,name=N", DefaultValueFactory = _ => "8000" };
        var coldStart = new Option<int>("--cold-start-per-task") { Description = "cold-start traces per task", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "generation seed", DefaultValueFactory = _ => 1 };
        var cmd = new Command("r1-data", "Write the R1 recipe's pretraining text and cold-start traces.") { output, tasks, pretrain, coldStart, seed };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var list = ParseTasks(parse.GetValue(tasks)!);
            int nc = parse.GetValue(coldStart), s = parse.GetValue(seed);
            if (nc < 0) throw new ArgumentException("--cold-start-per-task must be ≥ 0");
            var counts = PretrainCounts(parse.GetValue(pretrain)!, list);
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var docs = Corpus.Pretrain(counts, s);
            Corpus.WriteTextJsonl(Path.Combine(dir, "pretrain.jsonl"), docs);
            var traces = ColdStart.Build(list, nc, s);
            ColdStart.WriteJsonl(Path.Combine(dir, "cold_start.jsonl"), traces);
            var tmp = Path.Combine(dir, "tokenizer_corpus.txt.tmp");
            File.WriteAllLines(tmp, docs.Take(4000).Concat(traces.Select(t => $"<｜User｜>{t.Prompt}<｜Assistant｜>{t.Assistant}")));
            File.Move(tmp, Path.Combine(dir, "tokenizer_corpus.txt"), overwrite: true);
            Console.WriteLine($"{docs.Count} pretraining documents, {traces.Count} cold-start traces ({string.Join(", ", list.Select(t => t.Name))}) → {dir}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>"8000" (every task) or "arithmetic=60000,countdown3=30000" (tasks not named get 0).</summary>
    static List<(ReasoningTask, int)> PretrainCounts(string spec, List<ReasoningTask> tasks)
    {
        if (int.TryParse(spec, out int all)) return all >= 0 ? tasks.Select(t => (t, all)).ToList() : throw new ArgumentException("--pretrain must be ≥ 0");
        var map = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2 || !int.TryParse(kv[1], out int n) || n < 0) throw new ArgumentException($"--pretrain: '{part}' is not name=count");
            if (!tasks.Any(t => t.Name.Equals(kv[0], StringComparison.OrdinalIgnoreCase))) throw new ArgumentException($"--pretrain: task '{kv[0]}' is not in --tasks");
            map[kv[0]] = n;
        }
        return tasks.Select(t => (t, map.GetValueOrDefault(t.Name))).ToList();
    }

    public static List<ReasoningTask> ParseTasks(string csv)
    {
        var names = csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new ArgumentException("--tasks names no task");
        return names.Select(TaskRegistry.Get).ToList();
    }
}
