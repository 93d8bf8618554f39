// Model configs as records whose properties map 1:1 onto Hugging Face config.json keys (snake_case ↔ PascalCase),
// one record per family: DeepseekV3Config (deepseek_v3 and deepseek_v2), Qwen2Config, LlamaConfig.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpSeek.Model;

/// <summary>A config.json that cannot be used as it stands; the message names the file and key and says what to fix.</summary>
public sealed class ConfigException(string file, string? key, string message) : Exception($"{file}: {message}")
{
    public string File { get; } = file;
    public string? Key { get; } = key;
}

/// <summary>rope_scaling: yarn (DeepSeek), llama3 (Llama 3.x), linear/dynamic are rejected by Validate.</summary>
public sealed record RopeScaling
{
    public string? Type { get; init; }
    public string? RopeType { get; init; }
    public double Factor { get; init; } = 1;
    public int? OriginalMaxPositionEmbeddings { get; init; }
    // yarn
    public double BetaFast { get; init; } = 32;
    public double BetaSlow { get; init; } = 1;
    public double Mscale { get; init; } = 1;
    public double MscaleAllDim { get; init; }
    // llama3
    public double LowFreqFactor { get; init; } = 1;
    public double HighFreqFactor { get; init; } = 4;

    /// <summary>"yarn", "llama3", "default", … from rope_type (new HF) or type (DeepSeek's config).</summary>
    [JsonIgnore] public string Kind => (RopeType ?? Type ?? "default").ToLowerInvariant();
}

public abstract record ModelConfig
{
    public string ModelType { get; init; } = "";
    public int VocabSize { get; init; }
    public int HiddenSize { get; init; }
    public int IntermediateSize { get; init; }
    public int NumHiddenLayers { get; init; }
    public int NumAttentionHeads { get; init; }
    public int? NumKeyValueHeads { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 4096;
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public JsonElement? BosTokenId { get; init; }
    public JsonElement? EosTokenId { get; init; }
    public string? TorchDtype { get; init; }
    public string? HiddenAct { get; init; } = "silu";

    /// <summary>Where this config was read from (for error messages).</summary>
    [JsonIgnore] public string Source { get; init; } = "config.json";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 16,
    };

    /// <summary>Reads config.json (a file, or a folder holding one), picks the record by model_type and validates it.</summary>
    public static ModelConfig Load(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        if (!File.Exists(file)) throw new ConfigException(file, null, "config.json not found");
        return Parse(File.ReadAllText(file), file);
    }

