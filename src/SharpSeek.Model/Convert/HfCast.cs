// `sharpseek convert --model DIR --out DIR2 --type bf16|f16|f32`: a Hugging Face checkpoint with its floats recast,
// shard by shard (one input shard in memory at a time, same file names, index rewritten). FP8 e4m3 weights are
// dequantized with their 128×128 block scales and the scales and config.json's quantization_config dropped — the
// step from DeepSeek-V3's released FP8 weights to bf16. Matrices take the target type; 1-D tensors (norms, biases,
// the router's correction bias) are kept f32; integer tensors are copied. Other top-level files are copied.
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;

namespace SharpSeek.Model.Convert;

public static class HfCast
{
    public static readonly IReadOnlyDictionary<string, DType> OutTypes = new Dictionary<string, DType>
    {
        ["f32"] = DType.F32, ["f16"] = DType.F16, ["bf16"] = DType.BF16,
    };

    const string IndexName = "model.safetensors.index.json";

    public static ConvertReport Run(string input, string outDir, DType target, Action<string>? log = null)
    {
        if (target is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentException($"a safetensors cast writes f32, f16 or bf16, not {target}", nameof(target));
        if (!Directory.Exists(input)) throw new ArgumentException($"--model {input}: a safetensors cast reads a Hugging Face folder");
        if (Path.GetFullPath(input).TrimEnd('/') == Path.GetFullPath(outDir).TrimEnd('/'))
            throw new ArgumentException($"--out {outDir} is the input folder; write the cast copy to another folder");
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new ArgumentException($"--out {outDir} exists and is not empty; give a new folder");

        using var ckpt = Checkpoint.Open(input);
        bool fp8 = false;
        var types = new Dictionary<string, int>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long bytes = 0;
        int count = 0;
        Directory.CreateDirectory(outDir);
        foreach (var file in ckpt.Files)
        {
            var tensors = new List<SafetensorsWriter.Tensor>();
            foreach (var info in file.Tensors.Values.OrderBy(t => t.Offset))
            {
                if (IsBlockScale(ckpt, info.Name)) { fp8 = true; continue; }
                var cast = Cast(ckpt, info, target);
                tensors.Add(cast);
                types[cast.DType.ToString()] = types.GetValueOrDefault(cast.DType.ToString()) + 1;
                weightMap[cast.Name] = Path.GetFileName(file.Path);
                bytes += cast.Data.Length;
                log?.Invoke($"{info.Name,-50} {info.DType,-7} → {cast.DType,-4} {info.ShapeText}");
            }
            SafetensorsWriter.Write(Path.Combine(outDir, Path.GetFileName(file.Path)), tensors);
            count += tensors.Count;
        }
        if (ckpt.Files.Count > 1) WriteIndex(Path.Combine(outDir, IndexName), weightMap, bytes);

        var notes = new List<string>();
        if (fp8) notes.Add("FP8 weights dequantized with their block scales; the scales and quantization_config dropped");
        foreach (var path in Directory.GetFiles(input))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(".safetensors", StringComparison.Ordinal) || name == IndexName) continue;
            string dest = Path.Combine(outDir, name);
            if (name == "config.json") AtomicFile.Write(dest, s => s.Write(Config(File.ReadAllText(path), target)));
            else File.Copy(path, dest);
        }
        return new ConvertReport(outDir, count, types, bytes, File.Exists(Path.Combine(outDir, "tokenizer.json")), notes);
    }

    /// <summary>`X_scale_inv` beside an FP8 `X`: folded into X's dequantization.</summary>
    static bool IsBlockScale(Checkpoint ckpt, string name) =>
        name.EndsWith(Checkpoint.ScaleSuffix, StringComparison.Ordinal)
        && ckpt.Contains(name[..^Checkpoint.ScaleSuffix.Length])
        && ckpt.Info(name[..^Checkpoint.ScaleSuffix.Length]).DType == DType.F8_E4M3;

    static SafetensorsWriter.Tensor Cast(Checkpoint ckpt, TensorInfo info, DType target) => info.DType switch
    {
        DType.I64 or DType.I32 or DType.I16 or DType.I8 or DType.U8 or DType.BOOL =>
            new SafetensorsWriter.Tensor(info.Name, info.DType, info.Shape, ckpt.Bytes(info.Name).ToArray()),
        _ => SafetensorsWriter.Tensor.FromFloat32(info.Name, info.Shape, ckpt.ReadFloat32(info.Name),
            info.Shape.Length >= 2 ? target : DType.F32),
    };

    /// <summary>config.json with torch_dtype set to the target and any quantization_config removed.</summary>
    static byte[] Config(string json, DType target)
    {
        var node = JsonNode.Parse(json)?.AsObject() ?? throw new ArgumentException("config.json is not a JSON object");
        node.Remove("quantization_config");
        node["torch_dtype"] = target switch { DType.BF16 => "bfloat16", DType.F16 => "float16", _ => "float32" };
        return JsonSerializer.SerializeToUtf8Bytes(node, new JsonSerializerOptions { WriteIndented = true });
    }

    static void WriteIndex(string path, SortedDictionary<string, string> weightMap, long totalBytes)
    {
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = totalBytes },
            ["weight_map"] = new JsonObject(weightMap.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        };
        AtomicFile.Write(path, s => s.Write(JsonSerializer.SerializeToUtf8Bytes(index, new JsonSerializerOptions { WriteIndented = true })));
    }
}
