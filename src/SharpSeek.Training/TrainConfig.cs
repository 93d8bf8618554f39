// `train --config F.json`: one record whose keys are the JSON keys (snake_case), each default with its reason.
// Validate() names the key and says how to fix it.
using System.Text.Json;
using System.Text.Json.Serialization;
using SharpSeek.Model;

namespace SharpSeek.Training;

public sealed class TrainConfigException(string file, string key, string message) : Exception($"{file}: {key}: {message}")
{
    public string File { get; } = file;
    public string Key { get; } = key;
}

public sealed record TrainConfig
{
    /// <summary>The model's HF config: a path to config.json (relative to this file) or the object inline.</summary>
    public JsonElement? Model { get; init; }
    /// <summary>Start from this HF checkpoint instead of random init (fine-tuning, continued pretraining).</summary>
    public string? InitFrom { get; init; }
    /// <summary>Tokenizer folder (tokenizer.json …), copied into every checkpoint so it is self-contained.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>Token shards (files or folders of *.bin) made by `sharpseek data`.</summary>
    public string[] Data { get; init; } = [];
    public string OutDir { get; init; } = "runs/train";
    public int SeqLen { get; init; } = 256;
    public int BatchSize { get; init; } = 8;
    public int GradAccum { get; init; } = 1;
    public int Steps { get; init; } = 1000;
    public double Lr { get; init; } = 3e-3;               // small models tolerate a high lr (nanoGPT shakespeare: 1e-3)
    public double MinLr { get; init; } = 3e-4;            // lr/10 at the end (Chinchilla)
    public int WarmupSteps { get; init; } = 50;
    public string Schedule { get; init; } = "cosine";     // cosine | wsd | constant
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;            // 0.95 as V3 and most LLM runs
    public double Eps { get; init; } = 1e-8;
    public double GradClip { get; init; } = 1.0;          // V3 §4.2
    public ulong Seed { get; init; } = 1;
    public double BiasUpdateSpeed { get; init; } = 0.001; // γ, V3 §4.2 (0.001 for most of training)
    public double BalanceAlpha { get; init; } = 0.0001;   // α, V3 §4.2
    public double MtpWeight { get; init; } = 0.3;         // λ, V3 §4.2 (0.3 for the first 10T tokens)
    public bool DocumentMasking { get; init; }            // false: EOS separation only
    public int CheckpointEvery { get; init; } = 100;
    public int KeepCheckpoints { get; init; } = 2;
    public int LogEvery { get; init; } = 1;
    public int Threads { get; init; }                     // 0 = all cores

    [JsonIgnore] public string Source { get; init; } = "train.json";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static TrainConfig Load(string path)
    {
        if (!File.Exists(path)) throw new TrainConfigException(path, "(file)", "training config not found");
        TrainConfig? c;
        try { c = JsonSerializer.Deserialize<TrainConfig>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new TrainConfigException(path, e.Path ?? "(json)", e.Message); }
        if (c is null) throw new TrainConfigException(path, "(json)", "the config is null");
        c = c with { Source = path };
        c.Validate();
        return c;
    }

    string Resolve(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Source)) ?? ".", p));

    /// <summary>The model config (validated by its own rules).</summary>
    public ModelConfig ModelConfig()
    {
        if (Model is not { } m)
        {
            if (InitFrom is not null) return SharpSeek.Model.ModelConfig.Load(Resolve(InitFrom));
            throw new TrainConfigException(Source, "model", "give the model's config.json path or object (or init_from)");
        }
        return m.ValueKind == JsonValueKind.String
            ? SharpSeek.Model.ModelConfig.Load(Resolve(m.GetString()!))
            : SharpSeek.Model.ModelConfig.Parse(m.GetRawText(), Source + " (model)");
    }

    public string OutPath => Resolve(OutDir);
    public string? TokenizerPath => Tokenizer is null ? null : Resolve(Tokenizer);
    public string? InitPath => InitFrom is null ? null : Resolve(InitFrom);

    /// <summary>Shard files: each entry a file, or a folder whose *.bin files are taken in name order.</summary>
    public IReadOnlyList<string> ShardFiles() => Data.Select(Resolve).SelectMany(p => Directory.Exists(p)
        ? Directory.GetFiles(p, "*.bin").Order(StringComparer.Ordinal)
        : (IEnumerable<string>)[p]).ToList();

    public void Validate()
    {
        void Need(bool ok, string key, string msg) { if (!ok) throw new TrainConfigException(Source, key, msg); }
        Need(Data.Length > 0, "data", "list at least one token shard or folder of shards (make them with `sharpseek data`)");
        Need(SeqLen > 0, "seq_len", $"is {SeqLen}; use a positive length such as 256");
        Need(BatchSize > 0, "batch_size", $"is {BatchSize}; use a positive batch such as 8");
        Need(GradAccum > 0, "grad_accum", $"is {GradAccum}; use 1 or more");
        Need(Steps > 0, "steps", $"is {Steps}; use a positive number of optimizer steps");
        Need(Lr > 0 && double.IsFinite(Lr), "lr", $"is {Lr}; use a positive learning rate such as 3e-3");
        Need(MinLr >= 0 && MinLr <= Lr, "min_lr", $"is {MinLr}; it must lie in [0, lr = {Lr}]");
        Need(WarmupSteps >= 0 && WarmupSteps <= Steps, "warmup_steps", $"is {WarmupSteps}; it must lie in [0, steps = {Steps}]");
        Need(Schedule is "cosine" or "wsd" or "constant", "schedule", $"'{Schedule}' is not one of cosine, wsd, constant");
        Need(WeightDecay >= 0, "weight_decay", $"is {WeightDecay}; use ≥ 0");
        Need(Beta1 is >= 0 and < 1, "beta1", $"is {Beta1}; use a value in [0, 1) such as 0.9");
        Need(Beta2 is >= 0 and < 1, "beta2", $"is {Beta2}; use a value in [0, 1) such as 0.95");
        Need(Eps > 0, "eps", $"is {Eps}; use a small positive number such as 1e-8");
        Need(GradClip >= 0, "grad_clip", $"is {GradClip}; use 0 (off) or a positive norm such as 1.0");
        Need(BiasUpdateSpeed >= 0, "bias_update_speed", $"is {BiasUpdateSpeed}; use ≥ 0 (V3: 0.001)");
        Need(BalanceAlpha >= 0, "balance_alpha", $"is {BalanceAlpha}; use ≥ 0 (V3: 0.0001)");
        Need(MtpWeight >= 0, "mtp_weight", $"is {MtpWeight}; use ≥ 0 (V3: 0.3, later 0.1)");
        Need(CheckpointEvery > 0, "checkpoint_every", $"is {CheckpointEvery}; use a positive step interval");
        Need(KeepCheckpoints > 0, "keep_checkpoints", $"is {KeepCheckpoints}; keep at least 1");
        Need(LogEvery > 0, "log_every", $"is {LogEvery}; use a positive step interval");
        Need(Threads >= 0, "threads", $"is {Threads}; use 0 (all cores) or a positive count");
        var mc = ModelConfig();
        Need(SeqLen <= mc.MaxPositionEmbeddings, "seq_len", $"is {SeqLen}, more than the model's max_position_embeddings {mc.MaxPositionEmbeddings}");
    }

    public LrScheduleOptions LrSchedule() => new((float)Lr, (float)MinLr, WarmupSteps, Steps,
        Schedule switch { "wsd" => Training.LrSchedule.Wsd, "constant" => Training.LrSchedule.Constant, _ => Training.LrSchedule.Cosine });
}
