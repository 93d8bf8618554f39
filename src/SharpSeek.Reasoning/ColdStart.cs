// The R1 cold start (R1 §2.3.1): a few hundred well-formed, correct reasoning traces, here written programmatically
// from the ColdStart split only (disjoint from the RL prompts and the test set). Every example is checked by the same
// rewards GRPO uses (format = 1 and accuracy = 1) before it is kept, so the SFT data can never teach a wrong answer.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpSeek.Reasoning;

/// <summary>One SFT example: the user prompt and the assistant turn (R1Format.Assistant of the trace).</summary>
public sealed record SftExample(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("reasoning")] string Reasoning,
    [property: JsonPropertyName("answer")] string Answer)
{
    /// <summary>"&lt;think&gt;\n…\n&lt;/think&gt;\n&lt;answer&gt;…&lt;/answer&gt;" — trim it with R1Format.Completion against the rendered prompt.</summary>
    [JsonPropertyName("assistant")]
    public string Assistant => R1Format.Assistant(Reasoning, Answer);
}

public static class ColdStart
{
    /// <summary><paramref name="perTask"/> verified traces per task, deterministic in the seed, interleaved across tasks.</summary>
    public static List<SftExample> Build(IReadOnlyList<ReasoningTask> tasks, int perTask, int seed)
    {
        var perTaskLists = new List<List<SftExample>>();
        foreach (var task in tasks)
        {
            var rng = new DetRandom(seed * 31 + task.Name.Length);
            var list = new List<SftExample>();
            foreach (var problem in task.Generate(Split.ColdStart, perTask, seed))
            {
                var trace = task.Think(problem, rng);
                var example = new SftExample(task.Name, problem.Prompt, trace.Reasoning, trace.Answer);
                if (Rewards.Format(example.Assistant) != 1 || Rewards.Accuracy(problem, example.Assistant) != 1)
                    throw new InvalidOperationException($"task {task.Name}: the trace for '{problem.Prompt}' does not verify (answer '{trace.Answer}'); this is a bug in its Think");
                list.Add(example);
            }
            perTaskLists.Add(list);
        }
        var all = new List<SftExample>();
        for (int i = 0; i < perTask; i++) foreach (var l in perTaskLists) all.Add(l[i]);
        return all;
    }

    static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One JSON object per line: {"task","prompt","reasoning","answer","assistant"}.</summary>
    public static void WriteJsonl(string path, IEnumerable<SftExample> examples)
    {
        var tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp))
            foreach (var e in examples) w.WriteLine(JsonSerializer.Serialize(e, Json));
        File.Move(tmp, path, overwrite: true);
    }

    public static List<SftExample> ReadJsonl(string path)
    {
        var list = new List<SftExample>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var e = JsonSerializer.Deserialize<SftExample>(line, Json);
                if (e is null || e.Prompt is null || e.Reasoning is null || e.Answer is null) throw new JsonException("missing task/prompt/reasoning/answer");
                list.Add(e);
            }
            catch (JsonException ex) { throw new DatasetException($"{path}:{lineNo}: not an SFT example ({ex.Message})", ex); }
        }
        return list;
    }
}
