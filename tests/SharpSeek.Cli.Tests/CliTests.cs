// The CLI verbs run in-process, as a user would call them; output captured from Console.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Cli.Verbs;
using SharpSeek.Tests;
using Xunit;


namespace SharpSeek.Cli.Tests;

[CollectionDefinition("Console", DisableParallelization = true)]
public class ConsoleCollection;

[Collection("Console")]
public class CliTests
{
    static (int code, string stdout, string stderr) Run(params string[] args) =>
        Invoke(new RootCommand { InfoVerb.Create(), LogitsVerb.Create(), GenerateVerb.Create() }, args);

    /// <summary>Runs the verbs in-process with stdout and stderr captured.</summary>
    internal static (int code, string stdout, string stderr) Invoke(RootCommand root, string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o); Console.SetError(e);
        try { return (root.Parse(args).Invoke(), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Fact]
    public void Logits_json_matches_golden()
    {
        var golden = Golden.Read("v3-qlora-yarn-mtp");
        var (code, stdout, stderr) = Run("logits", "--model", Fixtures.Path("models", "v3-qlora-yarn-mtp"), "--ids", string.Join(",", golden.Ids), "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(golden.Ids, doc.RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()));
        var rows = doc.RootElement.GetProperty("logits").EnumerateArray().ToArray();
        Assert.Equal(golden.Ids.Length, rows.Length);
        for (int t = 0; t < rows.Length; t++)
            Assert.True(Golden.MaxAbsDiff(rows[t].EnumerateArray().Select(x => x.GetSingle()).ToArray(), golden.Logits[t]) <= 1e-4f);
    }

    [Fact]
    public void Info_reports_total_and_active_parameters()
    {
        var (code, stdout, stderr) = Run("info", "--model", Fixtures.Path("models", "v3-qlora-yarn-mtp"), "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal("deepseek_v3", r.GetProperty("architecture").GetString());
        long total = r.GetProperty("parameters_total").GetInt64(), active = r.GetProperty("parameters_active").GetInt64();
        Assert.True(active > 0 && active < total, $"active {active} total {total}");
        Assert.True(r.GetProperty("mtp").GetBoolean());
    }

    [Fact]
    public void Generate_greedy_is_deterministic_and_seeded_sampling_repeats()
    {
        var model = Fixtures.Path("models", "llama3-scaled");
        var a = Run("generate", "--model", model, "--prompt-ids", "1,2,3", "--max-tokens", "8", "--json");
        var b = Run("generate", "--model", model, "--prompt-ids", "1,2,3", "--max-tokens", "8", "--json");
        Assert.True(a.code == 0, a.stderr);
        Assert.Equal(a.stdout, b.stdout);
        var s1 = Run("generate", "--model", model, "--prompt-ids", "1,2,3", "--max-tokens", "8", "--temperature", "1", "--top-k", "20", "--top-p", "0.9", "--seed", "5", "--json");
        var s2 = Run("generate", "--model", model, "--prompt-ids", "1,2,3", "--max-tokens", "8", "--temperature", "1", "--top-k", "20", "--top-p", "0.9", "--seed", "5", "--json");
        Assert.Equal(s1.stdout, s2.stdout);
        using var doc = JsonDocument.Parse(s1.stdout);
        Assert.InRange(doc.RootElement.GetProperty("ids").GetArrayLength(), 1, 8);
    }

    [Theory]
    [InlineData("--ids", "1,x,3", "not a non-negative integer")]
    [InlineData("--ids", "100000", "out of range")]
    [InlineData("--ids", "", "at least one")]
    public void Bad_ids_give_one_clear_error_line(string opt, string value, string expect)
    {
        var (code, _, stderr) = Run("logits", "--model", Fixtures.Path("models", "qwen2-tied"), opt, value);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(expect, stderr);
    }

    [Fact]
    public void Missing_model_folder_is_a_clear_error()
    {
        var (code, _, stderr) = Run("info", "--model", "/nonexistent/model");
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", stderr);
    }
}

[Collection("Console")]
public class RecipeCliTests
{
    static (int code, string stdout, string stderr) Run(params string[] args) =>
        CliTests.Invoke(new RootCommand { SftVerb.Create(), GrpoVerb.Create(), DistillVerb.Create(), R1DataVerb.Create() }, args);

    static readonly string Tiny = Fixtures.Path("models", "chat-tiny");

    [Fact]
    public void Bad_recipe_inputs_give_one_clear_error_line()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sharpseek-cli-r1-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string bad = Path.Combine(dir, "bad.jsonl");
            File.WriteAllText(bad, "{\"prompt\":\"Compute 1 + 1.\",\"reasoning\":\"1 + 1 = 2\",\"answer\":\"2\"}\n{not json\n");
            var (code, _, err) = Run("sft", "--model", Tiny, "--data", bad, "--out", Path.Combine(dir, "sft"));
            Assert.Equal(1, code);
            Assert.Contains("bad.jsonl:2", err);

            (code, _, err) = Run("grpo", "--model", Tiny, "--out", Path.Combine(dir, "g"), "--rewards", "accuracy=1,elegance=2");
            Assert.Equal(1, code);
            Assert.Contains("elegance", err);
            Assert.Contains("accuracy", err);                                        // lists the known ones

            (code, _, err) = Run("grpo", "--model", Tiny, "--out", Path.Combine(dir, "g"), "--tasks", "arithmetic,chess");
            Assert.Equal(1, code);
            Assert.Contains("unknown task 'chess'", err);

            (code, _, err) = Run("grpo", "--model", Tiny, "--out", Path.Combine(dir, "g"), "--top-p", "0");
            Assert.Equal(1, code);
            Assert.Contains("TopP is 0", err);

            // a checkpoint that does not match its config
            string wrong = Path.Combine(dir, "wrong");
            Directory.CreateDirectory(wrong);
            foreach (var f in Directory.GetFiles(Tiny)) File.Copy(f, Path.Combine(wrong, Path.GetFileName(f)));
            File.WriteAllText(Path.Combine(wrong, "config.json"), File.ReadAllText(Path.Combine(Tiny, "config.json")).Replace("\"hidden_size\": 64", "\"hidden_size\": 96"));
            (code, _, err) = Run("grpo", "--model", wrong, "--out", Path.Combine(dir, "g2"));
            Assert.Equal(1, code);
            Assert.Contains("model.embed_tokens.weight", err);
            Assert.DoesNotContain("   at ", err);                                    // no stack trace

            // a prompt longer than the context
            string longData = Path.Combine(dir, "long.jsonl");
            File.WriteAllText(longData, JsonSerializer.Serialize(new { prompt = string.Concat(Enumerable.Repeat("Compute 1 + 1. ", 2000)), reasoning = "r", answer = "2" }) + "\n");
            (code, _, err) = Run("sft", "--model", Tiny, "--data", longData, "--out", Path.Combine(dir, "sft2"));
            Assert.Equal(1, code);
            Assert.Contains("context", err);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

[Collection("Console")]
public class EmbeddedModelTests
{
    static string Embedded => Path.Combine(Fixtures.Root, "..", "..", "models", ModelPaths.EmbeddedName);

    [Fact]
    public void Embedded_model_is_small_has_a_card_and_is_the_default()
    {
        Assert.True(File.Exists(Path.Combine(Embedded, "config.json")), $"no embedded model at {Embedded}");
        long bytes = Directory.GetFiles(Embedded).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes <= 25L << 20, $"the embedded model takes {bytes / 1e6:F1} MB; the limit is 25 MB");
        Assert.Contains("tools/r1/run.sh", File.ReadAllText(Path.Combine(Embedded, "README.md")));
        var cwd = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = Path.GetFullPath(Path.Combine(Embedded, "..", ".."));
            var resolved = ModelPaths.Resolve(null);                      // beside the binary (copied at build) or under ./models
            Assert.Equal(ModelPaths.EmbeddedName, Path.GetFileName(resolved));
            Assert.Equal(File.ReadAllBytes(Path.Combine(Embedded, "model.safetensors")), File.ReadAllBytes(Path.Combine(resolved, "model.safetensors")));
        }
        finally { Environment.CurrentDirectory = cwd; }
    }

    [Fact]
    public void Embedded_model_reasons_and_solves_held_out_arithmetic()
    {
        using var model = SharpSeek.Model.Inference.InferenceModel.Load(Embedded, new SharpSeek.Model.Inference.InferenceOptions { Threads = 2, LoadMtp = false });
        var gen = new SharpSeek.Reasoning.ModelGenerator(model, SharpSeek.Tokenizers.Tokenizer.Load(Embedded), 32);
        var problems = SharpSeek.Reasoning.Tasks.TaskRegistry.Get("arithmetic").Generate(SharpSeek.Reasoning.Split.Test, 32, 1);
        var report = new SharpSeek.Reasoning.Evaluator(gen.Generate).Greedy(problems, 480);
        Assert.True(report.FormatRate >= 0.9, $"format rate {report.FormatRate}");
        // the card reports greedy accuracy on 100 such problems; a broken or swapped model scores near 0
        Assert.True(report.PassAt1 >= 0.4, $"greedy accuracy {report.PassAt1} on 32 held-out arithmetic problems");
    }
}
