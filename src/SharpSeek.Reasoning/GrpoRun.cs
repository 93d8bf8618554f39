// The GRPO loop of R1 (§2.2.1; DeepSeekMath §4.1) on a trainable model. One step:
//   1. P prompts from the Rl split (tasks round-robin; no trace of them is ever shown to the model)
//   2. G completions each, sampled on the fast inference path from a snapshot of the current weights
//   3. rule rewards → group advantages → per-sequence loss weights (GrpoBatch.Prepare)
//   4. μ updates: policy forward → log-probs of the sampled tokens; frozen reference forward (β ≠ 0); Grpo.Loss →
//      dL/dlogp → TrainModel.PolicyBackward; clip; AdamW
// Every EvalEvery steps: held-out pass@1 (Test split, R1 protocol). Checkpoints + metrics.jsonl; resumable.
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Model.Inference;
using SharpSeek.Training;

namespace SharpSeek.Reasoning;

public sealed record GrpoRunOptions
{
    public GrpoOptions Grpo { get; init; } = new();
    public RewardConfig Rewards { get; init; } = new();
    public required IReadOnlyList<ReasoningTask> Tasks { get; init; }
    public int Steps { get; init; } = 200;
    /// <summary>Stop once this much GRPO time (rollouts + updates, evaluation excluded) has passed.</summary>
    public TimeSpan? TimeBudget { get; init; }
    /// <summary>Sequences per policy forward/backward (memory bound; the gradient is the same for any value).</summary>
    public int MicroBatch { get; init; } = 16;
    public int WarmupSteps { get; init; } = 5;
    public float WeightDecay { get; init; } = 0f;
    public int EvalEvery { get; init; } = 20;
    /// <summary>Held-out problems per task and samples per problem for the in-run pass@1 (temperature 0.6, top-p 0.95).</summary>
    public int EvalProblems { get; init; } = 50;
    public int EvalK { get; init; } = 4;
    public int CheckpointEvery { get; init; } = 20;
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Sequences decoded together in rollouts.</summary>
    public int RolloutParallel { get; init; } = 64;
}

public sealed record GrpoStepReport(int Step, int TotalSteps, GrpoBatchStats Batch, GrpoStats Loss, double GradNorm, double Seconds, IReadOnlyDictionary<string, double>? HeldOut);

public sealed class GrpoRun
{
    public PolicyCheckpoint Init { get; }
    public GrpoRunOptions Options { get; }
    public string OutDir { get; }
    public TrainModel Policy { get; }
    readonly TrainModel? reference;
    readonly List<List<Problem>> rlProblems;
    readonly List<IReadOnlyList<Problem>> testProblems;
    public int Step { get; private set; }
    public string MetricsPath => Path.Combine(OutDir, "metrics.jsonl");
    readonly double startSeconds;

    public GrpoRun(PolicyCheckpoint init, GrpoRunOptions options, string outDir, bool restart = false)
    {
        Init = init;
        Options = options;
        options.Grpo.Validate();
        options.Rewards.Validate();
        if (options.Tasks.Count == 0) throw new ArgumentException("GRPO needs at least one task");
        if (options.Steps < 1 || options.MicroBatch < 1 || options.EvalEvery < 1 || options.CheckpointEvery < 1)
            throw new ArgumentException("steps, micro-batch, eval-every and checkpoint-every must be ≥ 1");
        OutDir = outDir;
        int promptsPerTask = (options.Steps * options.Grpo.PromptsPerStep + options.Tasks.Count - 1) / options.Tasks.Count;
        rlProblems = options.Tasks.Select(t => t.Generate(Split.Rl, promptsPerTask, options.Grpo.Seed + 17).ToList()).ToList();
        testProblems = options.Tasks.Select(t => t.Generate(Split.Test, options.EvalProblems, 1)).ToList();
        foreach (var p in rlProblems.SelectMany(l => l))
        {
            int n = init.EncodePrompt(p.Prompt).Length;
            if (n > options.Grpo.MaxPromptLength) throw new ArgumentException($"prompt '{p.Prompt}' has {n} tokens; max prompt length is {options.Grpo.MaxPromptLength}");
        }
        Policy = init.LoadModel();
        Policy.MtpWeight = 0;
        Policy.SetBalanceAlpha(0);
        if (options.Grpo.Beta != 0)
        {
            reference = init.LoadModel();
            reference.Ctx.Training = false;
        }
        Directory.CreateDirectory(outDir);
        var latest = restart ? null : CheckpointStore.Latest(outDir);
        RunFiles.CheckOrigin(outDir, "grpo", init.Directory, resuming: latest is not null);
        if (latest is not null)
        {
            var state = CheckpointStore.Load(latest, Policy);
            if (state.Seed != (ulong)options.Grpo.Seed) throw new ArgumentException($"the run in {outDir} used seed {state.Seed}; resume with the same --seed or choose another --out");
            Step = state.Step;
            TrainRun.TruncateMetrics(MetricsPath, Step);
            startSeconds = RunFiles.LastValue(MetricsPath, "grpo_seconds");
        }
        else if (File.Exists(MetricsPath)) File.Delete(MetricsPath);
    }