    public static ModelConfig Parse(string json, string source = "config.json")
    {
        ModelConfig? config;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ConfigException(source, null, "config.json must be a JSON object");
            if (!doc.RootElement.TryGetProperty("model_type", out var mt) || mt.ValueKind != JsonValueKind.String)
                throw new ConfigException(source, "model_type", "missing model_type (expected deepseek_v3, deepseek_v2, qwen2 or llama)");
            config = mt.GetString() switch
            {
                "deepseek_v3" or "deepseek_v2" => doc.RootElement.Deserialize<DeepseekV3Config>(Json),
                "qwen2" => doc.RootElement.Deserialize<Qwen2Config>(Json),
                "llama" => doc.RootElement.Deserialize<LlamaConfig>(Json),
                var other => throw new ConfigException(source, "model_type", $"model_type '{other}' is not supported (expected deepseek_v3, deepseek_v2, qwen2 or llama)"),
            };
        }
        catch (JsonException e)
        {
            throw new ConfigException(source, e.Path, $"malformed config.json at {e.Path ?? "?"} (line {e.LineNumber + 1}): {e.Message}");
        }
        if (config is null) throw new ConfigException(source, null, "config.json is null");
        config = config with { Source = source };
        config.Validate();
        return config;
    }

    [JsonIgnore] public int KvHeads => NumKeyValueHeads ?? NumAttentionHeads;

    /// <summary>The first id of bos_token_id / eos_token_id (they may be a number or a list).</summary>
    public static int? FirstId(JsonElement? e) => e?.ValueKind switch
    {
        JsonValueKind.Number => e.Value.GetInt32(),
        JsonValueKind.Array when e.Value.GetArrayLength() > 0 => e.Value[0].GetInt32(),
        _ => null,
    };

    /// <summary>Throws ConfigException naming the first key that is missing or inconsistent.</summary>
    public virtual void Validate()
    {
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (RmsNormEps <= 0 || RmsNormEps > 1) Fail("rms_norm_eps", $"rms_norm_eps is {RmsNormEps}; expected a small positive number such as 1e-6");
        if (RopeTheta <= 0) Fail("rope_theta", $"rope_theta is {RopeTheta}; expected a positive base such as 10000");
        if (HiddenAct is not null and not "silu") Fail("hidden_act", $"hidden_act '{HiddenAct}' is not supported; only silu (SwiGLU) is");
        if (RopeScaling is { } rs)
        {
            if (rs.Kind is not ("yarn" or "llama3" or "default"))
                Fail("rope_scaling.type", $"rope_scaling type '{rs.Kind}' is not supported (expected yarn or llama3)");
            if (rs.Factor <= 0) Fail("rope_scaling.factor", $"rope_scaling.factor is {rs.Factor}; expected ≥ 1");
            if (rs.Kind is "yarn" or "llama3" && rs.OriginalMaxPositionEmbeddings is not > 0)
                Fail("rope_scaling.original_max_position_embeddings", $"rope_scaling of type {rs.Kind} needs original_max_position_embeddings > 0");
            if (rs.Kind == "llama3" && rs.HighFreqFactor <= rs.LowFreqFactor)
                Fail("rope_scaling.high_freq_factor", $"rope_scaling.high_freq_factor ({rs.HighFreqFactor}) must exceed low_freq_factor ({rs.LowFreqFactor})");
        }
    }

    protected void Positive(long value, string key)
    {
        if (value <= 0) Fail(key, $"{key} is {value}; it must be a positive integer (missing from config.json?)");
    }

    protected void Fail(string key, string message) => throw new ConfigException(Source, key, message);
}

/// <summary>DeepSeek-V3 (model_type deepseek_v3) and V2 (deepseek_v2): MLA + DeepSeekMoE (+ MTP for V3).</summary>
public sealed record DeepseekV3Config : ModelConfig
{
    public int MoeIntermediateSize { get; init; }
    public int NSharedExperts { get; init; }
    public int NRoutedExperts { get; init; }
    public double RoutedScalingFactor { get; init; } = 1;
    public int KvLoraRank { get; init; }
    public int? QLoraRank { get; init; }
    public int QkRopeHeadDim { get; init; }
    public int QkNopeHeadDim { get; init; }
    public int VHeadDim { get; init; }
    public string TopkMethod { get; init; } = "greedy";
    public int NGroup { get; init; } = 1;
    public int TopkGroup { get; init; } = 1;
    public int NumExpertsPerTok { get; init; }
    public int MoeLayerFreq { get; init; } = 1;
    public int FirstKDenseReplace { get; init; }
    public bool NormTopkProb { get; init; }
    public string ScoringFunc { get; init; } = "softmax";
    public int NumNextnPredictLayers { get; init; }
    public bool AttentionBias { get; init; }

    [JsonIgnore] public bool IsV3 => ModelType == "deepseek_v3";
    [JsonIgnore] public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;
    [JsonIgnore] public bool HasMoe => NRoutedExperts > 0;

    /// <summary>Layer i uses DeepSeekMoE (else the dense MLP), as HF modeling_deepseek decides it.</summary>
    public bool IsMoeLayer(int layer) => HasMoe && layer >= FirstKDenseReplace && layer % MoeLayerFreq == 0;

