// Supervised fine-tuning on R1-format examples (the cold start, R1 §2.3.1; the distillation student, §2.4): cross-entropy
// on completion tokens only (the rendered prompt is context), shuffled by seed each epoch, AdamW with warm-up + cosine,
// checkpoints as `train` writes them, resumable exactly from out_dir/latest.
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Training;

namespace SharpSeek.Reasoning;

public sealed record SftOptions
{
    public int Steps { get; init; } = 300;
    /// <summary>Sequences per step.</summary>
    public int BatchSize { get; init; } = 16;
    public float LearningRate { get; init; } = 1e-3f;
    public float MinLearningRate { get; init; } = 1e-4f;
    public int WarmupSteps { get; init; } = 20;
    public float WeightDecay { get; init; } = 0.0f;
    public float GradClip { get; init; } = 1f;
    /// <summary>MTP loss weight λ (keeps the MTP head in step with the main model for speculative decoding).</summary>
    public float MtpWeight { get; init; } = 0.3f;
    public int CheckpointEvery { get; init; } = 100;
    public int Seed { get; init; } = 1;
    /// <summary>Stop early once this much training time has passed (equal-wall-clock baselines); null = run all steps.</summary>
    public TimeSpan? TimeBudget { get; init; }

    public SftOptions Validate()
    {
        if (Steps < 1) throw new ArgumentException("steps must be ≥ 1");
        if (BatchSize < 1) throw new ArgumentException("batch size must be ≥ 1");
        if (!(LearningRate > 0) || !(MinLearningRate >= 0) || MinLearningRate > LearningRate) throw new ArgumentException("need 0 ≤ min lr ≤ lr and lr > 0");
        if (WarmupSteps < 0 || CheckpointEvery < 1) throw new ArgumentException("warm-up must be ≥ 0 and checkpoint-every ≥ 1");
        return this;
    }
}

public sealed record SftStepReport(int Step, int TotalSteps, double Loss, double MtpLoss, double GradNorm, float Lr, double Seconds);

public sealed class SftRun
{
    public PolicyCheckpoint Init { get; }
    public SftOptions Options { get; }
    public string OutDir { get; }
    public TrainModel Model { get; }
    public Trainer Trainer { get; }
    public int StartStep { get; }
    public string MetricsPath => Path.Combine(OutDir, "metrics.jsonl");
    readonly List<TokenSequence> data;
    readonly double startSeconds;

    public SftRun(PolicyCheckpoint init, IReadOnlyList<SftExample> examples, SftOptions options, string outDir, bool restart = false)
    {
        Init = init;
        Options = options.Validate();
        OutDir = outDir;
        if (examples.Count == 0) throw new ArgumentException("no SFT examples");
        int context = init.Config.MaxPositionEmbeddings;
        data = examples.Select(init.Encode).ToList();
        var tooLong = data.FindIndex(s => s.Ids.Length > context);
        if (tooLong >= 0) throw new ArgumentException($"example {tooLong + 1} has {data[tooLong].Ids.Length} tokens; the model's context is {context} (max_position_embeddings)");
        Model = init.LoadModel();
        Model.MtpWeight = Model.HasMtp ? options.MtpWeight : 0;
        Model.SetBalanceAlpha(0);
        Trainer = new Trainer(Model, new StepOptions
        {
            Lr = new LrScheduleOptions(options.LearningRate, options.MinLearningRate, options.WarmupSteps, options.Steps),
            AdamW = new AdamWOptions(0.9f, 0.95f, 1e-8f, options.WeightDecay),
            GradClip = options.GradClip,
            BiasUpdateSpeed = 0.001f,
        });
        Directory.CreateDirectory(outDir);
        var latest = restart ? null : CheckpointStore.Latest(outDir);
        RunFiles.CheckOrigin(outDir, "sft", init.Directory, resuming: latest is not null);
        if (latest is not null)
        {
            var state = CheckpointStore.Load(latest, Model);
            if (state.Seed != (ulong)options.Seed) throw new ArgumentException($"the run in {outDir} used seed {state.Seed}; resume with the same seed or choose another --out");
            Trainer.Step = StartStep = state.Step;
            TrainRun.TruncateMetrics(MetricsPath, StartStep);
            startSeconds = RunFiles.LastValue(MetricsPath, "seconds");
        }
        else if (File.Exists(MetricsPath)) File.Delete(MetricsPath);
    }

    /// <summary>Example indices of step s: epoch-wise permutations by seed, consecutive slices of B.</summary>
    int[] StepIndices(int step)
    {
        int n = data.Count, b = Options.BatchSize;
        var idx = new int[b];
        for (int i = 0; i < b; i++)
        {
            long flat = (long)step * b + i;
            int epoch = (int)(flat / n);
            idx[i] = Permutation(epoch)[(int)(flat % n)];
        }
        return idx;
    }

    readonly Dictionary<int, int[]> perms = [];
    int[] Permutation(int epoch)
    {
        if (perms.TryGetValue(epoch, out var p)) return p;
        p = Enumerable.Range(0, data.Count).ToArray();
        var rng = new SplitMix64((ulong)Options.Seed * 0x9E3779B97F4A7C15UL + (ulong)epoch);
        for (int i = p.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (p[i], p[j]) = (p[j], p[i]); }
        return perms[epoch] = p;
    }

    public void Run(Action<SftStepReport>? onStep = null, CancellationToken cancel = default)
    {
        var sw = Stopwatch.StartNew();
        using var metrics = new StreamWriter(MetricsPath, append: true);
        while (Trainer.Step < Options.Steps && !cancel.IsCancellationRequested)
        {
            double seconds = startSeconds + sw.Elapsed.TotalSeconds;
            if (Options.TimeBudget is { } budget && seconds >= budget.TotalSeconds) break;
            var batch = SequenceBatch.Build(StepIndices(Trainer.Step).Select(i => data[i]).ToList(), Init.EosId);
            var r = Trainer.TrainStep(_ => batch);
            if (!double.IsFinite(r.Loss)) throw new InvalidOperationException($"step {r.Step}: the loss is {r.Loss}; lower the learning rate");
            seconds = startSeconds + sw.Elapsed.TotalSeconds;
            metrics.WriteLine(JsonSerializer.Serialize(new { step = r.Step, loss = r.MainLoss, mtp_loss = r.MtpLoss, grad_norm = r.GradNorm, lr = r.Lr, seconds = Math.Round(seconds, 2) }));
            metrics.Flush();
            if (r.Step % Options.CheckpointEvery == 0) Save();
            onStep?.Invoke(new SftStepReport(r.Step, Options.Steps, r.MainLoss, r.MtpLoss, r.GradNorm, r.Lr, seconds));
        }
        Save();
    }

    public string Save() => CheckpointStore.Save(OutDir, Model, new TrainerState(Trainer.Step, (ulong)Options.Seed, 0, Init.Config.ModelType),
        Init.ConfigJson, Init.Directory, keep: 2);

    /// <summary>The folder of the newest checkpoint (an HF model folder).</summary>
    public string? LatestCheckpoint => CheckpointStore.Latest(OutDir);
}
