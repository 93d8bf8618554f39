// The training side of the recipe on the chat-tiny fixture (random-weight V3 with R1's template): completion-only
// batches, the policy-gradient hook against plain cross-entropy and finite differences, the arena snapshot against
// the training forward, and SFT / GRPO runs that resume exactly where an uninterrupted run would be.
using SharpSeek.Model.Inference;
using SharpSeek.Reasoning.Tasks;
using SharpSeek.Tests;
using SharpSeek.Training;

namespace SharpSeek.Reasoning.Tests;

public class RecipeTrainingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly string ModelDir = Fixtures.Path("models", "chat-tiny");

    [Fact]
    public void Sequence_batch_targets_only_the_completion()
    {
        var seqs = new List<TokenSequence> { new([5, 6, 7, 8], 2), new([9, 10, 11], 1) };
        var b = SequenceBatch.Build(seqs, padId: 1);
        Assert.Equal((2, 3), (b.B, b.T));
        Assert.Equal(new[] { 5, 6, 7, 9, 10, 1 }, b.Inputs);
        Assert.Equal(new[] { -1, 7, 8, 10, 11, -1 }, b.Targets);
        var rows = new float[] { 0, 1, 2, 3, 4, 5 };
        var flat = new float[4];
        SequenceBatch.GatherCompletions(b, seqs, rows, flat);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, flat);
        var back = new float[6];
        SequenceBatch.ScatterCompletions(b, seqs, flat, back);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 0 }, back);
        Assert.Throws<ArgumentException>(() => SequenceBatch.Build([new TokenSequence([1, 2], 2)]));
    }

    static Batch RandomBatch(int vocab, int seed)
    {
        var rng = new Random(seed);
        var seqs = Enumerable.Range(0, 3).Select(i => new TokenSequence(Enumerable.Range(0, 7 + i).Select(_ => rng.Next(vocab)).ToArray(), 3)).ToList();
        return SequenceBatch.Build(seqs);
    }

    [Fact]
    public void Policy_gradient_with_dlogp_of_minus_mean_equals_cross_entropy_gradient()
    {
        var init = PolicyCheckpoint.Open(ModelDir);
        var a = init.LoadModel(); a.MtpWeight = 0;
        var b = init.LoadModel(); b.MtpWeight = 0;
        var batch = RandomBatch(init.Config.VocabSize, 1);
        int n = batch.B * batch.T, valid = batch.Targets.Count(t => t >= 0);
        Array.Clear(a.Arena.Grad);
        double ce = a.Forward(batch);
        a.Backward();
        Array.Clear(b.Arena.Grad);
        var logp = new float[n];
        b.PolicyForward(batch, logp);
        Assert.Equal(ce, -logp.Sum() / valid, 5);
        var dlogp = batch.Targets.Select(t => t >= 0 ? -1f / valid : 0f).ToArray();   // L = −mean logp = CE
        b.PolicyBackward(dlogp);
        double worst = 0, scale = 0;
        for (int i = 0; i < a.Arena.Grad.Length; i++) { worst = Math.Max(worst, Math.Abs(a.Arena.Grad[i] - b.Arena.Grad[i])); scale = Math.Max(scale, Math.Abs(a.Arena.Grad[i])); }
        Assert.True(scale > 0);
        Assert.True(worst <= 1e-5 * scale, $"max |Δgrad| {worst} (max |grad| {scale})");
    }

    [Fact]
    public void Policy_gradient_matches_finite_differences_of_a_weighted_logp_sum()
    {
        var init = PolicyCheckpoint.Open(ModelDir);
        var m = init.LoadModel(); m.MtpWeight = 0;
        var batch = RandomBatch(init.Config.VocabSize, 2);
        int n = batch.B * batch.T;
        var rng = new Random(3);
        var c = batch.Targets.Select(t => t >= 0 ? (float)(rng.NextDouble() - 0.5) : 0f).ToArray();
        double L(TrainModel model)
        {
            var lp = new float[n];
            model.PolicyForward(batch, lp);
            double s = 0;
            for (int i = 0; i < n; i++) s += (double)c[i] * lp[i];
            return s;
        }
        Array.Clear(m.Arena.Grad);
        L(m);
        m.PolicyBackward(c);
        var grad = (float[])m.Arena.Grad.Clone();
        var data = m.Arena.Data;
        // the largest-gradient entries of a few tensors, central differences in fp32 (h = 1e-2)
        foreach (var name in new[] { "model.embed_tokens.weight", "model.layers.0.self_attn.kv_a_proj_with_mqa.weight", "lm_head.weight", "model.norm.weight" })
        {
            var s = m.Arena[name];
            int best = s.Offset;
            for (int i = s.Offset; i < s.Offset + s.Length; i++) if (Math.Abs(grad[i]) > Math.Abs(grad[best])) best = i;
            float keep = data[best], h = 1e-2f;
            data[best] = keep + h; double up = L(m);
            data[best] = keep - h; double down = L(m);
            data[best] = keep;
            double fd = (up - down) / (2 * h);
            Assert.True(Math.Abs(fd - grad[best]) <= 2e-2 * Math.Abs(fd) + 1e-4, $"{name}: analytic {grad[best]} vs finite difference {fd}");
        }
    }

    [Fact]
    public void Arena_snapshot_runs_the_trained_weights_on_the_fast_path()
    {
        var init = PolicyCheckpoint.Open(ModelDir);
        var m = init.LoadModel();
        var data = m.Arena.Data;
        for (int i = 0; i < data.Length; i += 7) data[i] *= 1.01f;               // weights that differ from the file
        var ids = new[] { 3, 17, 42, 9, 5 };
        var batch = new Batch(1, ids.Length, ids, ids.Select(_ => 0).ToArray());
        var expect = m.Logits(batch);
        using var fast = ArenaTensorSource.Snapshot(m, new InferenceOptions { Threads = 1, LoadMtp = false });
        data[0] += 1;                                                            // later steps do not reach the snapshot
        var seq = fast.NewSequence(ids.Length);
        int v = init.Config.VocabSize;
        var logits = new float[ids.Length * v];
        fast.Forward(ids.Select((t, p) => new BatchRow(t, p, seq)).ToArray(), logits);
        double worst = 0;
        for (int i = 0; i < logits.Length; i++) worst = Math.Max(worst, Math.Abs(logits[i] - expect[i]));
        Assert.True(worst < 1e-4, $"max |Δlogit| {worst}");
    }

    static List<SftExample> Traces() => ColdStart.Build([TaskRegistry.Get("arithmetic"), TaskRegistry.Get("linear")], 6, 1);

    [Fact]
    public void Sft_resumes_exactly()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sharpseek-sft-" + Guid.NewGuid().ToString("N"));
        try
        {
            var init = PolicyCheckpoint.Open(ModelDir);
            var opts = new SftOptions { Steps = 4, BatchSize = 4, CheckpointEvery = 2, LearningRate = 1e-3f, WarmupSteps = 1 };
            var whole = new SftRun(init, Traces(), opts, Path.Combine(dir, "a"));
            whole.Run();
            var first = new SftRun(init, Traces(), opts, Path.Combine(dir, "b"));
            using (var cts = new CancellationTokenSource()) first.Run(r => { if (r.Step == 2) cts.Cancel(); }, cts.Token);   // "killed" after step 2
            var resumed = new SftRun(init, Traces(), opts, Path.Combine(dir, "b"));
            Assert.Equal(2, resumed.StartStep);
            resumed.Run();
            Assert.Equal(whole.Model.Arena.Data, resumed.Model.Arena.Data);
            Assert.Equal(File.ReadAllLines(whole.MetricsPath).Select(StripSeconds), File.ReadAllLines(resumed.MetricsPath).Select(StripSeconds));
            // the same --out from another model is refused, not silently resumed
            string other = Path.Combine(dir, "other");
            Directory.CreateDirectory(other);
            foreach (var f in Directory.GetFiles(ModelDir)) File.Copy(f, Path.Combine(other, Path.GetFileName(f)));
            var e = Assert.Throws<ArgumentException>(() => new SftRun(PolicyCheckpoint.Open(other), Traces(), opts, Path.Combine(dir, "b")));
            Assert.Contains("--restart", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    static string StripSeconds(string line) => System.Text.RegularExpressions.Regex.Replace(line, "\"(seconds|grpo_seconds|rollout_seconds)\":[0-9.Ee+-]+", "");

    /// <summary>
    /// chat-tiny with its EOS logit row copied from the token its random weights predict most (× 2), so sampled
    /// completions stop at varied lengths and a length reward gives GRPO a signal to learn from.
    /// </summary>
    static PolicyCheckpoint EosBiasedModel(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(ModelDir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var init = PolicyCheckpoint.Open(dir);
        var m = init.LoadModel();
        int v = init.Config.VocabSize, d = init.Config.HiddenSize;
        var ids = Enumerable.Range(0, 64).Select(i => (i * 37) % 500).ToArray();
        var logits = m.Logits(new Batch(1, ids.Length, ids, new int[ids.Length]));
        int top = Enumerable.Range(0, ids.Length).Select(i => logits.AsSpan(i * v, v).IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(logits.AsSpan(i * v, v))))
            .GroupBy(t => t).OrderByDescending(g => g.Count()).First().Key;
        var head = m.Arena.P(m.Arena["lm_head.weight"]);
        for (int j = 0; j < d; j++) head[init.EosId * d + j] = 2f * head[top * d + j];
        SharpSeek.Formats.SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), m.Tensors());
        return PolicyCheckpoint.Open(dir);
    }

    [Fact]
    public void Grpo_step_runs_and_an_interrupted_run_resumes_to_the_same_weights()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sharpseek-grpo-" + Guid.NewGuid().ToString("N"));
        try
        {
            var init = EosBiasedModel(Path.Combine(dir, "init"));
            var opts = new GrpoRunOptions
            {
                Tasks = [TaskRegistry.Get("arithmetic")],
                Grpo = new GrpoOptions { GroupSize = 3, PromptsPerStep = 2, MaxCompletionLength = 12, LearningRate = 1e-3, Beta = 0.04, Seed = 4 },
                Rewards = RewardConfig.Parse("accuracy=1,format=0.1,kimi_length=0.5", 12),     // length term: random weights still get signal
                Steps = 2, EvalEvery = 2, EvalProblems = 2, EvalK = 1, CheckpointEvery = 1, Threads = 1, MicroBatch = 4,
            };
            var whole = new GrpoRun(init, opts, Path.Combine(dir, "a"));
            var before = (float[])whole.Policy.Arena.Data.Clone();
            whole.Run();
            foreach (var l in File.ReadLines(whole.MetricsPath)) output.WriteLine(l);
            Assert.NotEqual(before, whole.Policy.Arena.Data);
            var part = new GrpoRun(init, opts, Path.Combine(dir, "b"));
            using (var cts = new CancellationTokenSource())
                part.Run(r => { if (r.Step == 1) cts.Cancel(); }, cts.Token);                    // "killed" after step 1
            var resumed = new GrpoRun(init, opts, Path.Combine(dir, "b"));
            Assert.Equal(1, resumed.Step);
            resumed.Run();
            Assert.Equal(whole.Policy.Arena.Data, resumed.Policy.Arena.Data);
            var lines = File.ReadAllLines(Path.Combine(dir, "b", "metrics.jsonl"));
            Assert.Equal(3, lines.Length);                                       // step 0 evaluation + 2 steps
            Assert.Contains("\"held_out\":{\"arithmetic\"", lines[^1]);
            Assert.True(File.Exists(Path.Combine(dir, "b", "reward.png")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

public class RecipeDataTests
{
    [Fact]
    public void Rejection_sampling_keeps_one_verified_well_formed_trace_per_problem()
    {
        var task = TaskRegistry.Get("arithmetic");
        // a fake teacher: sample 0 malformed, sample 1 wrong, sample 2 right, sample 3 right again
        GenerateCompletions teacher = (prompts, k, _) => prompts.Select(p =>
        {
            var problem = task.Generate(Split.Rl, 5, 1 + 101).First(x => x.Prompt == p);
            return (IReadOnlyList<string>)new[] { $"<answer>{problem.Answer}</answer>", "x\n</think>\n<answer>-1</answer>",
                $"first\n</think>\n<answer>{problem.Answer}</answer>", $"second\n</think>\n<answer>{problem.Answer}</answer>" };
        }).ToList();
        var (examples, stats) = Distill.RejectionSample(teacher, [task], 5, 4, SamplingSettings.R1Eval(64), 1);
        Assert.Equal(5, examples.Count);
        Assert.All(examples, e => Assert.Equal("first", e.Reasoning));
        Assert.Equal((5, 20, 5), (stats.Problems, stats.Samples, stats.Kept));
    }

    [Fact]
    public void Pretraining_text_is_disjoint_from_held_out_and_rl_problems()
    {
        var tasks = new[] { "arithmetic", "countdown3", "linear", "evaluate" }.Select(TaskRegistry.Get).ToList();
        var docs = Corpus.Pretrain(tasks, 300, 1);
        Assert.Equal(1200, docs.Count);
        var prompts = docs.Select(d => d.Split('\n')[0]["Problem: ".Length..]).ToHashSet();
        foreach (var t in tasks)
            foreach (var split in new[] { Split.Test, Split.Rl, Split.ColdStart })
                Assert.DoesNotContain(t.Generate(split, 300, 1), p => prompts.Contains(p.Prompt));
        Assert.All(docs, d => Assert.DoesNotContain("<think>", d));
    }
}
