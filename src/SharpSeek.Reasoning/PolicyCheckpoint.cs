// A trainable model + its tokenizer loaded from an HF folder (what every recipe stage starts from and writes), and the
// run bookkeeping shared by SFT and GRPO: resume from out_dir/latest, metrics.jsonl cut back to the resumed step.
using System.Text.Json;
using SharpSeek.Model;
using SharpSeek.Tokenizers;
using SharpSeek.Training;

namespace SharpSeek.Reasoning;

public sealed class PolicyCheckpoint
{
    public required string Directory { get; init; }
    public required ModelConfig Config { get; init; }
    public required string ConfigJson { get; init; }
    public required Tokenizer Tokenizer { get; init; }

    public static PolicyCheckpoint Open(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"model folder {dir} does not exist");
        var configPath = Path.Combine(dir, "config.json");
        if (!File.Exists(configPath)) throw new ConfigException(configPath, null, "config.json not found: give an HF model folder (e.g. a checkpoint of `sharpseek train`)");
        var config = ModelConfig.Load(configPath);
        return new PolicyCheckpoint { Directory = dir, Config = config, ConfigJson = File.ReadAllText(configPath), Tokenizer = Tokenizer.Load(dir) };
    }

    /// <summary>A TrainModel with this checkpoint's weights (names and shapes checked against the config).</summary>
    public TrainModel LoadModel()
    {
        var m = new TrainModel(Config);
        m.LoadWeights(Directory);
        return m;
    }

    /// <summary>Token ids of the rendered prompt (chat template + generation prompt, as evaluation and chat render it).</summary>
    public int[] EncodePrompt(string user) => Tokenizer.Encode(R1Format.RenderPrompt(Tokenizer, user), addSpecialTokens: false);

    public int EosId => ModelConfig.FirstId(Config.EosTokenId) ?? Tokenizer.EosId
        ?? throw new ConfigException(Path.Combine(Directory, "config.json"), "eos_token_id", "the recipe needs an end-of-sequence token to stop completions");

    /// <summary>An SFT example as prompt ids + completion ids + EOS.</summary>
    public TokenSequence Encode(SftExample e)
    {
        var rendered = R1Format.RenderPrompt(Tokenizer, e.Prompt);
        var prompt = Tokenizer.Encode(rendered, addSpecialTokens: false);
        var completion = Tokenizer.Encode(R1Format.Completion(rendered, e.Assistant), addSpecialTokens: false);
        return new TokenSequence([.. prompt, .. completion, EosId], prompt.Length);
    }
}

static class RunFiles
{
    /// <summary>
    /// Records which model a run folder started from (out/run.json) and refuses to resume it from another: a rerun
    /// with a new --model and an old --out would otherwise silently continue the old run.
    /// </summary>
    public static void CheckOrigin(string outDir, string stage, string initDir, bool resuming)
    {
        string path = Path.Combine(outDir, "run.json"), init = Path.GetFullPath(initDir);
        if (resuming && File.Exists(path))
        {
            using var d = JsonDocument.Parse(File.ReadAllText(path));
            string? was = d.RootElement.TryGetProperty("init", out var i) ? i.GetString() : null;
            string? wasStage = d.RootElement.TryGetProperty("stage", out var st) ? st.GetString() : null;
            if (wasStage != stage || was != init)
                throw new ArgumentException($"{outDir} holds a {wasStage} run that started from {was}; this {stage} starts from {init}. Use another --out, or --restart to discard it");
            return;
        }
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(new { stage, init }));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The last value of a numeric field in metrics.jsonl (0 when absent).</summary>
    public static double LastValue(string path, string field)
    {
        if (!File.Exists(path)) return 0;
        double v = 0;
        foreach (var l in File.ReadLines(path))
        {
            try { using var d = JsonDocument.Parse(l); if (d.RootElement.TryGetProperty(field, out var x)) v = x.GetDouble(); }
            catch (JsonException) { }
        }
        return v;
    }
}
