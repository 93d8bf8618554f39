// Random-weight models in the real HF layout at the shapes of released models (weights cannot be downloaded here):
// same tensor shapes, dtypes and tokenizer, so throughput is what the real model would see.
using System.Text.Json.Nodes;
using SharpSeek.Formats;

namespace SharpSeek.Bench.Inference;

public static class BenchModels
{
    // DeepSeek-R1-Distill-Qwen-1.5B's config.json values; vocab cut to the tokenizer's size so llama.cpp accepts it.
    static JsonObject Qwen15B(int vocab) => new()
    {
        ["model_type"] = "qwen2", ["architectures"] = new JsonArray("Qwen2ForCausalLM"), ["vocab_size"] = vocab,
        ["hidden_size"] = 1536, ["intermediate_size"] = 8960, ["num_hidden_layers"] = 28, ["num_attention_heads"] = 12,
        ["num_key_value_heads"] = 2, ["max_position_embeddings"] = 131072, ["rope_theta"] = 10000.0, ["rms_norm_eps"] = 1e-6,
        ["tie_word_embeddings"] = false, ["hidden_act"] = "silu", ["torch_dtype"] = "bfloat16", ["bos_token_id"] = 151643, ["eos_token_id"] = 151643,
    };

    // DeepSeek-V2-Lite's config.json values (MLA without q LoRA, 64 routed + 2 shared experts, top-6, softmax gate),
    // cut to `layers` layers so it fits memory here; per-layer costs are the real ones.
    static JsonObject V2Lite(int vocab, int layers) => new()
    {
        ["model_type"] = "deepseek_v2", ["architectures"] = new JsonArray("DeepseekV2ForCausalLM"), ["vocab_size"] = vocab,
        ["hidden_size"] = 2048, ["intermediate_size"] = 10944, ["moe_intermediate_size"] = 1408, ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = 16, ["num_key_value_heads"] = 16, ["n_shared_experts"] = 2, ["n_routed_experts"] = 64,
        ["routed_scaling_factor"] = 1.0, ["kv_lora_rank"] = 512, ["q_lora_rank"] = null, ["qk_rope_head_dim"] = 64,
        ["v_head_dim"] = 128, ["qk_nope_head_dim"] = 128, ["topk_method"] = "greedy", ["n_group"] = 1, ["topk_group"] = 1,
        ["num_experts_per_tok"] = 6, ["moe_layer_freq"] = 1, ["first_k_dense_replace"] = 1, ["norm_topk_prob"] = false,
        ["scoring_func"] = "softmax", ["max_position_embeddings"] = 163840, ["rope_theta"] = 10000.0, ["rms_norm_eps"] = 1e-6,
        ["tie_word_embeddings"] = false, ["hidden_act"] = "silu", ["torch_dtype"] = "bfloat16",
        ["bos_token_id"] = 100000, ["eos_token_id"] = 100001,
    };

    public static readonly string[] Shapes = ["qwen2-1.5b", "v2-lite-4l"];

