// HF ↔ GGUF conversion on the tiny model fixtures: config from metadata equals config.json, every tensor reads
// back bit-identical under its HF name (permutations, stacked experts and split kv_b undone), GGUF → HF folder
// loads in the model with the original logits, and the tokenizer survives both ways.
using System.Text.Json;
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;
using SharpSeek.Model;
using SharpSeek.Model.Convert;
using SharpSeek.Tensors;
using SharpSeek.Tests;
using Xunit;

namespace SharpSeek.Gguf.Tests;

public class ConvertTests
{
    public static readonly string[] Models = ["qwen2-tied", "llama3-scaled", "v3-qlora-yarn-mtp", "v2-group-limited", "v2-softmax-greedy", "v3-noqlora", "v3-fp8", "v3-bf16", "v3-sharded"];

    /// <summary>A fixture model folder copied next to the tiny tokenizer.</summary>
    internal static string ModelWithTokenizer(TempDir dir, string model)
    {
        string target = dir.File(model);
        Directory.CreateDirectory(target);
        foreach (var f in Directory.GetFiles(Fixtures.Path("models", model))) File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
        // The tiny tokenizer has 96 tokens; fixtures with another vocab_size go without one.
        if (ModelConfig.Load(Path.Combine(target, "config.json")).VocabSize == 96)
            foreach (var f in Directory.GetFiles(Fixtures.Path("gguf", "tiny-tokenizer"))) File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
        return target;
    }

    /// <summary>The config as JSON without the keys GGUF does not carry (torch_dtype, Qwen2's unused sliding-window settings).</summary>
    static string ConfigJson(ModelConfig c)
    {
        var node = JsonSerializer.SerializeToNode(c, c.GetType(), ModelConfig.Json)!.AsObject();
        foreach (var key in new[] { "torch_dtype", "sliding_window", "max_window_layers" }) node.Remove(key);
        return node.ToJsonString();
    }

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void F32_gguf_reads_back_identical_tensors_and_config(string model)
    {
        using var dir = new TempDir();
        string src = ModelWithTokenizer(dir, model), gguf = dir.File("m.gguf");
        var report = GgufConvert.ToGguf(src, gguf, GgmlType.F32);

        using var ckpt = Checkpoint.Open(src);
        var original = ModelConfig.Load(ckpt.ConfigPath!);
        Assert.Equal(original.VocabSize == 96, report.Tokenizer);
        using var g = GgufWeights.Open(gguf);
        Assert.Equal(ConfigJson(original), ConfigJson(g.Config));

        var expected = ckpt.Names.Where(n => !n.EndsWith(Checkpoint.ScaleSuffix)).ToHashSet();
        if (original.TieWordEmbeddings) expected.Remove("lm_head.weight");
        Assert.Equal(expected.Order(), g.Names.Order());
        foreach (var name in expected)
        {
            Assert.Equal(ckpt.Info(name).Shape, g.Shape(name));
            Assert.Equal(ckpt.ReadFloat32(name), g.ReadFloat32(name));
        }
        Assert.DoesNotContain(g.Unmapped, n => n != GgufNames.RopeFreqs);
    }

    public static TheoryData<string> ModelNames() => new(Models);

