// A checkpoint that does not fit its config gets an error naming the tensor, its shape, the expected shape and the config key.
using System.Text.Json.Nodes;
using SharpSeek.Formats;
using SharpSeek.Tests;
using Xunit;

namespace SharpSeek.Model.Tests;

public class LoaderErrorTests
{
    // Copies a fixture to a temp folder and rewrites one config key.
    static string WithConfig(string model, Action<JsonObject> edit)
    {
        var dir = Directory.CreateTempSubdirectory("sharpseek-").FullName;
        foreach (var f in Directory.GetFiles(Fixtures.Path("models", model)))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        edit(cfg);
        File.WriteAllText(Path.Combine(dir, "config.json"), cfg.ToJsonString());
        return dir;
    }

    [Fact]
    public void Wrong_expert_count_names_tensor_shapes_and_key()
    {
        var dir = WithConfig("v3-qlora-yarn-mtp", c => c["n_routed_experts"] = c["n_routed_experts"]!.GetValue<int>() * 2);
        var e = Assert.Throws<ShapeMismatchException>(() => Transformer.Load(dir));
        Assert.Contains("model.layers.1.mlp.gate.weight", e.Message);
        Assert.Contains("n_routed_experts", e.Message);
        Assert.Contains("config expects", e.Message);
    }

    [Fact]
    public void Wrong_hidden_size_is_caught_at_the_embedding()
    {
        var dir = WithConfig("qwen2-tied", c => c["vocab_size"] = c["vocab_size"]!.GetValue<int>() + 1);
        var e = Assert.Throws<ShapeMismatchException>(() => Transformer.Load(dir));
        Assert.Contains("model.embed_tokens.weight", e.Message);
        Assert.Contains("vocab_size", e.Message);
    }

    [Fact]
    public void Missing_tensor_names_it()
    {
        var dir = WithConfig("llama3-scaled", c => c["num_hidden_layers"] = c["num_hidden_layers"]!.GetValue<int>() + 1);
        var e = Assert.Throws<CheckpointException>(() => Transformer.Load(dir));
        Assert.Contains("not found", e.Message);
        Assert.Contains("model.layers.", e.Message);
    }

    [Fact]
    public void Untying_a_tied_model_asks_for_lm_head()
    {
        var dir = WithConfig("qwen2-tied", c => c["tie_word_embeddings"] = false);
        var e = Assert.Throws<CheckpointException>(() => Transformer.Load(dir));
        Assert.Contains("lm_head.weight", e.Message);
    }

    [Fact]
    public void Missing_config_is_a_config_error()
    {
        var dir = WithConfig("qwen2-tied", _ => { });
        File.Delete(Path.Combine(dir, "config.json"));
        Assert.Throws<ConfigException>(() => Transformer.Load(dir));
    }

    [Fact]
    public void Out_of_range_ids_and_context_overflow_are_argument_errors()
    {
        var m = Transformer.Load(Fixtures.Path("models", "qwen2-tied"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => m.Forward([m.Config.VocabSize], m.NewCache(4)));
        Assert.Contains("vocab_size", e.Message);
        var cache = m.NewCache(2);
        Assert.Throws<ArgumentException>(() => m.Forward([1, 2, 3], cache));
        Assert.Equal(0, cache.Length);
    }
}
