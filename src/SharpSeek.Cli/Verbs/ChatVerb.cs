// `sharpseek chat [--model M]`: terminal chat over the serving engine. Streams the reply with the reasoning dimmed
// and apart from the answer; /reset, /system, /save, /think, /help; Ctrl-C stops a reply (or quits when idle),
// Ctrl-D quits.
using System.CommandLine;
using SharpSeek.Engine;
using SharpSeek.Engine.Chat;
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Cli.Verbs;

public static class ChatVerb
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "model folder (config.json, safetensors, tokenizer.json); default: the embedded model" };
        var system = new Option<string?>("--system") { Description = "system prompt" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "tokens per reply at most (default: 4096, capped by the context; R1 reasoning runs long)" };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy; R1's recommendation is 0.6", DefaultValueFactory = _ => 0.6f };
        var topP = new Option<float>("--top-p") { Description = "nucleus mass", DefaultValueFactory = _ => 0.95f };
        var seed = new Option<int?>("--seed") { Description = "sampling seed (reproducible replies)" };
        var context = new Option<int>("--context") { Description = "context length in tokens (capped by the model's)", DefaultValueFactory = _ => 4096 };
        var hideReasoning = new Option<bool>("--hide-reasoning") { Description = "do not print the model's reasoning" };
        var cacheMb = new Option<int>("--prefix-cache-mb") { Description = "memory for KV blocks of earlier turns, so a turn computes only what is new (0 = off)", DefaultValueFactory = _ => 256 };
        var singleTurn = new Option<bool?>("--single-turn") { Description = "send each message without the earlier turns (default: on for the embedded model, which was trained on single problems; off otherwise)" };
        var budget = new Option<int?>("--max-reasoning-tokens") { Description = "thinking budget: reasoning tokens per reply at most (0 = no thinking); /budget changes it" };
        var cmd = new Command("chat", "Chat with a model in the terminal (reasoning shown dimmed).") { model, system, maxTokens, temperature, topP, seed, context, hideReasoning, budget, cacheMb, singleTurn };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var sampling = new SamplingParams { Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed) };
            sampling.Validate();
            var path = ModelPaths.Resolve(parse.GetValue(model));
            Console.Error.WriteLine($"loading {path} …");
            if (parse.GetValue(model) is null) Console.Error.WriteLine(ModelPaths.EmbeddedNote);
            using var serving = ModelPaths.Load(path, new EngineOptions { DefaultMaxTokens = 4096, Scheduler = new SchedulerOptions { ContextLength = parse.GetValue(context), MaxBatch = 1, PrefixCacheBytes = parse.GetValue(cacheMb) * (1L << 20) } });
            bool embedded = parse.GetValue(model) is null, single = parse.GetValue(singleTurn) ?? embedded;
            if (embedded && parse.GetValue(singleTurn) is null)
                Console.Error.WriteLine("It answers one problem at a time: each message is sent without the earlier turns (--single-turn false sends them).");
            var session = new ChatSession(serving)
            {
                SystemPrompt = parse.GetValue(system), Sampling = sampling, MaxTokens = parse.GetValue(maxTokens), MaxReasoningTokens = parse.GetValue(budget),
                SingleTurn = single,
            };
            bool color = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
            Console.OutputEncoding = System.Text.Encoding.UTF8;
            var repl = new ChatRepl(session, Console.In, Console.Out, color) { ShowReasoning = !parse.GetValue(hideReasoning) };
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                if (repl.Interrupt()) return;              // Ctrl-C during a reply stops the reply
                Console.Out.Write(color ? "\e[0m\n" : "\n");    // at the prompt it quits
                Console.Out.Flush();
                Environment.Exit(0);
            };
            return repl.RunAsync().GetAwaiter().GetResult();
        }));
        return cmd;
    }
}

/// <summary>Model argument → folder; the embedded default when none is given.</summary>
public static class ModelPaths
{
    /// <summary>The model under models/ that `chat` and `serve` use when no --model is given.</summary>
    public const string EmbeddedName = "sharpseek-r1-tiny";

    public const string EmbeddedNote =
        "This is SharpSeek's embedded model: a small (6.6M-parameter) DeepSeek-V3-architecture model that SharpSeek trained itself\n" +
        "with the R1 recipe (pretraining on worked solutions, cold-start SFT, GRPO with rule rewards). It reasons in <think> and\n" +
        "answers arithmetic and Countdown problems (e.g. \"Compute 347 * 86.\"); it is not a general assistant. For a real model:\n" +
        "  sharpseek pull deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B   then   sharpseek chat --model DeepSeek-R1-Distill-Qwen-1.5B";

    public static string Resolve(string? given)
    {
        if (!string.IsNullOrEmpty(given))
        {
            if (Directory.Exists(given) || File.Exists(given)) return given;
            foreach (var root in ModelRoots())
                if (Directory.Exists(Path.Combine(root, given))) return Path.Combine(root, given);
            throw new ArgumentException($"--model: '{given}' is neither a folder, a file, nor a model under {string.Join(" or ", ModelRoots())}");
        }
        foreach (var root in ModelRoots())
            if (File.Exists(Path.Combine(root, EmbeddedName, "config.json")))
                return Path.Combine(root, EmbeddedName);
        foreach (var root in ModelRoots())
            if (Directory.Exists(root))
                foreach (var dir in Directory.GetDirectories(root).Order())
                    if (File.Exists(Path.Combine(dir, "config.json")) && File.Exists(Path.Combine(dir, "tokenizer.json"))) return dir;
        throw new ArgumentException($"the embedded model models/{EmbeddedName} is missing (run from the repository root, or rebuild it with tools/r1/run.sh); or pass --model with a model folder");
    }

    static IEnumerable<string> ModelRoots() => [Path.Combine(AppContext.BaseDirectory, "models"), Path.GetFullPath("models")];

    public static ServingModel Load(string path, EngineOptions options)
    {
        try { return ServingModel.Load(path, options); }
        catch (Exception e) when (e is SharpSeek.Tokenizers.TokenizerException or NotSupportedException)
        {
            throw new ArgumentException(e.Message, e);
        }
    }
}
