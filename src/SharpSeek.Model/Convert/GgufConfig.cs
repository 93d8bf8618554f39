// ModelConfig ↔ GGUF metadata, key for key as llama.cpp's convert_hf_to_gguf.py writes them and src/models/*.cpp
// reads them ({arch}.block_count, .attention.head_count, .rope.freq_base, …). Facts GGUF keeps elsewhere are
// recovered from the tensors: tied embeddings (no output.weight), q/k/v bias (attn_q.bias), DeepSeek's
// noaux_tc routing (exp_probs_b.bias), Llama-3 rope scaling (rope_freqs.weight). A few values llama.cpp has no
// key for are written under "sharpseek.*" so our own files round-trip exactly; llama.cpp ignores them.
using System.Globalization;
using System.Text.Json;
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;

namespace SharpSeek.Model.Convert;

public static class GgufConfig
{
    public const string Qwen2 = "qwen2", Llama = "llama", Deepseek2 = "deepseek2";

    // llama_expert_gating_func_type
    const uint GatingSoftmax = 1, GatingSigmoid = 2;

    public static string ArchOf(ModelConfig c) => c switch
    {
        DeepseekV3Config => Deepseek2,
        Qwen2Config => Qwen2,
        LlamaConfig => Llama,
        _ => throw new ArgumentException($"no GGUF architecture for model_type {c.ModelType}"),
    };

    // ---------------------------------------------------------------- config → metadata