    float LearningRate(int step) => (float)(Options.Grpo.LearningRate * Math.Min(1.0, (step + 1.0) / Math.Max(1, Options.WarmupSteps)));

    IReadOnlyList<Problem> StepProblems(int step)
    {
        int p = Options.Grpo.PromptsPerStep, tasks = Options.Tasks.Count;
        return Enumerable.Range(0, p).Select(i =>
        {
            long flat = (long)step * p + i;
            var list = rlProblems[(int)(flat % tasks)];
            return list[(int)(flat / tasks % list.Count)];
        }).ToList();
    }

    InferenceModel Snapshot() => ArenaTensorSource.Snapshot(Policy, new InferenceOptions { Threads = Options.Threads, LoadMtp = false, MaxBatch = 256 });

    /// <summary>Held-out pass@1 per task (and "mean_length") on the current weights.</summary>
    public Dictionary<string, double> Evaluate()
    {
        using var model = Snapshot();
        var gen = new ModelGenerator(model, Init.Tokenizer, Options.RolloutParallel);
        var eval = new Evaluator(gen.Generate, gen.CountTokens);
        var result = new Dictionary<string, double>();
        double lengths = 0;
        for (int t = 0; t < Options.Tasks.Count; t++)
        {
            var r = eval.Run(testProblems[t], Options.EvalK, SamplingSettings.R1Eval(Options.Grpo.MaxCompletionLength, seed: 1));
            result[Options.Tasks[t].Name] = r.PassAt1;
            lengths += r.MeanResponseLength;
        }
        result["mean_length"] = lengths / Options.Tasks.Count;
        return result;
    }

    public void Run(Action<GrpoStepReport>? onStep = null, CancellationToken cancel = default)
    {
        var sw = Stopwatch.StartNew();
        double evalSeconds = 0;
        using var metrics = new StreamWriter(MetricsPath, append: true);
        if (Step == 0)
        {
            var e0 = Stopwatch.StartNew();
            var held = Evaluate();
            evalSeconds += e0.Elapsed.TotalSeconds;
            metrics.WriteLine(JsonSerializer.Serialize(new { step = 0, grpo_seconds = 0.0, held_out = held }));
            metrics.Flush();
        }
        while (Step < Options.Steps && !cancel.IsCancellationRequested)
        {
            double grpoSeconds = startSeconds + sw.Elapsed.TotalSeconds - evalSeconds;
            if (Options.TimeBudget is { } budget && grpoSeconds >= budget.TotalSeconds) break;
            var (stats, loss, norm, rolloutSeconds, taskAccuracy) = TrainStep();
            Step++;
            grpoSeconds = startSeconds + sw.Elapsed.TotalSeconds - evalSeconds;
            Dictionary<string, double>? heldOut = null;
            bool last = Step == Options.Steps || Options.TimeBudget is { } b && grpoSeconds >= b.TotalSeconds;
            if (Step % Options.EvalEvery == 0 || last)
            {
                var e = Stopwatch.StartNew();
                heldOut = Evaluate();
                evalSeconds += e.Elapsed.TotalSeconds;
            }
            metrics.WriteLine(JsonSerializer.Serialize(new
            {
                step = Step, reward = stats.MeanReward, accuracy = stats.Accuracy, format = stats.FormatRate, length = stats.MeanLength,
                truncated = stats.TruncatedFraction, signal = stats.SignalFraction, loss = loss.Loss, kl = loss.MeanKl, clip = loss.ClipFraction,
                grad_norm = norm, lr = LearningRate(Step - 1), rollout_seconds = Math.Round(rolloutSeconds, 2), grpo_seconds = Math.Round(grpoSeconds, 2),
                task_accuracy = taskAccuracy, held_out = heldOut,
            }));
            metrics.Flush();
            if (Step % Options.CheckpointEvery == 0 || last) Save();
            onStep?.Invoke(new GrpoStepReport(Step, Options.Steps, stats, loss, norm, grpoSeconds, heldOut));
        }
        metrics.Close();
        RecipePlots.DrawGrpo(MetricsPath, OutDir);
    }

