// The one table between Hugging Face checkpoint names and llama.cpp's GGUF names for qwen2, llama and deepseek2,
// as llama.cpp's gguf-py (constants.py, tensor_mapping.py) and src/llama-arch.cpp spell them. Per-layer names
// are "model.layers.{i}.<hf>" ↔ "blk.{i}.<gguf>". Tensors that change shape between the two (stacked experts,
// split kv_b) and llama's rope permutation are described here and carried out in GgufExport / GgufWeights.
namespace SharpSeek.Model.Convert;

public static class GgufNames
{
    // Whole-model tensors.
    public const string TokenEmbd = "token_embd.weight";
    public const string OutputNorm = "output_norm.weight";
    public const string Output = "output.weight";
    public const string RopeFreqs = "rope_freqs.weight";   // llama-3 rope scaling factors, one per rotary pair

    public static readonly IReadOnlyList<(string Hf, string Gguf)> Global =
    [
        ("model.embed_tokens.weight", TokenEmbd),
        ("model.norm.weight", OutputNorm),
        ("lm_head.weight", Output),
    ];

    // Per-layer tensors: HF suffix after "model.layers.{i}." ↔ GGUF suffix after "blk.{i}.".
    public static readonly IReadOnlyList<(string Hf, string Gguf)> Layer =
    [
        ("input_layernorm.weight", "attn_norm.weight"),
        ("post_attention_layernorm.weight", "ffn_norm.weight"),
        ("self_attn.q_proj.weight", "attn_q.weight"),
        ("self_attn.q_proj.bias", "attn_q.bias"),
        ("self_attn.k_proj.weight", "attn_k.weight"),
        ("self_attn.k_proj.bias", "attn_k.bias"),
        ("self_attn.v_proj.weight", "attn_v.weight"),
        ("self_attn.v_proj.bias", "attn_v.bias"),
        ("self_attn.o_proj.weight", "attn_output.weight"),
        ("mlp.gate_proj.weight", "ffn_gate.weight"),
        ("mlp.up_proj.weight", "ffn_up.weight"),
        ("mlp.down_proj.weight", "ffn_down.weight"),
        // deepseek2: MLA
        ("self_attn.q_a_proj.weight", "attn_q_a.weight"),
        ("self_attn.q_a_layernorm.weight", "attn_q_a_norm.weight"),
        ("self_attn.q_b_proj.weight", "attn_q_b.weight"),
        ("self_attn.kv_a_proj_with_mqa.weight", "attn_kv_a_mqa.weight"),
        ("self_attn.kv_a_layernorm.weight", "attn_kv_a_norm.weight"),
        ("self_attn.kv_b_proj.weight", "attn_kv_b.weight"),   // legacy single tensor; llama.cpp now writes attn_k_b + attn_v_b
        // deepseek2: DeepSeekMoE
        ("mlp.gate.weight", "ffn_gate_inp.weight"),
        ("mlp.gate.e_score_correction_bias", "exp_probs_b.bias"),
        ("mlp.shared_experts.gate_proj.weight", "ffn_gate_shexp.weight"),
        ("mlp.shared_experts.up_proj.weight", "ffn_up_shexp.weight"),
        ("mlp.shared_experts.down_proj.weight", "ffn_down_shexp.weight"),
        // deepseek-v3 multi-token prediction (llama.cpp's nextn tensors, on the layers past the trunk)
        ("eh_proj.weight", "nextn.eh_proj.weight"),
        ("embed_tokens.weight", "nextn.embed_tokens.weight"),
        ("enorm.weight", "nextn.enorm.weight"),
        ("hnorm.weight", "nextn.hnorm.weight"),
        ("shared_head.head.weight", "nextn.shared_head_head.weight"),
        ("shared_head.norm.weight", "nextn.shared_head_norm.weight"),
    ];

    /// <summary>Routed experts: model.layers.{i}.mlp.experts.{e}.{proj}.weight are stacked into blk.{i}.{gguf} [E, rows, cols].</summary>
    public static readonly IReadOnlyList<(string HfProj, string Gguf)> Experts =
    [
        ("gate_proj", "ffn_gate_exps.weight"),
        ("up_proj", "ffn_up_exps.weight"),
        ("down_proj", "ffn_down_exps.weight"),
    ];