    /// <summary>Writes the {arch}.* hyper-parameters; `mtpLayers` is how many MTP layers are stored past the trunk.</summary>
    public static void Write(ModelConfig c, GgufWriter w, int mtpLayers = 0)
    {
        string a = ArchOf(c);
        w.Set("general.architecture", a);
        w.Set($"{a}.block_count", (uint)(c.NumHiddenLayers + mtpLayers));
        w.Set($"{a}.context_length", (uint)c.MaxPositionEmbeddings);
        w.Set($"{a}.embedding_length", (uint)c.HiddenSize);
        w.Set($"{a}.feed_forward_length", (uint)c.IntermediateSize);
        w.Set($"{a}.attention.head_count", (uint)c.NumAttentionHeads);
        w.Set($"{a}.attention.head_count_kv", (uint)(c is DeepseekV3Config ? 1 : c.KvHeads));   // MLA is stored as MQA
        w.Set($"{a}.rope.freq_base", (float)c.RopeTheta);
        w.Set($"{a}.attention.layer_norm_rms_epsilon", (float)c.RmsNormEps);

        if (c.RopeScaling is { Kind: "yarn" } y)
        {
            w.Set($"{a}.rope.scaling.type", "yarn");
            w.Set($"{a}.rope.scaling.factor", (float)y.Factor);
            w.Set($"{a}.rope.scaling.original_context_length", (uint)y.OriginalMaxPositionEmbeddings!.Value);
            w.Set($"{a}.rope.scaling.yarn_beta_fast", (float)y.BetaFast);
            w.Set($"{a}.rope.scaling.yarn_beta_slow", (float)y.BetaSlow);
            if (c is DeepseekV3Config)
            {
                // llama.cpp stores 0.1·mscale_all_dim here for deepseek2 (and divides it back out on load).
                w.Set($"{a}.rope.scaling.yarn_log_multiplier", (float)(0.1 * y.MscaleAllDim));
                if (y.Mscale != y.MscaleAllDim) w.Set("sharpseek.rope_scaling.mscale", (float)y.Mscale);
            }
        }
        else if (c.RopeScaling is { Kind: "llama3" } l)
        {
            // llama.cpp keeps Llama-3 scaling only as the rope_freqs tensor; these make our own files exact.
            w.Set("sharpseek.rope_scaling.factor", (float)l.Factor);
            w.Set("sharpseek.rope_scaling.low_freq_factor", (float)l.LowFreqFactor);
            w.Set("sharpseek.rope_scaling.high_freq_factor", (float)l.HighFreqFactor);
            w.Set("sharpseek.rope_scaling.original_max_position_embeddings", (uint)l.OriginalMaxPositionEmbeddings!.Value);
        }

        switch (c)
        {
            case DeepseekV3Config d:
                w.Set($"{a}.leading_dense_block_count", (uint)(d.HasMoe ? d.FirstKDenseReplace : d.NumHiddenLayers));
                w.Set($"{a}.vocab_size", (uint)d.VocabSize);
                w.Set($"{a}.attention.q_lora_rank", (uint)(d.QLoraRank ?? 0));   // llama.cpp requires the key; 0 = no query LoRA (V2-Lite)
                w.Set($"{a}.attention.kv_lora_rank", (uint)d.KvLoraRank);
                w.Set($"{a}.attention.key_length", (uint)(d.KvLoraRank + d.QkRopeHeadDim));
                w.Set($"{a}.attention.value_length", (uint)d.KvLoraRank);
                w.Set($"{a}.attention.key_length_mla", (uint)d.QkHeadDim);
                w.Set($"{a}.attention.value_length_mla", (uint)d.VHeadDim);
                w.Set($"{a}.expert_feed_forward_length", (uint)(d.HasMoe ? d.MoeIntermediateSize : d.IntermediateSize));
                if (d.HasMoe)
                {
                    w.Set($"{a}.expert_count", (uint)d.NRoutedExperts);
                    w.Set($"{a}.expert_used_count", (uint)d.NumExpertsPerTok);
                    w.Set($"{a}.expert_group_count", (uint)d.NGroup);
                    w.Set($"{a}.expert_group_used_count", (uint)d.TopkGroup);
                    w.Set($"{a}.expert_gating_func", d.ScoringFunc == "sigmoid" ? GatingSigmoid : GatingSoftmax);
                    w.Set($"{a}.expert_weights_scale", (float)d.RoutedScalingFactor);
                    if (d.NormTopkProb) w.Set($"{a}.expert_weights_norm", true);
                    if (d.TopkMethod != "noaux_tc") w.Set("sharpseek.topk_method", d.TopkMethod);
                    // llama.cpp makes every layer past the leading dense ones MoE; other strides only SharpSeek reads.
                    if (d.MoeLayerFreq != 1) w.Set("sharpseek.moe_layer_freq", (uint)d.MoeLayerFreq);
                }
                w.Set($"{a}.expert_shared_count", (uint)d.NSharedExperts);
                w.Set($"{a}.rope.dimension_count", (uint)d.QkRopeHeadDim);
                if (mtpLayers > 0) w.Set($"{a}.nextn_predict_layers", (uint)mtpLayers);
                if (d.ModelType == "deepseek_v2" && d.ScoringFunc == "sigmoid" || d.ModelType == "deepseek_v3" && d.ScoringFunc != "sigmoid")
                    w.Set("sharpseek.model_type", d.ModelType);
                break;
            case LlamaConfig l:
                if (c is not Qwen2Config) w.Set($"{a}.vocab_size", (uint)l.VocabSize);
                if (c is not Qwen2Config || l.HeadDim is not null) w.Set($"{a}.rope.dimension_count", (uint)l.AttentionHeadDim);
                if (l.HeadDim is { } hd)
                {
                    w.Set($"{a}.attention.key_length", (uint)hd);
                    w.Set($"{a}.attention.value_length", (uint)hd);
                }
                break;
        }
    }

    // ---------------------------------------------------------------- metadata → config

