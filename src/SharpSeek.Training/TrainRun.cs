// A pretraining run from a TrainConfig: build or load the model, resume from out_dir/latest when present, then loop
// steps → metrics.jsonl → checkpoints → plots. The CLI draws the progress; this class only reports each step.
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Model;
using SharpSeek.Tensors;

namespace SharpSeek.Training;

public sealed record StepReport(StepResult Result, int TotalSteps, long Tokens, double TokensPerSecond, TimeSpan Elapsed, TimeSpan Eta);

public sealed class TrainRun
{
    public TrainConfig Config { get; }
    public ModelConfig ModelConfig { get; }
    public TrainModel Model { get; }
    public Trainer Trainer { get; }
    public DataLoader Data { get; }
    public int StartStep { get; }
    public string OutDir => Config.OutPath;
    public string MetricsPath => Path.Combine(OutDir, "metrics.jsonl");
    readonly string modelJson;

    public TrainRun(TrainConfig config, bool restart = false)
    {
        Config = config;
        ModelConfig = config.ModelConfig();
        if (config.Threads > 0) WorkerPool.SetSharedThreads(config.Threads);
        modelJson = config.Model is { ValueKind: JsonValueKind.Object } m ? m.GetRawText()
            : File.ReadAllText(config.Model is { } p ? ResolveConfigPath(p.GetString()!) : Path.Combine(config.InitPath!, "config.json"));
        int? eos = ModelConfig.FirstId(ModelConfig.EosTokenId);
        Data = new DataLoader(config.ShardFiles(), config.SeqLen, ModelConfig.VocabSize, config.Seed, eos, config.DocumentMasking);
        Model = new TrainModel(ModelConfig) { MtpWeight = (float)config.MtpWeight };
        Model.SetBalanceAlpha((float)config.BalanceAlpha);
        Trainer = new Trainer(Model, new StepOptions
        {
            Lr = config.LrSchedule(),
            AdamW = new AdamWOptions((float)config.Beta1, (float)config.Beta2, (float)config.Eps, (float)config.WeightDecay),
            GradClip = (float)config.GradClip,
            GradAccum = config.GradAccum,
            BiasUpdateSpeed = (float)config.BiasUpdateSpeed,
        });
        Directory.CreateDirectory(OutDir);
        var latest = restart ? null : CheckpointStore.Latest(OutDir);
        if (latest is not null)
        {
            var state = CheckpointStore.Load(latest, Model);
            if (state.Seed != config.Seed)
                throw new TrainConfigException(config.Source, "seed", $"the run in {OutDir} used seed {state.Seed}; resume with the same seed or choose another out_dir");
            Trainer.Step = StartStep = state.Step;
            TruncateMetrics(MetricsPath, StartStep);
        }
        else
        {
            if (config.InitPath is { } init) Model.LoadWeights(init); else Model.Initialize(config.Seed);
            if (File.Exists(MetricsPath)) File.Delete(MetricsPath);
        }
    }

    string ResolveConfigPath(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Config.Source)) ?? ".", p));

    int TokensPerStep => Config.BatchSize * Config.SeqLen * Config.GradAccum;

    /// <summary>Runs the remaining steps; onStep is called after each step (progress display).</summary>
    public void Run(Action<StepReport>? onStep = null, CancellationToken cancel = default)
    {
        var sw = Stopwatch.StartNew();
        using var metrics = new StreamWriter(MetricsPath, append: true) { AutoFlush = false };
        int B = Config.BatchSize, accum = Config.GradAccum, total = Config.Steps;
        long windowTokens = 0;
        var window = Stopwatch.StartNew();
        double tokS = 0;
        while (Trainer.Step < total && !cancel.IsCancellationRequested)
        {
            int step = Trainer.Step;
            var r = Trainer.TrainStep(m => Data.Get(((long)step * accum + m) * B, B));
            windowTokens += TokensPerStep;
            if (window.Elapsed.TotalSeconds >= 1 || r.Step == total) { tokS = windowTokens / window.Elapsed.TotalSeconds; windowTokens = 0; window.Restart(); }
            if (!double.IsFinite(r.Loss)) throw new InvalidOperationException($"step {r.Step}: the loss is {r.Loss}; lower lr or check the data");
            long tokens = (long)r.Step * TokensPerStep;
            if (r.Step % Config.LogEvery == 0 || r.Step == total)
            {
                metrics.WriteLine(JsonSerializer.Serialize(new
                {
                    step = r.Step, loss = r.Loss, main_loss = r.MainLoss, mtp_loss = r.MtpLoss, balance_loss = r.BalanceLoss,
                    grad_norm = r.GradNorm, lr = r.Lr, tokens, tok_s = Math.Round(tokS, 1), expert_load = r.ExpertLoad,
                }));
                metrics.Flush();
            }
            if (r.Step % Config.CheckpointEvery == 0 || r.Step == total) SaveCheckpoint();
            double done = r.Step - StartStep;
            var eta = done > 0 ? TimeSpan.FromSeconds(sw.Elapsed.TotalSeconds / done * (total - r.Step)) : TimeSpan.Zero;
            onStep?.Invoke(new StepReport(r, total, tokens, tokS, sw.Elapsed, eta));
        }
        metrics.Close();
        Plots.Draw(MetricsPath, OutDir);
    }

    public string SaveCheckpoint()
    {
        var state = new TrainerState(Trainer.Step, Config.Seed, (long)Trainer.Step * TokensPerStep, ModelConfig.ModelType);
        return CheckpointStore.Save(OutDir, Model, state, modelJson, Config.TokenizerPath, Config.KeepCheckpoints);
    }

    /// <summary>Keeps the metric lines with "step" ≤ step, so a resumed run's metrics.jsonl reads as one uninterrupted run
    /// (a line torn by the kill is dropped).</summary>
    public static void TruncateMetrics(string path, int step)
    {
        if (!File.Exists(path)) return;
        var keep = File.ReadLines(path).Where(l =>
        {
            try { using var d = JsonDocument.Parse(l); return d.RootElement.GetProperty("step").GetInt32() <= step; }
            catch (JsonException) { return false; }
        }).ToList();
        File.WriteAllLines(path + ".tmp", keep);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