    /// <summary>Newer llama.cpp may fuse gate and up experts: [E, 2·ff, hidden], gate rows first.</summary>
    public const string GateUpExps = "ffn_gate_up_exps.weight";
    /// <summary>deepseek2 (llama.cpp ≥ 2025-04): kv_b split per head into k_b [H, kv_lora, nope] (transposed) and v_b [H, v, kv_lora].</summary>
    public const string KB = "attn_k_b.weight", VB = "attn_v_b.weight";

    static readonly Dictionary<string, string> HfToGgufLayer = Layer.ToDictionary(x => x.Hf, x => x.Gguf);
    static readonly Dictionary<string, string> GgufToHfLayer = Layer.ToDictionary(x => x.Gguf, x => x.Hf);

    /// <summary>The GGUF name of a plain (1:1) HF tensor, or null (unknown, or a stacked/split tensor).</summary>
    public static string? ToGguf(string hf)
    {
        foreach (var (h, g) in Global) if (h == hf) return g;
        if (SplitLayer(hf, "model.layers.") is not { } l) return null;
        return HfToGgufLayer.TryGetValue(l.Tail, out var suffix) ? $"blk.{l.Layer}.{suffix}" : null;
    }

    /// <summary>The HF name of a plain (1:1) GGUF tensor, or null.</summary>
    public static string? ToHf(string gguf)
    {
        foreach (var (h, g) in Global) if (g == gguf) return h;
        if (SplitLayer(gguf, "blk.") is not { } l) return null;
        return GgufToHfLayer.TryGetValue(l.Tail, out var suffix) ? $"model.layers.{l.Layer}.{suffix}" : null;
    }

    /// <summary>"model.layers.3.mlp.experts.7.up_proj.weight" → (3, 7, "up_proj").</summary>
    public static (int Layer, int Expert, string Proj)? ParseExpert(string hf)
    {
        if (SplitLayer(hf, "model.layers.") is not { } l || !l.Tail.StartsWith("mlp.experts.", StringComparison.Ordinal)) return null;
        var parts = l.Tail["mlp.experts.".Length..].Split('.');
        if (parts.Length != 3 || parts[2] != "weight" || !int.TryParse(parts[0], out int e) || e < 0) return null;
        return Experts.Any(x => x.HfProj == parts[1]) ? (l.Layer, e, parts[1]) : null;
    }

    public static string ExpertHf(int layer, int expert, string proj) => $"model.layers.{layer}.mlp.experts.{expert}.{proj}.weight";

    /// <summary>"prefix{N}.rest" → (N, rest).</summary>
    public static (int Layer, string Tail)? SplitLayer(string name, string prefix)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return null;
        int dot = name.IndexOf('.', prefix.Length);
        if (dot < 0 || !int.TryParse(name.AsSpan(prefix.Length, dot - prefix.Length), out int layer) || layer < 0) return null;
        return (layer, name[(dot + 1)..]);
    }

    // ---------------------------------------------------------------- llama's q/k rope permutation

    /// <summary>
    /// llama.cpp's LlamaModel.permute: rows of q/k (weight [H·hd, in] or bias [H·hd]) go from HF's rotate-half order
    /// (per head: first halves, then second halves) to ggml's interleaved pairs: new[h, 2i + j] = old[h, j·hd/2 + i].
    /// </summary>
    public static float[] PermuteRope(float[] w, int heads, int rowLength) => Permute(w, heads, rowLength, inverse: false);

    /// <summary>The inverse of PermuteRope: GGUF interleaved rows back to HF rotate-half rows.</summary>
    public static float[] UnpermuteRope(float[] w, int heads, int rowLength) => Permute(w, heads, rowLength, inverse: true);

    static float[] Permute(float[] w, int heads, int rowLength, bool inverse)
    {
        int rows = w.Length / rowLength;
        if (rows * rowLength != w.Length || rows % heads != 0 || rows / heads % 2 != 0)
            throw new ArgumentException($"cannot rope-permute {rows} rows over {heads} heads (need an even head dim)");
        int hd = rows / heads, half = hd / 2;
        var result = new float[w.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                {
                    int interleaved = h * hd + 2 * i + j, halves = h * hd + j * half + i;
                    int dst = inverse ? halves : interleaved, src = inverse ? interleaved : halves;
                    Array.Copy(w, (long)src * rowLength, result, (long)dst * rowLength, rowLength);
                }
        return result;
    }
}