    public override void Validate()
    {
        base.Validate();
        Positive(IntermediateSize, "intermediate_size");
        Positive(KvLoraRank, "kv_lora_rank");
        Positive(QkRopeHeadDim, "qk_rope_head_dim");
        Positive(QkNopeHeadDim, "qk_nope_head_dim");
        Positive(VHeadDim, "v_head_dim");
        if (QkRopeHeadDim % 2 != 0) Fail("qk_rope_head_dim", $"qk_rope_head_dim is {QkRopeHeadDim}; rotary pairs need an even number");
        if (QLoraRank is <= 0) Fail("q_lora_rank", $"q_lora_rank is {QLoraRank}; use null for no query LoRA or a positive rank");
        if (AttentionBias) Fail("attention_bias", "attention_bias true is not supported for DeepSeek MLA (the released models have none)");
        if (NumNextnPredictLayers is < 0 or > 1) Fail("num_nextn_predict_layers", $"num_nextn_predict_layers is {NumNextnPredictLayers}; 0 or 1 are supported");
        if (!HasMoe) return;
        Positive(MoeIntermediateSize, "moe_intermediate_size");
        Positive(NumExpertsPerTok, "num_experts_per_tok");
        Positive(MoeLayerFreq, "moe_layer_freq");
        if (ScoringFunc is not ("sigmoid" or "softmax")) Fail("scoring_func", $"scoring_func '{ScoringFunc}' is not supported (expected sigmoid or softmax)");
        if (TopkMethod is not ("greedy" or "group_limited_greedy" or "noaux_tc"))
            Fail("topk_method", $"topk_method '{TopkMethod}' is not supported (expected greedy, group_limited_greedy or noaux_tc)");
        if (NumExpertsPerTok > NRoutedExperts) Fail("num_experts_per_tok", $"num_experts_per_tok ({NumExpertsPerTok}) exceeds n_routed_experts ({NRoutedExperts})");
        Positive(NGroup, "n_group");
        Positive(TopkGroup, "topk_group");
        if (NRoutedExperts % NGroup != 0) Fail("n_group", $"n_routed_experts ({NRoutedExperts}) is not divisible by n_group ({NGroup})");
        if (TopkGroup > NGroup) Fail("topk_group", $"topk_group ({TopkGroup}) exceeds n_group ({NGroup})");
        if (TopkGroup * (NRoutedExperts / NGroup) < NumExpertsPerTok)
            Fail("topk_group", $"topk_group ({TopkGroup}) groups of {NRoutedExperts / NGroup} experts cannot supply num_experts_per_tok ({NumExpertsPerTok}) experts");
        if (TopkMethod == "noaux_tc" && NRoutedExperts / NGroup < 2 && NGroup > 1)
            Fail("n_group", "noaux_tc scores a group by its top-2 experts; each group needs at least 2 experts");
    }
}

/// <summary>Llama (R1-Distill-Llama): GQA, optional Llama-3 rope scaling, no biases unless attention_bias.</summary>
public record LlamaConfig : ModelConfig
{
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public int? HeadDim { get; init; }

    [JsonIgnore] public int AttentionHeadDim => HeadDim ?? HiddenSize / NumAttentionHeads;
    /// <summary>q/k/v projections carry a bias (Qwen2 always; Llama when attention_bias).</summary>
    [JsonIgnore] public virtual bool QkvBias => AttentionBias;

    public override void Validate()
    {
        base.Validate();
        Positive(IntermediateSize, "intermediate_size");
        if (HeadDim is null && HiddenSize % NumAttentionHeads != 0)
            Fail("num_attention_heads", $"hidden_size ({HiddenSize}) is not divisible by num_attention_heads ({NumAttentionHeads}); set head_dim");
        if (AttentionHeadDim % 2 != 0) Fail("head_dim", $"head dim {AttentionHeadDim} is odd; rotary pairs need an even number");
        if (KvHeads <= 0 || NumAttentionHeads % KvHeads != 0)
            Fail("num_key_value_heads", $"num_attention_heads ({NumAttentionHeads}) must be a multiple of num_key_value_heads ({KvHeads})");
        if (MlpBias) Fail("mlp_bias", "mlp_bias true is not supported");
        if (RopeScaling is { Kind: "yarn" }) Fail("rope_scaling.type", "yarn rope scaling is only supported for DeepSeek models");
    }
}

/// <summary>Qwen2 (R1-Distill-Qwen): Llama shape with q/k/v biases.</summary>
public sealed record Qwen2Config : LlamaConfig
{
    public bool UseSlidingWindow { get; init; }
    public int? SlidingWindow { get; init; }
    public int? MaxWindowLayers { get; init; }

    public override bool QkvBias => true;

    public override void Validate()
    {
        base.Validate();
        if (UseSlidingWindow) Fail("use_sliding_window", "use_sliding_window true is not supported (the R1-Distill-Qwen models do not use it)");
    }
}