    /// <summary>Builds the config record a GGUF file describes (and validates it); names the key when one is missing.</summary>
    public static ModelConfig Read(GgufFile f)
    {
        string arch = f.RequireString("general.architecture");
        string a = arch;
        if (arch is not (Deepseek2 or Qwen2 or Llama))
            throw new CheckpointException(f.Path, "general.architecture",
                $"{f.Path}: architecture '{arch}' is not supported (expected qwen2, llama or deepseek2)");
        int I(string key) => checked((int)f.RequireInt($"{a}.{key}"));
        int? OptI(string key) => f.GetInt($"{a}.{key}") is { } v ? checked((int)v) : null;
        double D(double? v) => v is { } x ? Shortest(x) : 0;

        int blocks = I("block_count");
        int vocab = OptI("vocab_size") ?? (f.GetArray("tokenizer.ggml.tokens")?.Count)
            ?? (f.Contains(GgufNames.TokenEmbd) ? (int)f.Info(GgufNames.TokenEmbd).Shape[0] : 0);
        var (bos, eos) = (f.GetInt("tokenizer.ggml.bos_token_id"), f.GetInt("tokenizer.ggml.eos_token_id"));
        JsonElement? Id(long? id) => id is { } v ? JsonSerializer.SerializeToElement(v) : null;
        string source = f.Path;
        bool tied = !f.Contains(GgufNames.Output);
        double theta = f.GetDouble($"{a}.rope.freq_base") is { } t ? Shortest(t) : 10000;
        double eps = f.GetDouble($"{a}.attention.layer_norm_rms_epsilon") is { } epsValue ? Shortest(epsValue) : 1e-6;
        int ctx = OptI("context_length") ?? 4096;

        ModelConfig config;
        switch (arch)
        {
            case Deepseek2:
            {
                int mtp = OptI("nextn_predict_layers") ?? 0;
                int heads = I("attention.head_count");
                int rope = I("rope.dimension_count");
                int kvLora = I("attention.kv_lora_rank");
                int? kMla = OptI("attention.key_length_mla"), vMla = OptI("attention.value_length_mla");
                int qkHead = kMla ?? I("attention.key_length");
                int vHead = vMla ?? I("attention.value_length");
                uint gating = (uint)(f.GetInt($"{a}.expert_gating_func") ?? GatingSoftmax);
                int experts = OptI("expert_count") ?? 0;
                int groups = OptI("expert_group_count") ?? 1;
                bool bias = Enumerable.Range(0, blocks).Any(i => f.Contains($"blk.{i}.exp_probs_b.bias"));
                string topk = f.GetString("sharpseek.topk_method") ?? (bias ? "noaux_tc" : groups > 1 ? "group_limited_greedy" : "greedy");
                string scoring = gating == GatingSigmoid ? "sigmoid" : "softmax";
                var rs = ReadYarn(f, a);
                if (rs is not null && f.GetDouble($"{a}.rope.scaling.yarn_log_multiplier") is { } lm)
                {
                    double all = Math.Round(Shortest(lm) / 0.1, 6);
                    rs = rs with { MscaleAllDim = all, Mscale = f.GetDouble("sharpseek.rope_scaling.mscale") is { } m ? Shortest(m) : all };
                }
                config = new DeepseekV3Config
                {
                    ModelType = f.GetString("sharpseek.model_type") ?? (scoring == "sigmoid" ? "deepseek_v3" : "deepseek_v2"),
                    VocabSize = vocab, HiddenSize = I("embedding_length"), IntermediateSize = I("feed_forward_length"),
                    NumHiddenLayers = blocks - mtp, NumAttentionHeads = heads, NumKeyValueHeads = heads,
                    MaxPositionEmbeddings = ctx, RmsNormEps = eps, RopeTheta = theta, RopeScaling = rs,
                    TieWordEmbeddings = tied, BosTokenId = Id(bos), EosTokenId = Id(eos),
                    MoeIntermediateSize = experts > 0 ? I("expert_feed_forward_length") : 0,
                    NSharedExperts = OptI("expert_shared_count") ?? 0, NRoutedExperts = experts,
                    RoutedScalingFactor = D(f.GetDouble($"{a}.expert_weights_scale") ?? 1.0),
                    KvLoraRank = kvLora, QLoraRank = OptI("attention.q_lora_rank") is > 0 and var q ? q : null,
                    QkRopeHeadDim = rope, QkNopeHeadDim = qkHead - rope, VHeadDim = vHead,
                    TopkMethod = topk, NGroup = groups, TopkGroup = OptI("expert_group_used_count") ?? 1,
                    NumExpertsPerTok = OptI("expert_used_count") ?? 0,
                    FirstKDenseReplace = OptI("leading_dense_block_count") ?? 0,
                    MoeLayerFreq = f.GetInt("sharpseek.moe_layer_freq") is { } freq ? checked((int)freq) : 1,
                    NormTopkProb = f.GetBool($"{a}.expert_weights_norm") ?? false,
                    ScoringFunc = scoring, NumNextnPredictLayers = mtp,
                    Source = source,
                };
                break;
            }
            case Qwen2:
            case Llama:
            {
                int heads = I("attention.head_count"), hidden = I("embedding_length");
                int? headDim = OptI("attention.key_length") ?? (OptI("rope.dimension_count") is { } rd && rd != hidden / heads ? rd : null);
                bool qkvBias = f.Contains("blk.0.attn_q.bias");
                var common = new LlamaConfig
                {
                    ModelType = arch, VocabSize = vocab, HiddenSize = hidden, IntermediateSize = I("feed_forward_length"),
                    NumHiddenLayers = blocks, NumAttentionHeads = heads, NumKeyValueHeads = OptI("attention.head_count_kv") ?? heads,
                    MaxPositionEmbeddings = ctx, RmsNormEps = eps, RopeTheta = theta,
                    RopeScaling = arch == Llama ? ReadLlama3(f, a, headDim ?? hidden / heads, theta, ctx) : ReadYarn(f, a),
                    TieWordEmbeddings = tied, BosTokenId = Id(bos), EosTokenId = Id(eos), HeadDim = headDim,
                    AttentionBias = arch == Llama && qkvBias, Source = source,
                };
                config = arch == Qwen2
                    ? new Qwen2Config
                    {
                        ModelType = common.ModelType, VocabSize = common.VocabSize, HiddenSize = common.HiddenSize,
                        IntermediateSize = common.IntermediateSize, NumHiddenLayers = common.NumHiddenLayers,
                        NumAttentionHeads = common.NumAttentionHeads, NumKeyValueHeads = common.NumKeyValueHeads,
                        MaxPositionEmbeddings = common.MaxPositionEmbeddings, RmsNormEps = common.RmsNormEps, RopeTheta = common.RopeTheta,
                        RopeScaling = common.RopeScaling, TieWordEmbeddings = common.TieWordEmbeddings,
                        BosTokenId = common.BosTokenId, EosTokenId = common.EosTokenId, HeadDim = common.HeadDim, Source = source,
                    }
                    : common;
                break;
            }
            default:
                throw new CheckpointException(f.Path, "general.architecture",
                    $"{f.Path}: architecture '{arch}' is not supported (expected qwen2, llama or deepseek2)");
        }
        try { config.Validate(); }
        catch (ConfigException e)
        {
            throw new CheckpointException(f.Path, e.Key, $"{f.Path}: the GGUF metadata gives an unusable config: {e.Message}");
        }
        return config;
    }

