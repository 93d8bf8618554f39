// The two conversions behind `sharpseek convert`:
//   ToGguf: Hugging Face folder (config.json + safetensors [+ tokenizer.json]) → one GGUF file that llama.cpp loads,
//           laid out as convert_hf_to_gguf.py lays it out (names, permutations, stacked experts, split kv_b);
//   ToHf:   GGUF → Hugging Face folder (config.json, model.safetensors, tokenizer.json, tokenizer_config.json).
// Tensor types follow llama.cpp: 1-D tensors, norms and the MoE router stay F32; the rest take the requested
// type, falling back where a row does not split into whole blocks (see ChooseType).
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Convert;

public sealed record ConvertReport(string Output, int Tensors, IReadOnlyDictionary<string, int> Types, long Bytes, bool Tokenizer, IReadOnlyList<string> Notes);

public static class GgufConvert
{
    /// <summary>The types `convert --type` accepts.</summary>
    public static readonly IReadOnlyDictionary<string, GgmlType> OutTypes = new Dictionary<string, GgmlType>(StringComparer.OrdinalIgnoreCase)
    {
        ["f32"] = GgmlType.F32, ["f16"] = GgmlType.F16, ["bf16"] = GgmlType.BF16,
        ["q8_0"] = GgmlType.Q8_0, ["q4_0"] = GgmlType.Q4_0, ["q4_k"] = GgmlType.Q4_K,
    };

    /// <summary>
    /// The ggml type of one tensor (GGUF name, row-major shape) when the file is mostly `requested`:
    /// F32 for 1-D tensors, *_norm.weight, ffn_gate_inp (the router) and non-.weight tensors (convert_hf_to_gguf.py);
    /// when rows are not whole blocks: Q8_0/Q4_0 → F16 (the converter's QuantError fallback), Q4_K → Q5_0 and Q6_K → Q8_0
    /// (llama-quantize's tensor_type_fallback), and F16 when even 32 does not divide the row.
    /// </summary>
    public static GgmlType ChooseType(string ggufName, long[] shape, GgmlType requested)
    {
        if (shape.Length <= 1 || ggufName.EndsWith("_norm.weight", StringComparison.Ordinal) || !ggufName.EndsWith(".weight", StringComparison.Ordinal)
            || ggufName.EndsWith(".ffn_gate_inp.weight", StringComparison.Ordinal) || ggufName == GgufNames.RopeFreqs)
            return GgmlType.F32;
        long cols = shape[^1];
        var type = requested;
        if (cols % GgufTypes.BlockSize(type) != 0)
            type = type switch { GgmlType.Q4_K => GgmlType.Q5_0, GgmlType.Q6_K => GgmlType.Q8_0, _ => type };
        if (cols % GgufTypes.BlockSize(type) != 0) type = GgmlType.F16;
        return type;
    }

    // ---------------------------------------------------------------- HF → GGUF