    (GrpoBatchStats, GrpoStats, double, double, Dictionary<string, double>) TrainStep()
    {
        var o = Options.Grpo;
        int g = o.GroupSize;
        var problems = StepProblems(Step);
        var prompts = problems.Select(p => Init.EncodePrompt(p.Prompt)).ToList();

        // 2. rollouts on a snapshot of the current weights
        var rsw = Stopwatch.StartNew();
        RolloutSample[][] samples;
        using (var model = Snapshot())
        {
            var sampling = new SamplingSettings(o.Temperature, o.TopP, o.MaxCompletionLength, unchecked(o.Seed * 7919 + Step));
            samples = Rollout.Generate(model, prompts, g, sampling, [Init.EosId], Options.RolloutParallel, Init.Tokenizer.VocabSize);
        }
        double rolloutSeconds = rsw.Elapsed.TotalSeconds;

        // 3. rewards and advantages; sequences = prompt ++ generated (++ EOS when it stopped)
        var groups = new List<RolloutGroup>();
        var sequences = new List<TokenSequence>();
        for (int p = 0; p < problems.Count; p++)
        {
            var texts = samples[p].Select(s => Init.Tokenizer.Decode(s.Tokens, skipSpecialTokens: true)).ToList();
            var seqs = samples[p].Select(s => new TokenSequence([.. prompts[p], .. s.Tokens, .. s.Finished ? new[] { Init.EosId } : []], prompts[p].Length)).ToList();
            groups.Add(new RolloutGroup(problems[p], texts, seqs.Select(s => s.CompletionLength).ToList(), samples[p].Select(s => s.Finished).ToList()));
            sequences.AddRange(seqs);
        }
        var batch = GrpoBatch.Prepare(groups, Options.Rewards, o);
        var taskAccuracy = new Dictionary<string, double>();
        foreach (var task in Options.Tasks)
        {
            var idx = Enumerable.Range(0, problems.Count).Where(p => problems[p].Task == task.Name).ToList();
            if (idx.Count > 0) taskAccuracy[task.Name] = idx.Average(p => groups[p].Completions.Average(c => Rewards.Accuracy(problems[p], c)));
        }

        // 4. μ updates over micro-batches of the sequences that carry weight
        var active = Enumerable.Range(0, sequences.Count).Where(i => batch.Weights[i] != 0 && (batch.Advantages[i] != 0 || o.Beta != 0));
        var micro = MicroBatches(active, i => sequences[i].Ids.Length, Options.MicroBatch);
        var oldLogp = new float[micro.Count][];
        var refLogp = new float[micro.Count][];
        GrpoStats total = default;
        double norm = 0;
        for (int it = 0; it < o.Iterations; it++)
        {
            Array.Clear(Policy.Arena.Grad);
            double lossSum = 0, klSum = 0, low = 0, high = 0;
            int tokens = 0;
            for (int m = 0; m < micro.Count; m++)
            {
                var seqs = micro[m].Select(i => sequences[i]).ToList();
                var mb = SequenceBatch.Build(seqs, Init.EosId);
                int rows = mb.B * mb.T, flat = seqs.Sum(s => s.CompletionLength);
                var rowBuf = new float[rows];
                var logp = new float[flat];
                Policy.PolicyForward(mb, rowBuf);
                SequenceBatch.GatherCompletions(mb, seqs, rowBuf, logp);
                if (it == 0)
                {
                    oldLogp[m] = (float[])logp.Clone();
                    if (reference is not null)
                    {
                        refLogp[m] = new float[flat];
                        reference.PolicyForward(mb, rowBuf);
                        SequenceBatch.GatherCompletions(mb, seqs, rowBuf, refLogp[m]);
                    }
                }
                var dlogp = new float[flat];
                var s = Grpo.Loss(logp, oldLogp[m], o.Beta != 0 ? refLogp[m] : default,
                    seqs.Select(x => x.CompletionLength).ToArray(), micro[m].Select(i => batch.Advantages[i]).ToArray(), micro[m].Select(i => batch.Weights[i]).ToArray(),
                    o.Epsilon, o.EpsilonHighOrDefault, o.Beta, dlogp);
                SequenceBatch.ScatterCompletions(mb, seqs, dlogp, rowBuf);
                Policy.PolicyBackward(rowBuf);
                lossSum += s.Loss; klSum += s.MeanKl * s.Tokens; low += s.LowClipFraction * s.Tokens; high += s.HighClipFraction * s.Tokens; tokens += s.Tokens;
            }
            norm = AdamW.ClipGradNorm(Policy.Arena, o.MaxGradNorm);
            AdamW.Step(Policy.Arena, Step * o.Iterations + it + 1, LearningRate(Step), new AdamWOptions(0.9f, 0.99f, 1e-8f, Options.WeightDecay));
            int n = Math.Max(1, tokens);
            total = new GrpoStats(lossSum, klSum / n, low / n, high / n, tokens);
        }
        return (batch.Stats, total, norm, rolloutSeconds, taskAccuracy);
    }

    /// <summary>
    /// The update's micro-batches: sequences sorted by length, then cut into groups of `size`, so each is padded only
    /// to a neighbour's length (one 1,500-token completion no longer pads fifteen 300-token ones). The objective is a
    /// sum over micro-batches before one optimizer step, so the order does not change it.
    /// </summary>
    internal static List<int[]> MicroBatches(IEnumerable<int> sequences, Func<int, int> length, int size) =>
        sequences.OrderBy(length).Chunk(size).ToList();

    public string Save() => CheckpointStore.Save(OutDir, Policy, new TrainerState(Step, (ulong)Options.Grpo.Seed, 0, Init.Config.ModelType), Init.ConfigJson, Init.Directory, keep: 2);

}