    [Fact]
    public void Llama_q_and_k_are_rope_permuted_in_the_file_as_llama_cpp_does()
    {
        using var dir = new TempDir();
        string src = ModelWithTokenizer(dir, "llama3-scaled"), gguf = dir.File("m.gguf");
        GgufConvert.ToGguf(src, gguf, GgmlType.F32);
        using var ckpt = Checkpoint.Open(src);
        using var f = GgufFile.Open(gguf);
        var hf = ckpt.ReadFloat32("model.layers.0.self_attn.k_proj.weight");   // [2 heads × 16, 64]
        var stored = f.ReadFloat32("blk.0.attn_k.weight");
        Assert.NotEqual(hf, stored);
        // Row 2i+j of head h in the file is row j·8+i of that head in HF.
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 2; j++)
                    Assert.Equal(hf.AsSpan((h * 16 + j * 8 + i) * 64, 64).ToArray(), stored.AsSpan((h * 16 + 2 * i + j) * 64, 64).ToArray());
        // v is not permuted; qwen2 is never permuted.
        Assert.Equal(ckpt.ReadFloat32("model.layers.0.self_attn.v_proj.weight"), f.ReadFloat32("blk.0.attn_v.weight"));
        Assert.Equal(GgufNames.UnpermuteRope(GgufNames.PermuteRope(hf, 2, 64), 2, 64), hf);
    }

    [Fact]
    public void Deepseek2_layout_matches_llama_cpp()
    {
        using var dir = new TempDir();
        string src = ModelWithTokenizer(dir, "v3-qlora-yarn-mtp"), gguf = dir.File("m.gguf");
        GgufConvert.ToGguf(src, gguf, GgmlType.F32);
        using var f = GgufFile.Open(gguf);
        Assert.Equal("deepseek2", f.GetString("general.architecture"));
        Assert.Equal(4, f.GetInt("deepseek2.block_count"));            // 3 trunk layers + 1 MTP layer
        Assert.Equal(1, f.GetInt("deepseek2.nextn_predict_layers"));
        Assert.Equal(1, f.GetInt("deepseek2.attention.head_count_kv"));  // MLA stored as MQA
        Assert.Equal(24 + 16, f.GetInt("deepseek2.attention.key_length"));
        Assert.Equal(24, f.GetInt("deepseek2.attention.value_length"));
        Assert.Equal(32, f.GetInt("deepseek2.attention.key_length_mla"));
        Assert.Equal(12, f.GetInt("deepseek2.attention.value_length_mla"));
        Assert.Equal(2, f.GetInt("deepseek2.expert_gating_func"));
        Assert.Equal(0.1f, (float)f.GetDouble("deepseek2.rope.scaling.yarn_log_multiplier")!.Value, 6);
        Assert.Equal("yarn", f.GetString("deepseek2.rope.scaling.type"));
        Assert.Equal([32L, 12, 16], f.Info("blk.1.ffn_gate_exps.weight").Dims);      // ne = {hidden, moe_ff, experts}
        Assert.Equal([12L, 32, 16], f.Info("blk.1.ffn_down_exps.weight").Dims);      // ne = {moe_ff, hidden, experts}
        Assert.Equal([16L, 24, 4], f.Info("blk.0.attn_k_b.weight").Dims);            // {nope, kv_lora, heads}
        Assert.Equal([24L, 12, 4], f.Info("blk.0.attn_v_b.weight").Dims);            // {kv_lora, v, heads}
        Assert.False(f.Contains("blk.0.attn_kv_b.weight"));
        Assert.Equal(GgmlType.F32, f.Info("blk.1.ffn_gate_inp.weight").Type);
        Assert.True(f.Contains("blk.2.exp_probs_b.bias"));
        Assert.True(f.Contains("blk.3.nextn.eh_proj.weight"));
        Assert.True(f.Contains("blk.3.nextn.shared_head_head.weight"));
        Assert.Equal([32L, 96], f.Info("token_embd.weight").Dims);
    }

    [Fact]
    public void Llama3_rope_scaling_is_recovered_from_rope_freqs_alone()
    {
        using var dir = new TempDir();
        string src = ModelWithTokenizer(dir, "llama3-scaled"), gguf = dir.File("m.gguf"), bare = dir.File("bare.gguf");
        GgufConvert.ToGguf(src, gguf, GgmlType.F32);
        GgufRewrite.Copy(gguf, bare, dropKeys: k => k.StartsWith("sharpseek."));
        using var f = GgufFile.Open(bare);
        var c = (LlamaConfig)GgufConfig.Read(f);
        var original = (LlamaConfig)ModelConfig.Load(Path.Combine(src, "config.json"));
        Assert.Equal("llama3", c.RopeScaling!.Kind);
        var want = RopeTable.Create(16, original.RopeTheta, original.RopeScaling).InvFreq;
        var got = RopeTable.Create(16, c.RopeTheta, c.RopeScaling).InvFreq;
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], want[i] * 1e-6f);
        Assert.Equal(GgufConfig.Llama3RopeFactors(original), GgufConfig.Llama3RopeFactors(c));
    }

    [Fact]
    public void Legacy_attn_kv_b_and_fused_gate_up_experts_read_back()
    {
        using var dir = new TempDir();
        string src = ModelWithTokenizer(dir, "v3-qlora-yarn-mtp"), gguf = dir.File("m.gguf");
        GgufConvert.ToGguf(src, gguf, GgmlType.F32);
        using var ckpt = Checkpoint.Open(src);
        // Rewrite as an older llama.cpp would (one attn_kv_b) and a newer one might (ffn_gate_up_exps).
        string legacy = dir.File("legacy.gguf");
        GgufRewrite.Copy(gguf, legacy, rewrite: (w, f) =>
        {
            for (int l = 0; l < 4; l++)
            {
                string kv = $"model.layers.{l}.self_attn.kv_b_proj.weight";
                w.Replace([$"blk.{l}.attn_k_b.weight", $"blk.{l}.attn_v_b.weight"], $"blk.{l}.attn_kv_b.weight", GgmlType.F32, ckpt.Info(kv).Shape, ckpt.ReadFloat32(kv));
                if (!f.Contains($"blk.{l}.ffn_gate_exps.weight")) continue;
                var gate = f.ReadFloat32($"blk.{l}.ffn_gate_exps.weight");
                var up = f.ReadFloat32($"blk.{l}.ffn_up_exps.weight");
                var fused = new float[gate.Length * 2];
                int per = 12 * 32;
                for (int e = 0; e < 16; e++)
                {
                    Array.Copy(gate, e * per, fused, 2 * e * per, per);
                    Array.Copy(up, e * per, fused, (2 * e + 1) * per, per);
                }
                w.Replace([$"blk.{l}.ffn_gate_exps.weight", $"blk.{l}.ffn_up_exps.weight"], $"blk.{l}.ffn_gate_up_exps.weight", GgmlType.F32, [16, 24, 32], fused);
            }
        });
        using var g = GgufWeights.Open(legacy);
        foreach (var name in ckpt.Names)
            Assert.Equal(ckpt.ReadFloat32(name), g.ReadFloat32(name));
    }

    [Theory]
    [InlineData("qwen2-tied")]
    [InlineData("llama3-scaled")]
    [InlineData("v3-qlora-yarn-mtp")]
    public void Gguf_to_hf_folder_gives_the_same_logits(string model)
    {
        using var dir = new TempDir();
        string src = ModelWithTokenizer(dir, model), gguf = dir.File("m.gguf"), back = dir.File("back");
        GgufConvert.ToGguf(src, gguf, GgmlType.F32);
        var report = GgufConvert.ToHf(gguf, back);
        Assert.True(report.Tokenizer);
        var a = Transformer.Load(src);
        var b = Transformer.Load(back);
        int[] ids = [0, 5, 17, 42, 9, 88, 3];
        var la = a.Forward(ids, a.NewCache(16));
        var lb = b.Forward(ids, b.NewCache(16));
        Assert.Equal(la.Length, lb.Length);
        Assert.True(la.Zip(lb, (x, y) => Math.Abs(x - y)).Max() <= 1e-5f);
        if (a.Mtp is not null) Assert.NotNull(b.Mtp);
    }

    [Fact]
    public void F16_conversion_rounds_weights_and_keeps_norms_f32()
    {
        using var dir = new TempDir();
        string src = ModelWithTokenizer(dir, "qwen2-tied"), gguf = dir.File("m.gguf");
        var report = GgufConvert.ToGguf(src, gguf, GgmlType.F16);
        using var ckpt = Checkpoint.Open(src);
        using var f = GgufFile.Open(gguf);
        Assert.Equal(1, f.GetInt("general.file_type"));
        Assert.Equal(GgmlType.F32, f.Info("blk.0.attn_norm.weight").Type);
        Assert.Equal(GgmlType.F32, f.Info("blk.0.attn_q.bias").Type);
        Assert.Equal(GgmlType.F16, f.Info("blk.0.attn_q.weight").Type);
        var w = ckpt.ReadFloat32("model.layers.0.self_attn.q_proj.weight");
        var rounded = new float[w.Length];
        Dtypes.F16ToF32(w.Select(Dtypes.F32ToF16).ToArray(), rounded);
        Assert.Equal(rounded, f.ReadFloat32("blk.0.attn_q.weight"));
        Assert.Equal(2, report.Types.Count);
    }

    [Fact]
    public void Choose_type_follows_llama_cpp_rules()
    {
        Assert.Equal(GgmlType.F32, GgufConvert.ChooseType("blk.0.attn_norm.weight", [4096], GgmlType.Q4_K));
        Assert.Equal(GgmlType.F32, GgufConvert.ChooseType("blk.0.attn_q_a_norm.weight", [1536], GgmlType.Q8_0));
        Assert.Equal(GgmlType.F32, GgufConvert.ChooseType("blk.3.ffn_gate_inp.weight", [256, 7168], GgmlType.Q8_0));
        Assert.Equal(GgmlType.F32, GgufConvert.ChooseType("blk.3.exp_probs_b.bias", [256], GgmlType.Q8_0));
        Assert.Equal(GgmlType.Q8_0, GgufConvert.ChooseType("blk.0.ffn_up.weight", [8960, 1536], GgmlType.Q8_0));
        Assert.Equal(GgmlType.F16, GgufConvert.ChooseType("blk.0.ffn_up.weight", [96, 48], GgmlType.Q8_0));
        Assert.Equal(GgmlType.Q4_K, GgufConvert.ChooseType("blk.0.ffn_up.weight", [8960, 1536], GgmlType.Q4_K));
        var fallback = GgufConvert.ChooseType("blk.1.ffn_down_exps.weight", [64, 2048, 1408], GgmlType.Q4_K);   // V2-Lite: 1408 % 256 ≠ 0
        Assert.Equal(GgmlType.Q5_0, fallback);
        Assert.Equal(GgmlType.Q8_0, GgufConvert.ChooseType("blk.1.ffn_down_exps.weight", [64, 2048, 1408], GgmlType.Q6_K));
        Assert.Equal(GgmlType.F16, GgufConvert.ChooseType("blk.0.ffn_up.weight", [96, 48], GgmlType.Q4_K));
    }

    [Fact]
    public void Tokenizer_round_trips_through_gguf()
    {
        using var dir = new TempDir();
        string src = ModelWithTokenizer(dir, "qwen2-tied"), gguf = dir.File("m.gguf"), back = dir.File("back");
        GgufConvert.ToGguf(src, gguf, GgmlType.F32);
        using (var f = GgufFile.Open(gguf))
        {
            Assert.Equal("gpt2", f.GetString("tokenizer.ggml.model"));
            Assert.Equal("qwen2", f.GetString("tokenizer.ggml.pre"));
            var tokens = f.GetArray("tokenizer.ggml.tokens")!.AsStrings();
            Assert.Equal(96, tokens.Length);
            Assert.Equal("<｜begin▁of▁sentence｜>", tokens[0]);
            Assert.Equal([3L, 3, 1], f.GetArray("tokenizer.ggml.token_type")!.AsInt64s().Take(3));
            Assert.Equal(["h i", "Ġ t", "t h", "h e"], f.GetArray("tokenizer.ggml.merges")!.AsStrings());
            Assert.Equal(0, f.GetInt("tokenizer.ggml.bos_token_id"));
            Assert.Equal(1, f.GetInt("tokenizer.ggml.eos_token_id"));
            Assert.True(f.GetBool("tokenizer.ggml.add_bos_token"));
            Assert.StartsWith("{% for m in messages %}", f.GetString("tokenizer.chat_template"));
        }
        GgufConvert.ToHf(gguf, back);
        using var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(src, "tokenizer.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(back, "tokenizer.json")));
        static Dictionary<string, int> Vocab(JsonDocument d) => d.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(Vocab(a), Vocab(b));
        Assert.Equal(["h i", "Ġ t", "t h", "h e"], b.RootElement.GetProperty("model").GetProperty("merges").EnumerateArray().Select(x => x.GetString()));
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(
            System.Text.Json.Nodes.JsonNode.Parse(a.RootElement.GetProperty("pre_tokenizer").GetProperty("pretokenizers")[0].GetRawText()),
            System.Text.Json.Nodes.JsonNode.Parse(b.RootElement.GetProperty("pre_tokenizer").GetProperty("pretokenizers")[0].GetRawText())));
        Assert.Equal(2, b.RootElement.GetProperty("added_tokens").GetArrayLength());
        using var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(back, "tokenizer_config.json")));
        Assert.Equal("<｜end▁of▁sentence｜>", cfg.RootElement.GetProperty("eos_token").GetString());
        Assert.True(cfg.RootElement.GetProperty("add_bos_token").GetBoolean());
    }

    [Theory]
    [InlineData("deepseek_v3", "deepseek-v3")]
    [InlineData("qwen3", "qwen2")]
    [InlineData("llama3_style", "llama-bpe")]
    public void Pre_tokenizer_name_is_detected_from_the_split_regexes(string fixture, string pre)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizers", fixture, "tokenizer.json")));
        Assert.Equal(pre, GgufTokenizer.DetectPre(doc.RootElement, "qwen2"));
    }

    [Fact]
    public void Mismatched_metadata_is_a_checkpoint_error_naming_the_key()
    {
        using var dir = new TempDir();
        string src = ModelWithTokenizer(dir, "qwen2-tied"), gguf = dir.File("m.gguf"), bad = dir.File("bad.gguf");
        GgufConvert.ToGguf(src, gguf, GgmlType.F32);
        GgufRewrite.Copy(gguf, bad, dropKeys: k => k == "qwen2.embedding_length");
        var e = Assert.Throws<CheckpointException>(() => GgufWeights.Open(bad));
        Assert.Equal("qwen2.embedding_length", e.Field);
        GgufRewrite.Copy(gguf, bad, rewrite: (w, f) => w.Set("general.architecture", "mamba"));
        Assert.Contains("architecture 'mamba' is not supported", Assert.Throws<CheckpointException>(() => GgufWeights.Open(bad)).Message);
    }
}
