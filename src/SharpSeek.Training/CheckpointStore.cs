// Training checkpoints: out_dir/checkpoints/step-NNNNNN/ is an HF folder (config.json + model.safetensors + tokenizer
// files) plus optimizer.safetensors (AdamW moments) and trainer.json. A checkpoint is written into a temp folder,
// renamed into place, and only then named in out_dir/latest (temp file + rename) — a crash or full disk at any point
// leaves the previous checkpoint and `latest` intact.
using System.Text.Json;
using SharpSeek.Formats;

namespace SharpSeek.Training;

public sealed record TrainerState(int Step, ulong Seed, long TokensSeen, string ModelType);

public static class CheckpointStore
{
    /// <summary>Test hook: called with each file path before it is written (a test makes it throw "disk full").</summary>
    internal static Action<string>? BeforeWrite;

    public static string Save(string outDir, TrainModel model, TrainerState state, string modelConfigJson, string? tokenizerDir, int keep)
    {
        string root = Path.Combine(outDir, "checkpoints");
        Directory.CreateDirectory(root);
        string name = $"step-{state.Step:D6}", final = Path.Combine(root, name);
        string temp = Path.Combine(root, $".tmp-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            Write(Path.Combine(temp, "config.json"), p => File.WriteAllText(p, modelConfigJson));
            Write(Path.Combine(temp, "model.safetensors"), p => SafetensorsWriter.Write(p, model.Tensors(),
                new Dictionary<string, string> { ["format"] = "pt", ["step"] = state.Step.ToString() }));
            Write(Path.Combine(temp, "optimizer.safetensors"), p => SafetensorsWriter.Write(p,
                model.Tensors(model.Arena.M, "exp_avg.").Concat(model.Tensors(model.Arena.V, "exp_avg_sq."))));
            Write(Path.Combine(temp, "trainer.json"), p => File.WriteAllText(p, JsonSerializer.Serialize(state)));
            if (tokenizerDir is not null)
                foreach (var f in Directory.GetFiles(tokenizerDir).Where(f => Path.GetFileName(f) is "tokenizer.json" or "tokenizer_config.json" or "special_tokens_map.json" or "generation_config.json"))
                    Write(Path.Combine(temp, Path.GetFileName(f)), p => File.Copy(f, p));
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);   // a leftover of a crash before `latest` moved
            Directory.Move(temp, final);
        }
        catch
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
            throw;
        }
        WriteLatest(outDir, name);
        Prune(root, keep, name);
        return final;
    }

    static void Write(string path, Action<string> write)
    {
        BeforeWrite?.Invoke(path);
        write(path);
    }

    static void WriteLatest(string outDir, string name)
    {
        string path = Path.Combine(outDir, "latest"), temp = path + $".{Guid.NewGuid():N}.tmp";
        BeforeWrite?.Invoke(path);
        using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            f.Write(System.Text.Encoding.UTF8.GetBytes(name + "\n"));
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    static void Prune(string root, int keep, string current)
    {
        var old = Directory.GetDirectories(root, "step-*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        foreach (var d in old.Take(Math.Max(0, old.Count - keep)))
            if (d != current) try { Directory.Delete(Path.Combine(root, d!), recursive: true); } catch (IOException) { }
        foreach (var t in Directory.GetDirectories(root, ".tmp-*"))
            try { Directory.Delete(t, recursive: true); } catch (IOException) { }
    }

    /// <summary>The checkpoint named by out_dir/latest, or null when there is none.</summary>
    public static string? Latest(string outDir)
    {
        string path = Path.Combine(outDir, "latest");
        if (!File.Exists(path)) return null;
        string dir = Path.Combine(outDir, "checkpoints", File.ReadAllText(path).Trim());
        if (!Directory.Exists(dir)) throw new CheckpointException(dir, null, $"{path} names {dir}, which does not exist; delete {path} to start over");
        return dir;
    }

    /// <summary>Restores parameters, AdamW moments and trainer state; throws naming the tensor when shapes differ.</summary>
    public static TrainerState Load(string dir, TrainModel model)
    {
        model.LoadWeights(dir);
        using (var opt = Checkpoint.Open(Path.Combine(dir, "optimizer.safetensors")))
            foreach (var s in model.Arena.Slices)
            {
                opt.ReadFloat32("exp_avg." + s.Name, model.Arena.M.AsSpan(s.Offset, s.Length));
                opt.ReadFloat32("exp_avg_sq." + s.Name, model.Arena.V.AsSpan(s.Offset, s.Length));
            }
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(dir, "trainer.json")))
            ?? throw new CheckpointException(dir, null, "trainer.json is empty");
        return state;
    }
}
