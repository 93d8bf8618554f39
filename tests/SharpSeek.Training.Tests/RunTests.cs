// End-to-end behaviour of a training run: kill -9 and resume gives the uninterrupted run's losses; checkpoints load
// in the inference path; bad configs, shards and checkpoints fail clearly; a full disk mid-save loses nothing;
// auxiliary-loss-free balancing shrinks the expert-load spread; the data verb's shards round-trip.
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Model;
using SharpSeek.Tests;
using Xunit.Abstractions;

namespace SharpSeek.Training.Tests;

public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sharpseek-train-").FullName;
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

public class RunTests(ITestOutputHelper output)
{
    // A tiny V3 (MLA + q LoRA, MoE with noaux_tc group routing, MTP) for end-to-end runs.
    const string TinyV3 = """
    { "model_type": "deepseek_v3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 12,
      "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2, "q_lora_rank": 16, "kv_lora_rank": 16,
      "qk_nope_head_dim": 8, "qk_rope_head_dim": 8, "v_head_dim": 8, "n_routed_experts": 8, "n_shared_experts": 1,
      "num_experts_per_tok": 2, "n_group": 4, "topk_group": 2, "topk_method": "noaux_tc", "scoring_func": "sigmoid",
      "norm_topk_prob": true, "routed_scaling_factor": 2.5, "first_k_dense_replace": 1, "moe_layer_freq": 1,
      "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": false,
      "bos_token_id": 0, "eos_token_id": 1, "num_nextn_predict_layers": 1 }
    """;

    /// <summary>A learnable toy stream: documents of short arithmetic-like patterns, EOS (1) between them.</summary>
    static int[] ToyTokens(int n, int seed)
    {
        var r = new Random(seed);
        var ids = new List<int>();
        while (ids.Count < n)
        {
            int a = r.Next(2, 40), step = r.Next(1, 4), len = r.Next(5, 20);
            for (int i = 0; i < len; i++) ids.Add(2 + (a + i * step) % 62);
            ids.Add(1);
        }
        return ids.Take(n).ToArray();
    }

    static string WriteRun(string dir, int steps, string extra = "")
    {
        TokenShard.Write(Path.Combine(dir, "data", "shard_00000.bin"), ToyTokens(6000, 1), 64);
        string cfg = Path.Combine(dir, "train.json");
        File.WriteAllText(cfg, $$"""
        { "model": {{TinyV3}}, "data": ["data"], "out_dir": "out", "seq_len": 32, "batch_size": 4, "grad_accum": 2,
          "steps": {{steps}}, "lr": 3e-3, "min_lr": 3e-4, "warmup_steps": 3, "checkpoint_every": 4, "log_every": 1,
          "seed": 7, "balance_alpha": 0.001, "threads": 2 {{extra}} }
        """);
        return cfg;
    }

    static string CliDll()
    {
        var root = Directory.GetParent(Fixtures.Root)!.Parent!.FullName;
        var found = new[] { "Release", "Debug" }.Select(c => System.IO.Path.Combine(root, "src", "SharpSeek.Cli", "bin", c, "net10.0", "sharpseek.dll"))
            .Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        return found ?? throw new FileNotFoundException("build src/SharpSeek.Cli first (sharpseek.dll not found)");
    }

