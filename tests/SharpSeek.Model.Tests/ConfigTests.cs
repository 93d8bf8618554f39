// config.json → records; Validate() names the key and says what to fix.
using Xunit;

namespace SharpSeek.Model.Tests;

public class ConfigTests
{
    const string V3 = """
    {"model_type":"deepseek_v3","vocab_size":128,"hidden_size":64,"intermediate_size":128,"moe_intermediate_size":32,
     "num_hidden_layers":2,"num_attention_heads":4,"n_shared_experts":1,"n_routed_experts":8,"routed_scaling_factor":2.5,
     "kv_lora_rank":16,"q_lora_rank":24,"qk_rope_head_dim":8,"qk_nope_head_dim":16,"v_head_dim":16,"topk_method":"noaux_tc",
     "n_group":4,"topk_group":2,"num_experts_per_tok":2,"first_k_dense_replace":1,"norm_topk_prob":true,"scoring_func":"sigmoid",
     "max_position_embeddings":16384,"rope_theta":10000,"rms_norm_eps":1e-6,"num_nextn_predict_layers":1,
     "rope_scaling":{"type":"yarn","factor":4,"original_max_position_embeddings":4096,"beta_fast":32,"beta_slow":1,"mscale":1.0,"mscale_all_dim":1.0},
     "bos_token_id":0,"eos_token_id":1}
    """;

    [Fact]
    public void Deepseek_v3_keys_map_onto_the_record()
    {
        var c = Assert.IsType<DeepseekV3Config>(ModelConfig.Parse(V3));
        Assert.Equal(24, c.QLoraRank);
        Assert.Equal(8, c.NRoutedExperts);
        Assert.Equal("noaux_tc", c.TopkMethod);
        Assert.Equal(4, c.NGroup);
        Assert.Equal(1, c.NumNextnPredictLayers);
        Assert.Equal("yarn", c.RopeScaling!.Kind);
        Assert.Equal(4096, c.RopeScaling.OriginalMaxPositionEmbeddings);
        Assert.Equal(24, c.QkHeadDim);
        Assert.False(c.IsMoeLayer(0));
        Assert.True(c.IsMoeLayer(1));
        Assert.Equal(1, ModelConfig.FirstId(c.EosTokenId));
    }

    [Fact]
    public void Llama3_rope_scaling_and_qwen2_are_read()
    {
        var l = Assert.IsType<LlamaConfig>(ModelConfig.Parse("""
            {"model_type":"llama","vocab_size":64,"hidden_size":32,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":4,
             "num_key_value_heads":2,"rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192},
             "eos_token_id":[5,6]}
            """));
        Assert.Equal("llama3", l.RopeScaling!.Kind);
        Assert.Equal(2, l.KvHeads);
        Assert.Equal(8, l.AttentionHeadDim);
        Assert.Equal(5, ModelConfig.FirstId(l.EosTokenId));
        var q = Assert.IsType<Qwen2Config>(ModelConfig.Parse("""
            {"model_type":"qwen2","vocab_size":64,"hidden_size":32,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,"tie_word_embeddings":true}
            """));
        Assert.True(q.QkvBias);
        Assert.True(q.TieWordEmbeddings);
    }

    [Theory]
    [InlineData("\"hidden_size\":64,", "", "hidden_size")]
    [InlineData("\"n_group\":4", "\"n_group\":3", "n_group")]
    [InlineData("\"topk_group\":2", "\"topk_group\":5", "topk_group")]
    [InlineData("\"num_experts_per_tok\":2", "\"num_experts_per_tok\":9", "num_experts_per_tok")]
    [InlineData("\"scoring_func\":\"sigmoid\"", "\"scoring_func\":\"relu\"", "scoring_func")]
    [InlineData("\"topk_method\":\"noaux_tc\"", "\"topk_method\":\"magic\"", "topk_method")]
    [InlineData("\"qk_rope_head_dim\":8", "\"qk_rope_head_dim\":7", "qk_rope_head_dim")]
    [InlineData("\"q_lora_rank\":24", "\"q_lora_rank\":0", "q_lora_rank")]
    [InlineData("\"kv_lora_rank\":16,", "", "kv_lora_rank")]
    [InlineData("\"type\":\"yarn\"", "\"type\":\"ntk\"", "rope_scaling.type")]
    [InlineData("\"original_max_position_embeddings\":4096,", "", "rope_scaling.original_max_position_embeddings")]
    [InlineData("\"model_type\":\"deepseek_v3\"", "\"model_type\":\"gpt2\"", "model_type")]
    [InlineData("\"rms_norm_eps\":1e-6", "\"rms_norm_eps\":-1", "rms_norm_eps")]
    public void Invalid_configs_name_the_key(string from, string to, string key)
    {
        var e = Assert.Throws<ConfigException>(() => ModelConfig.Parse(V3.Replace(from, to), "x/config.json"));
        Assert.Equal(key, e.Key);
        Assert.Contains("x/config.json", e.Message);
        Assert.Contains(key.Split('.')[^1], e.Message);
    }

    [Theory]
    [InlineData("{\"model_type\":\"llama\",")]
    [InlineData("[1,2]")]
    [InlineData("{\"model_type\":\"llama\",\"hidden_size\":\"big\"}")]
    [InlineData("")]
    public void Malformed_json_is_a_config_error(string json)
    {
        Assert.Throws<ConfigException>(() => ModelConfig.Parse(json, "bad/config.json"));
    }

    [Fact]
    public void Gqa_heads_must_divide()
    {
        var e = Assert.Throws<ConfigException>(() => ModelConfig.Parse("""
            {"model_type":"qwen2","vocab_size":64,"hidden_size":32,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":3}
            """));
        Assert.Equal("num_key_value_heads", e.Key);
    }
}
