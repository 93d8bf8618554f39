// Two small random-weight models whose every row splits into 256-blocks, so llama.cpp's llama-quantize makes
// genuine Q4_K / Q6_K / Q8_0 tensors from them (the tiny fixtures' rows of 32–64 all fall back). Deterministic:
// System.Random with a seed, so the committed llama.cpp-made files in tests/fixtures/gguf/llamacpp are checked
// against the very weights they were made from. See tests/fixtures/gguf/llamacpp/README.md.
using System.Text.Json;
using SharpSeek.Formats;

namespace SharpSeek.Gguf.Tests;

static class InteropModels
{
    public static readonly string[] Names = ["llama-256", "deepseek2-256"];

    static readonly Dictionary<string, string> Configs = new()
    {
        ["llama-256"] = """
            {"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":96,"hidden_size":256,"intermediate_size":512,
             "num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":512,"rms_norm_eps":1e-05,
             "rope_theta":10000.0,"tie_word_embeddings":false,"bos_token_id":0,"eos_token_id":1,"hidden_act":"silu"}
            """,
        ["deepseek2-256"] = """
            {"architectures":["DeepseekV3ForCausalLM"],"model_type":"deepseek_v3","vocab_size":96,"hidden_size":256,"intermediate_size":256,
             "moe_intermediate_size":256,"num_hidden_layers":2,"num_attention_heads":2,"num_key_value_heads":2,"q_lora_rank":256,
             "kv_lora_rank":256,"qk_nope_head_dim":256,"qk_rope_head_dim":32,"v_head_dim":128,"n_routed_experts":4,"n_shared_experts":1,
             "num_experts_per_tok":2,"n_group":1,"topk_group":1,"topk_method":"noaux_tc","scoring_func":"sigmoid","norm_topk_prob":true,
             "routed_scaling_factor":2.5,"first_k_dense_replace":1,"moe_layer_freq":1,"max_position_embeddings":512,"rope_theta":10000.0,
             "rms_norm_eps":1e-06,"tie_word_embeddings":false,"bos_token_id":0,"eos_token_id":1,"hidden_act":"silu","num_nextn_predict_layers":0}
            """,
    };

    /// <summary>Writes the HF folder (config.json, model.safetensors, tiny tokenizer) for `name` under `dir`.</summary>
    public static string Write(string dir, string name)
    {
        string target = Path.Combine(dir, name);
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "config.json"), Configs[name]);
        foreach (var f in Directory.GetFiles(SharpSeek.Tests.Fixtures.Path("gguf", "tiny-tokenizer"))) File.Copy(f, Path.Combine(target, Path.GetFileName(f)), true);
        using var cfg = JsonDocument.Parse(Configs[name]);
        int I(string k) => cfg.RootElement.GetProperty(k).GetInt32();
        var rng = new Random(name.Length * 7919 + 17);
        var tensors = new List<SafetensorsWriter.Tensor>();
        void W(string n, params long[] shape) => tensors.Add(SafetensorsWriter.Tensor.FromFloat32(n, shape,
            Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)((rng.NextDouble() * 2 - 1) * 0.08)).ToArray()));
        void Norm(string n, long d) => tensors.Add(SafetensorsWriter.Tensor.FromFloat32(n, [d],
            Enumerable.Range(0, (int)d).Select(_ => (float)(1 + (rng.NextDouble() * 2 - 1) * 0.1)).ToArray()));
        void Mlp(string p, int d, int ff) { W(p + ".gate_proj.weight", ff, d); W(p + ".up_proj.weight", ff, d); W(p + ".down_proj.weight", d, ff); }

        int v = I("vocab_size"), h = I("hidden_size"), heads = I("num_attention_heads");
        W("model.embed_tokens.weight", v, h);
        for (int l = 0; l < I("num_hidden_layers"); l++)
        {
            string p = $"model.layers.{l}";
            Norm(p + ".input_layernorm.weight", h);
            Norm(p + ".post_attention_layernorm.weight", h);
            if (name == "llama-256")
            {
                int hd = h / heads, kv = I("num_key_value_heads");
                W(p + ".self_attn.q_proj.weight", heads * hd, h);
                W(p + ".self_attn.k_proj.weight", kv * hd, h);
                W(p + ".self_attn.v_proj.weight", kv * hd, h);
                W(p + ".self_attn.o_proj.weight", h, heads * hd);
                Mlp(p + ".mlp", h, I("intermediate_size"));
                continue;
            }
            int qr = I("q_lora_rank"), r = I("kv_lora_rank"), nope = I("qk_nope_head_dim"), rope = I("qk_rope_head_dim"), vd = I("v_head_dim");
            W(p + ".self_attn.q_a_proj.weight", qr, h);
            Norm(p + ".self_attn.q_a_layernorm.weight", qr);
            W(p + ".self_attn.q_b_proj.weight", heads * (nope + rope), qr);
            W(p + ".self_attn.kv_a_proj_with_mqa.weight", r + rope, h);
            Norm(p + ".self_attn.kv_a_layernorm.weight", r);
            W(p + ".self_attn.kv_b_proj.weight", heads * (nope + vd), r);
            W(p + ".self_attn.o_proj.weight", h, heads * vd);
            if (l < I("first_k_dense_replace")) { Mlp(p + ".mlp", h, I("intermediate_size")); continue; }
            int experts = I("n_routed_experts"), ff = I("moe_intermediate_size");
            W(p + ".mlp.gate.weight", experts, h);
            W(p + ".mlp.gate.e_score_correction_bias", experts);
            for (int e = 0; e < experts; e++) Mlp($"{p}.mlp.experts.{e}", h, ff);
            Mlp(p + ".mlp.shared_experts", h, ff * I("n_shared_experts"));
        }
        Norm("model.norm.weight", h);
        W("lm_head.weight", v, h);
        SafetensorsWriter.Write(Path.Combine(target, "model.safetensors"), tensors);
        return target;
    }
}