    static Process StartCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliDll());
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    static List<(int Step, double Loss)> Losses(string metrics) => File.ReadLines(metrics).Select(l =>
    {
        using var d = JsonDocument.Parse(l);
        return (d.RootElement.GetProperty("step").GetInt32(), d.RootElement.GetProperty("loss").GetDouble());
    }).ToList();

    [Fact]
    public async Task KillNineThenResumeGivesTheSameLosses()
    {
        const int steps = 40;                     // long enough that the kill lands mid-run on a fast machine
        using var a = new TempDir();
        using var b = new TempDir();
        // uninterrupted
        var p = StartCli("train", "--config", WriteRun(a.Path, steps), "--plain");
        string err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, err);
        var full = Losses(Path.Combine(a.Path, "out", "metrics.jsonl"));
        Assert.Equal(steps, full.Count);

        // killed with SIGKILL after the step-8 checkpoint, then resumed
        string cfgB = WriteRun(b.Path, steps);
        var q = StartCli("train", "--config", cfgB, "--plain");
        string? line;
        int seen = 0;
        while ((line = await q.StandardOutput.ReadLineAsync()) is not null)
            if (line.StartsWith("step ") && ++seen == 10) break;
        q.Kill();                                 // SIGKILL on Unix: no cleanup runs
        await q.WaitForExitAsync();
        string latest = File.ReadAllText(Path.Combine(b.Path, "out", "latest")).Trim();
        int at = int.Parse(latest["step-".Length..]);
        Assert.InRange(at, 8, steps - 4);         // killed after at least the step-8 checkpoint, before the end
        var r = StartCli("train", "--config", cfgB, "--plain");
        string err2 = await r.StandardError.ReadToEndAsync();
        await r.WaitForExitAsync();
        Assert.True(r.ExitCode == 0, err2);
        Assert.Contains($"resuming at step {at}", err2);
        output.WriteLine($"killed after the step-{at} checkpoint");
        var resumed = Losses(Path.Combine(b.Path, "out", "metrics.jsonl"));
        output.WriteLine(string.Join("\n", full.Zip(resumed, (x, y) => $"step {x.Step}: {x.Loss:R} | {y.Loss:R}")));
        Assert.Equal(full, resumed);               // bit-identical losses, every step

        // the checkpoint is an HF folder the inference path loads, and both forwards agree
        string ck = Path.Combine(b.Path, "out", "checkpoints", $"step-{steps:D6}");
        var inf = Transformer.Load(ck);
        var model = new TrainModel(inf.Config);
        model.LoadWeights(ck);
        var ids = ToyTokens(16, 3);
        var logits = model.Logits(new Batch(1, 16, ids, new int[16]));
        var expect = inf.Forward(ids, inf.NewCache(16));
        Assert.True(expect.Zip(logits).Max(x => Math.Abs(x.First - x.Second)) < 1e-4);
        Assert.True(File.Exists(Path.Combine(b.Path, "out", "loss.png")));
        Assert.True(File.Exists(Path.Combine(b.Path, "out", "expert_load.png")));
    }

    [Fact]
    public void BadConfigsFailNamingTheKey()
    {
        using var d = new TempDir();
        string cfg = WriteRun(d.Path, 4, ", \"lr\": -1");
        var e = Assert.Throws<TrainConfigException>(() => TrainConfig.Load(cfg));
        Assert.Equal("lr", e.Key);
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"lr\": -1", "\"learning_rat\": 1"));
        Assert.Contains("learning_rat", Assert.Throws<TrainConfigException>(() => TrainConfig.Load(cfg)).Message);
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"learning_rat\": 1", "\"seq_len\": 100000"));
        Assert.Equal("seq_len", Assert.Throws<TrainConfigException>(() => TrainConfig.Load(cfg)).Key);
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 0"));
        Assert.Throws<ConfigException>(() => TrainConfig.Load(cfg));
    }

    [Fact]
    public void BadShardsFailClearly()
    {
        using var d = new TempDir();
        string f = Path.Combine(d.Path, "x.bin");
        File.WriteAllBytes(f, new byte[100]);
        Assert.Contains("SSTOKENS", Assert.Throws<DataFormatException>(() => TokenShard.Read(f)).Message);
        TokenShard.Write(f, [1, 2, 3, 60], 64);
        Assert.Contains("vocab_size", Assert.Throws<DataFormatException>(() => TokenShard.Read(f, 32)).Message);
        var bytes = File.ReadAllBytes(f);
        File.WriteAllBytes(f, bytes[..^2]);
        Assert.Contains("truncated", Assert.Throws<DataFormatException>(() => TokenShard.Read(f)).Message);
        TokenShard.Write(f, [1, 2, 3], 64);
        Assert.Throws<DataFormatException>(() => new DataLoader([f], 32, 64, 1));   // fewer tokens than one window
    }

    [Fact]
    public void CheckpointOfAnotherShapeIsRejected()
    {
        var other = new TrainModel(ModelConfig.Parse(TinyV3.Replace("\"hidden_size\": 32", "\"hidden_size\": 48")));
        var e = Assert.Throws<ShapeMismatchException>(() => other.LoadWeights(Fixtures.Path("train", "v3-tiny")));
        Assert.Contains("model.embed_tokens.weight", e.Message);
        Assert.Contains("another config", e.Message);
    }

    [Fact]
    public void FullDiskMidSaveKeepsThePreviousCheckpoint()
    {
        using var d = new TempDir();
        var run = new TrainRun(TrainConfig.Load(WriteRun(d.Path, 8)));
        run.Trainer.TrainStep(m => run.Data.Get(m * 4, 4));
        string first = run.SaveCheckpoint();
        var before = File.ReadAllBytes(Path.Combine(first, "model.safetensors"));
        run.Trainer.TrainStep(m => run.Data.Get(8 + m * 4, 4));
        CheckpointStore.BeforeWrite = path =>
        {
            if (path.EndsWith("optimizer.safetensors")) throw new IOException("No space left on device");
        };
        try { Assert.Throws<IOException>(() => run.SaveCheckpoint()); }
        finally { CheckpointStore.BeforeWrite = null; }
        Assert.Equal(first, CheckpointStore.Latest(run.OutDir));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(first, "model.safetensors")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(run.OutDir, "checkpoints"), ".tmp-*"));
        Assert.False(Directory.Exists(Path.Combine(run.OutDir, "checkpoints", "step-000002")));
        // and the surviving checkpoint resumes
        var again = new TrainRun(TrainConfig.Load(Path.Combine(d.Path, "train.json")));
        Assert.Equal(1, again.StartStep);
    }

    [Fact]
    public void BiasUpdateShrinksTheExpertLoadSpread()
    {
        var model = new TrainModel(ModelConfig.Parse(TinyV3.Replace("\"num_nextn_predict_layers\": 1", "\"num_nextn_predict_layers\": 0")));
        model.Initialize(3);
        var moe = model.MoeLayers.Single();
        // skew: the gate strongly prefers experts 0 and 1 for every token
        var gw = model.Arena.P(moe.GateWeight);
        var rng = new Random(1);
        for (int e = 0; e < 8; e++) for (int i = 0; i < 32; i++) gw[e * 32 + i] = (float)(rng.NextDouble() - 0.5) * 0.1f + (e < 2 ? 0.3f : 0f);
        var trainer = new Trainer(model, new StepOptions { Lr = new LrScheduleOptions(0, 0, 0, 10, LrSchedule.Constant), BiasUpdateSpeed = 0.02f });
        var ids = ToyTokens(8 * 32 + 1, 5);
        var batch = new Batch(8, 32, ids[..256], ids[1..257]);
        var spread = new List<double>();
        for (int s = 0; s < 12; s++)
        {
            var load = trainer.TrainStep(_ => batch).ExpertLoad[0];
            spread.Add(load.Max() / load.Average());
        }
        output.WriteLine("max/mean load per step: " + string.Join(", ", spread.Select(x => x.ToString("F2"))));
        for (int s = 1; s < 6; s++) Assert.True(spread[s] < spread[s - 1], $"spread did not shrink at step {s}: {spread[s - 1]:F2} → {spread[s]:F2}");
        Assert.True(spread[^1] < 0.75 * spread[0], $"final spread {spread[^1]:F2} vs initial {spread[0]:F2}");
    }

    [Fact]
    public void DocumentMaskingResetsPositionsAndBlocksAttention()
    {
        using var d = new TempDir();
        string f = Path.Combine(d.Path, "s.bin");
        TokenShard.Write(f, ToyTokens(400, 2), 64);
        var loader = new DataLoader([f], 32, 64, 1, eosId: 1, documentMasking: true);
        var batch = loader.Get(0, 2);
        var model = new TrainModel(ModelConfig.Parse(TinyV3));
        model.Initialize(1);
        var masked = model.Logits(batch);
        // the same rows computed as separate documents: logits of the first document's tokens must not change when
        // the tokens after it change
        int t0 = Array.IndexOf(batch.Inputs, 1, 0, 32);
        Assert.InRange(t0, 0, 30);
        var other = batch with { Inputs = batch.Inputs.Select((x, i) => i > t0 && i < 32 ? 2 + (x + 7) % 62 : x).ToArray() };
        var masked2 = model.Logits(other);
        for (int i = 0; i <= t0; i++)
            for (int v = 0; v < 64; v++) Assert.Equal(masked[i * 64 + v], masked2[i * 64 + v]);
        Assert.Equal(0, batch.DocStart![0]);
        Assert.Equal(t0 + 1, batch.DocStart[t0 + 1]);
    }

    [Fact]
    public void DataVerbShardsRoundTrip()
    {
        using var d = new TempDir();
        string jsonl = Path.Combine(d.Path, "docs.jsonl");
        File.WriteAllLines(jsonl, ["{\"text\": \"Hello world, this is a test.\"}", "{\"text\": \"Second document.\"}"]);
        var tok = SharpSeek.Tokenizers.Tokenizer.Load(Fixtures.Path("train", "tokenizer"));
        var shards = TokenShard.Tokenize(tok, [jsonl], Path.Combine(d.Path, "out"));
        var ids = TokenShard.Read(Assert.Single(shards), tok.VocabSize);
        var expect = tok.Encode("Hello world, this is a test.").Append(tok.EosId!.Value).Concat(tok.Encode("Second document.")).Append(tok.EosId.Value);
        Assert.Equal(expect, ids);
        File.WriteAllText(jsonl, "{\"body\": 1}\n");
        Assert.Contains("field \"text\"", Assert.Throws<DataFormatException>(() => TokenShard.Tokenize(tok, [jsonl], d.Path)).Message);
    }
}