    /// <summary>Writes config.json, tokenizer files and bf16 model.safetensors into dir unless already there.</summary>
    public static void Ensure(string shape, string dir, string tokenizersDir)
    {
        if (File.Exists(Path.Combine(dir, "model.safetensors"))) return;
        Directory.CreateDirectory(dir);
        string tok = shape.StartsWith("qwen") ? "qwen3" : "deepseek_v3";
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(tokenizersDir, tok, f), Path.Combine(dir, f), overwrite: true);
        int vocab = SharpSeek.Tokenizers.Tokenizer.Load(dir).VocabSize;
        var config = shape switch
        {
            "qwen2-1.5b" => Qwen15B(vocab),
            "v2-lite-4l" => V2Lite(vocab, 4),
            _ => throw new ArgumentException($"unknown shape {shape}; known: {string.Join(", ", Shapes)}"),
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString(new() { WriteIndented = true }));
        var tensors = Tensors(config).Select((t, i) => Random(t.Name, t.Shape, t.Norm, i)).ToList();
        SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
    }

    static IEnumerable<(string Name, long[] Shape, bool Norm)> Tensors(JsonObject c)
    {
        int d = (int)c["hidden_size"]!, v = (int)c["vocab_size"]!, layers = (int)c["num_hidden_layers"]!, h = (int)c["num_attention_heads"]!;
        int inter = (int)c["intermediate_size"]!;
        yield return ("model.embed_tokens.weight", [v, d], false);
        yield return ("model.norm.weight", [d], true);
        yield return ("lm_head.weight", [v, d], false);
        bool ds = ((string)c["model_type"]!).StartsWith("deepseek");
        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}";
            yield return ($"{p}.input_layernorm.weight", [d], true);
            yield return ($"{p}.post_attention_layernorm.weight", [d], true);
            if (ds)
            {
                int r = (int)c["kv_lora_rank"]!, rope = (int)c["qk_rope_head_dim"]!, nope = (int)c["qk_nope_head_dim"]!, vd = (int)c["v_head_dim"]!;
                yield return ($"{p}.self_attn.q_proj.weight", [h * (nope + rope), d], false);
                yield return ($"{p}.self_attn.kv_a_proj_with_mqa.weight", [r + rope, d], false);
                yield return ($"{p}.self_attn.kv_a_layernorm.weight", [r], true);
                yield return ($"{p}.self_attn.kv_b_proj.weight", [h * (nope + vd), r], false);
                yield return ($"{p}.self_attn.o_proj.weight", [d, h * vd], false);
                if (l < (int)c["first_k_dense_replace"]!) { foreach (var t in Mlp($"{p}.mlp", d, inter)) yield return t; continue; }
                int e = (int)c["n_routed_experts"]!, mi = (int)c["moe_intermediate_size"]!, shared = (int)c["n_shared_experts"]!;
                yield return ($"{p}.mlp.gate.weight", [e, d], false);
                for (int x = 0; x < e; x++) foreach (var t in Mlp($"{p}.mlp.experts.{x}", d, mi)) yield return t;
                foreach (var t in Mlp($"{p}.mlp.shared_experts", d, shared * mi)) yield return t;
            }
            else
            {
                int kvh = (int)c["num_key_value_heads"]!, hd = d / h;
                yield return ($"{p}.self_attn.q_proj.weight", [h * hd, d], false);
                yield return ($"{p}.self_attn.q_proj.bias", [h * hd], false);
                yield return ($"{p}.self_attn.k_proj.weight", [kvh * hd, d], false);
                yield return ($"{p}.self_attn.k_proj.bias", [kvh * hd], false);
                yield return ($"{p}.self_attn.v_proj.weight", [kvh * hd, d], false);
                yield return ($"{p}.self_attn.v_proj.bias", [kvh * hd], false);
                yield return ($"{p}.self_attn.o_proj.weight", [d, h * hd], false);
                foreach (var t in Mlp($"{p}.mlp", d, inter)) yield return t;
            }
        }
    }

    static IEnumerable<(string, long[], bool)> Mlp(string p, int d, int hidden) =>
    [
        ($"{p}.gate_proj.weight", [hidden, d], false), ($"{p}.up_proj.weight", [hidden, d], false), ($"{p}.down_proj.weight", [d, hidden], false),
    ];

    // N(0, 0.02²) weights (sum of uniforms), norms around 1; stored bf16 like the released checkpoints.
    static SafetensorsWriter.Tensor Random(string name, long[] shape, bool norm, int seed)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[n];
        var rng = new Random(seed);
        for (long i = 0; i < n; i++)
        {
            float u = (float)(rng.NextDouble() + rng.NextDouble() + rng.NextDouble() - 1.5);   // var 1/4
            data[i] = norm ? 1f + 0.1f * u : 0.04f * u;
        }
        return SafetensorsWriter.Tensor.FromFloat32(name, shape, data, DType.BF16);
    }
}