    public static ConvertReport ToGguf(string modelPath, string outPath, GgmlType type, bool includeMtp = true, Action<string>? log = null)
    {
        if (!GgmlCodec.CanEncode(type))
            throw new ArgumentException($"--type {GgufTypes.Name(type)}: the quantization kernels for it are not available in this build");
        using var ckpt = Checkpoint.Open(modelPath);
        var config = ModelConfig.Load(ckpt.ConfigPath
            ?? throw new ConfigException(Path.Combine(ckpt.Directory, "config.json"), null, "config.json not found beside the weights"));
        string arch = GgufConfig.ArchOf(config);
        int trunk = config.NumHiddenLayers;
        int mtp = config is DeepseekV3Config d && includeMtp && ckpt.Contains($"model.layers.{trunk}.eh_proj.weight") ? d.NumNextnPredictLayers : 0;
        var notes = new List<string>();

        var w = new GgufWriter();
        GgufConfig.Write(config, w, mtp);
        w.Set("general.type", "model");
        w.Set("general.name", Path.GetFileName(ckpt.Directory.TrimEnd(Path.DirectorySeparatorChar)));
        w.Set("general.file_type", GgufTypes.FileType(type));
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16)) w.Set("general.quantization_version", 2u);
        bool tokenizer = GgufTokenizer.Present(ckpt.Directory);
        if (tokenizer) GgufTokenizer.Write(ckpt.Directory, config, w, arch);
        else
        {
            notes.Add("no tokenizer.json beside the weights: the GGUF has no vocabulary (llama.cpp needs one to run it)");
            if (ModelConfig.FirstId(config.BosTokenId) is { } bos) w.Set("tokenizer.ggml.bos_token_id", (uint)bos);
            if (ModelConfig.FirstId(config.EosTokenId) is { } eos) w.Set("tokenizer.ggml.eos_token_id", (uint)eos);
        }

        var types = new Dictionary<string, int>();
        void Add(string name, long[] shape, Func<float[]> values)
        {
            var t = ChooseType(name, shape, type);
            types[GgufTypes.Name(t)] = types.GetValueOrDefault(GgufTypes.Name(t)) + 1;
            w.AddFloat32(name, t, shape, values);
            log?.Invoke($"{name,-40} {GgufTypes.Name(t),-5} {TensorInfo.FormatShape(shape)}");
        }

        var names = ckpt.Names.Where(n => !n.EndsWith(Checkpoint.ScaleSuffix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        long[] ShapeOf(string hf) => ckpt.Info(hf).Shape;

        void Plain(string hf)
        {
            string gguf = GgufNames.ToGguf(hf) ?? throw new CheckpointException(ckpt.Directory, hf,
                $"{ckpt.Directory}: tensor '{hf}' has no GGUF name for architecture {arch}");
            var shape = ShapeOf(hf);
            int ropeHeads = 0;
            if (arch == GgufConfig.Llama && GgufNames.SplitLayer(hf, "model.layers.") is { } l)
                ropeHeads = l.Tail.StartsWith("self_attn.q_proj.", StringComparison.Ordinal) ? config.NumAttentionHeads
                    : l.Tail.StartsWith("self_attn.k_proj.", StringComparison.Ordinal) ? config.KvHeads : 0;
            Add(gguf, shape, ropeHeads == 0 ? () => ckpt.ReadFloat32(hf)
                : () => GgufNames.PermuteRope(ckpt.ReadFloat32(hf), ropeHeads, shape.Length == 1 ? 1 : (int)shape[1]));
            done.Add(hf);
        }

        Plain("model.embed_tokens.weight");
        for (int layer = 0; layer < trunk + mtp; layer++)
        {
            string prefix = $"model.layers.{layer}.";
            var layerNames = names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            foreach (var (hfSuffix, _) in GgufNames.Layer)
            {
                string hf = prefix + hfSuffix;
                if (!names.Contains(hf)) continue;
                if (hfSuffix == "self_attn.kv_b_proj.weight" && config is DeepseekV3Config dc) { SplitKvB(hf, layer, dc); continue; }
                Plain(hf);
            }
            if (config is DeepseekV3Config ds && ds.HasMoe && names.Contains(GgufNames.ExpertHf(layer, 0, "gate_proj")))
                foreach (var (proj, gguf) in GgufNames.Experts)
                {
                    var parts = Enumerable.Range(0, ds.NRoutedExperts).Select(e => GgufNames.ExpertHf(layer, e, proj)).ToArray();
                    foreach (var p in parts)
                        if (!names.Contains(p)) throw new CheckpointException(ckpt.Directory, p, $"{ckpt.Directory}: expert tensor '{p}' is missing");
                    var one = ShapeOf(parts[0]);
                    Add($"blk.{layer}.{gguf}", [parts.Length, one[0], one[1]], () =>
                    {
                        var stacked = new float[parts.Length * one[0] * one[1]];
                        for (int e = 0; e < parts.Length; e++) ckpt.ReadFloat32(parts[e], stacked.AsSpan((int)(e * one[0] * one[1]), (int)(one[0] * one[1])));
                        return stacked;
                    });
                    done.UnionWith(parts);
                }
            var left = layerNames.Where(n => !done.Contains(n)).ToList();
            if (left.Count > 0)
                throw new CheckpointException(ckpt.Directory, left[0], $"{ckpt.Directory}: tensor '{left[0]}' has no GGUF name for architecture {arch}");
        }
        Plain("model.norm.weight");
        if (names.Contains("lm_head.weight") && !config.TieWordEmbeddings) Plain("lm_head.weight");
        else done.Add("lm_head.weight");
        if (config is LlamaConfig { RopeScaling.Kind: "llama3" } lc)
        {
            var factors = GgufConfig.Llama3RopeFactors(lc);
            Add(GgufNames.RopeFreqs, [factors.Length], () => factors);
        }
        var skipped = names.Where(n => !done.Contains(n)).ToList();
        if (skipped.Count > 0) notes.Add($"skipped {skipped.Count} tensors (e.g. {skipped[0]}): MTP layers beyond the trunk not stored");

        void SplitKvB(string hf, int layer, DeepseekV3Config dc)
        {
            int h = dc.NumAttentionHeads, nope = dc.QkNopeHeadDim, v = dc.VHeadDim, r = dc.KvLoraRank;
            var shape = ShapeOf(hf);
            if (shape.Length != 2 || shape[0] != h * (nope + v) || shape[1] != r)
                throw new ShapeMismatchException($"tensor {hf} has shape {TensorInfo.FormatShape(shape)}, config expects [{h * (nope + v)}, {r}]: num_attention_heads × (qk_nope_head_dim + v_head_dim), kv_lora_rank mismatch ({config.Source})");
            // kv_b [H, nope + v, r] → k_b [H, r, nope] (transposed per head) and v_b [H, v, r], as DeepseekV2Model.modify_tensors.
            Add($"blk.{layer}.{GgufNames.KB}", [h, r, nope], () =>
            {
                var kv = ckpt.ReadFloat32(hf);
                var k = new float[h * r * nope];
                for (int head = 0; head < h; head++)
                    for (int i = 0; i < nope; i++)
                        for (int c = 0; c < r; c++)
                            k[(head * r + c) * nope + i] = kv[(head * (nope + v) + i) * r + c];
                return k;
            });
            Add($"blk.{layer}.{GgufNames.VB}", [h, v, r], () =>
            {
                var kv = ckpt.ReadFloat32(hf);
                var vv = new float[h * v * r];
                for (int head = 0; head < h; head++) Array.Copy(kv, (head * (nope + v) + nope) * r, vv, head * v * r, v * r);
                return vv;
            });
            done.Add(hf);
        }

        w.Write(outPath);
        return new ConvertReport(outPath, w.TensorCount, types, new FileInfo(outPath).Length, tokenizer, notes);
    }

    // ---------------------------------------------------------------- GGUF → HF

    public static ConvertReport ToHf(string ggufPath, string outDir, Action<string>? log = null)
    {
        using var g = GgufWeights.Open(ggufPath);
        var config = g.Config;
        Directory.CreateDirectory(outDir);
        var notes = new List<string>();
        if (g.Unmapped.Count > 0) notes.Add($"not carried to safetensors: {string.Join(", ", g.Unmapped)}");

        var node = JsonSerializer.SerializeToNode(config, config.GetType(), ModelConfig.Json)!.AsObject();
        var ordered = new JsonObject
        {
            ["architectures"] = new JsonArray(config switch
            {
                DeepseekV3Config d => d.IsV3 ? "DeepseekV3ForCausalLM" : "DeepseekV2ForCausalLM",
                Qwen2Config => "Qwen2ForCausalLM",
                _ => "LlamaForCausalLM",
            }),
        };
        foreach (var (k, v) in node.ToList()) { node.Remove(k); ordered[k] = v; }
        AtomicFile.Write(Path.Combine(outDir, "config.json"), s =>
        {
            using var writer = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            ordered.WriteTo(writer);
        });

        var types = new Dictionary<string, int>();
        var tensors = new List<SafetensorsWriter.Tensor>();
        foreach (var name in g.Names)
        {
            var dtype = g.Type(name) switch { GgmlType.F16 => DType.F16, GgmlType.BF16 => DType.BF16, _ => DType.F32 };
            types[dtype.ToString()] = types.GetValueOrDefault(dtype.ToString()) + 1;
            tensors.Add(SafetensorsWriter.Tensor.FromFloat32(name, g.Shape(name), g.ReadFloat32(name), dtype));
            log?.Invoke($"{name,-50} {dtype,-4} {TensorInfo.FormatShape(g.Shape(name))}");
        }
        string st = Path.Combine(outDir, "model.safetensors");
        SafetensorsWriter.Write(st, tensors);

        bool tokenizer = false;
        if (GgufTokenizer.Read(g.File) is { } tok)
        {
            AtomicFile.Write(Path.Combine(outDir, "tokenizer.json"), s => s.Write(System.Text.Encoding.UTF8.GetBytes(tok.TokenizerJson)));
            AtomicFile.Write(Path.Combine(outDir, "tokenizer_config.json"), s => s.Write(System.Text.Encoding.UTF8.GetBytes(tok.TokenizerConfigJson)));
            tokenizer = true;
        }
        else notes.Add("the GGUF has no tokenizer.ggml.tokens: no tokenizer.json written");
        return new ConvertReport(outDir, tensors.Count, types, new FileInfo(st).Length, tokenizer, notes);
    }
}