    static RopeScaling? ReadYarn(GgufFile f, string a)
    {
        string? type = f.GetString($"{a}.rope.scaling.type");
        if (type is null or "none") return null;
        double factor = f.GetDouble($"{a}.rope.scaling.factor") is { } x ? Shortest(x) : 1;
        if (type != "yarn") return new RopeScaling { Type = type, Factor = factor };
        return new RopeScaling
        {
            Type = "yarn", Factor = factor,
            OriginalMaxPositionEmbeddings = checked((int)f.RequireInt($"{a}.rope.scaling.original_context_length")),
            BetaFast = f.GetDouble($"{a}.rope.scaling.yarn_beta_fast") is { } bf ? Shortest(bf) : 32,
            BetaSlow = f.GetDouble($"{a}.rope.scaling.yarn_beta_slow") is { } bs ? Shortest(bs) : 1,
        };
    }

    /// <summary>
    /// Llama-3 scaling from our exact keys, else recovered from llama.cpp's rope_freqs tensor (one factor per rotary
    /// pair: 1 for short wavelengths, `factor` for long ones, 1/((1−s)/factor + s) between, s linear in 1/wavelength).
    /// Only the ratios original/low and original/high matter, so `original` is taken as the context length / factor.
    /// </summary>
    static RopeScaling? ReadLlama3(GgufFile f, string a, int dim, double theta, int ctx)
    {
        if (f.GetDouble("sharpseek.rope_scaling.factor") is { } exact)
            return new RopeScaling
            {
                RopeType = "llama3", Factor = Shortest(exact),
                LowFreqFactor = Shortest(f.GetDouble("sharpseek.rope_scaling.low_freq_factor") ?? 1),
                HighFreqFactor = Shortest(f.GetDouble("sharpseek.rope_scaling.high_freq_factor") ?? 4),
                OriginalMaxPositionEmbeddings = checked((int)f.RequireInt("sharpseek.rope_scaling.original_max_position_embeddings")),
            };
        if (!f.Contains(GgufNames.RopeFreqs)) return ReadYarn(f, a);
        var factors = f.ReadFloat32(GgufNames.RopeFreqs);
        if (factors.Length != dim / 2)
            throw new CheckpointException(f.Path, GgufNames.RopeFreqs, $"{f.Path}: rope_freqs has {factors.Length} factors, expected {dim / 2} (rope dim / 2)");
        double factor = factors.Max();
        if (factor <= 1.0 + 1e-6) return null;
        double original = Math.Max(1, Math.Round(ctx / factor));
        var wavelen = Enumerable.Range(0, dim / 2).Select(i => 2 * Math.PI * Math.Pow(theta, (float)(2 * i) / dim)).ToArray();
        // Wavelength thresholds: highWavelen ≤ λ for blended/scaled pairs, lowWavelen < λ for fully scaled ones.
        var mid = Enumerable.Range(0, factors.Length).Where(i => factors[i] > 1 + 1e-6 && factors[i] < factor * (1 - 1e-6)).ToArray();
        double lowW, highW;
        if (mid.Length >= 2)
        {
            // s = (original/λ − low)/(high − low): fit s = α·(original/λ) + β on the blended pairs.
            var xs = mid.Select(i => original / wavelen[i]).ToArray();
            var ss = mid.Select(i => (1 / factors[i] - 1 / factor) / (1 - 1 / factor)).ToArray();
            double mx = xs.Average(), ms = ss.Average();
            double alpha = xs.Zip(ss, (x, s) => (x - mx) * (s - ms)).Sum() / xs.Sum(x => (x - mx) * (x - mx));
            double beta = ms - alpha * mx;
            double low = -beta / alpha, high = low + 1 / alpha;
            return new RopeScaling { RopeType = "llama3", Factor = factor, LowFreqFactor = low, HighFreqFactor = high, OriginalMaxPositionEmbeddings = (int)original };
        }
        // No blended pairs to fit: any thresholds in the gaps reproduce the factors; take the gap midpoints.
        int firstScaled = Array.FindIndex(factors, x => x > 1 + 1e-6);
        int firstFull = Array.FindIndex(factors, x => x >= factor * (1 - 1e-6));
        highW = firstScaled <= 0 ? wavelen[0] / 2 : (wavelen[firstScaled - 1] + wavelen[firstScaled]) / 2;
        lowW = firstFull <= 0 ? highW : (wavelen[firstFull - 1] + wavelen[firstFull]) / 2;
        if (mid.Length == 1) highW = Math.Min(highW, wavelen[mid[0]]);
        if (lowW <= highW) lowW = highW * (1 + 1e-9);
        return new RopeScaling { RopeType = "llama3", Factor = factor, LowFreqFactor = original / lowW, HighFreqFactor = original / highW, OriginalMaxPositionEmbeddings = (int)original };
    }

    /// <summary>The double a float32 metadata value was meant to be (1e-6f → 1e-6, not 9.99999997e-07).</summary>
    static double Shortest(double v) => double.Parse(((float)v).ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>llama.cpp's rope_freqs for Llama-3 scaling (convert_hf_to_gguf.py LlamaModel.generate_extra_tensors).</summary>
    public static float[] Llama3RopeFactors(LlamaConfig c)
    {
        var s = c.RopeScaling!;
        int dim = c.AttentionHeadDim;
        double original = s.OriginalMaxPositionEmbeddings!.Value;
        double lowW = original / s.LowFreqFactor, highW = original / s.HighFreqFactor;
        var result = new float[dim / 2];
        for (int i = 0; i < result.Length; i++)
        {
            float freq = 1f / MathF.Pow((float)c.RopeTheta, (float)(2 * i) / dim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highW) result[i] = 1;
            else if (wavelen > lowW) result[i] = (float)s.Factor;
            else
            {
                double smooth = (original / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                result[i] = (float)(1 / ((1 - smooth) / s.Factor + smooth));
            }
        }
        return result;
    }
}
