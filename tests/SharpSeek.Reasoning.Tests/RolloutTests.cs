// Batched sampling on the fast path with the chat-tiny fixture (a random-weight V3 model with R1's template):
// deterministic, independent of batching, greedy equal to the model's own greedy decoder, clear context errors.
using SharpSeek.Model.Inference;
using SharpSeek.Reasoning;
using SharpSeek.Reasoning.Tasks;
using SharpSeek.Tests;
using SharpSeek.Tokenizers;

namespace SharpSeek.Reasoning.Tests;

public class RolloutTests
{
    static InferenceModel Load() => InferenceModel.Load(Fixtures.Path("models", "chat-tiny"), new InferenceOptions { Threads = 1, MaxContext = 128 });

    [Fact]
    public void Samples_do_not_depend_on_batching()
    {
        using var m = Load();
        var tok = Tokenizer.Load(Fixtures.Path("models", "chat-tiny"));
        var gen = new ModelGenerator(m, tok);
        var prompts = new[] { gen.EncodePrompt("Compute 12 + 7."), gen.EncodePrompt("Solve for x: 3x + 7 = 22.") };
        var sampling = new SamplingSettings(1.0f, 0.95f, 12, Seed: 5);
        var wide = Rollout.Generate(m, prompts, 3, sampling, gen.StopIds, maxParallel: 6);
        var narrow = Rollout.Generate(m, prompts, 3, sampling, gen.StopIds, maxParallel: 2);
        for (int p = 0; p < 2; p++)
            for (int s = 0; s < 3; s++)
            {
                Assert.Equal(wide[p][s].Tokens, narrow[p][s].Tokens);
                Assert.InRange(wide[p][s].Tokens.Length, 0, 12);
                Assert.Equal(wide[p][s].Finished, wide[p][s].Tokens.Length < 12);
            }
        Assert.True(wide[0].Select(s => string.Join(",", s.Tokens)).Distinct().Count() > 1, "temperature 1 should give different samples");
    }

    [Fact]
    public void Greedy_equals_the_model_greedy_decoder()
    {
        using var m = Load();
        var tok = Tokenizer.Load(Fixtures.Path("models", "chat-tiny"));
        var gen = new ModelGenerator(m, tok);
        var prompt = gen.EncodePrompt("Compute 12 + 7.");
        Assert.EndsWith("<｜Assistant｜><think>\n", R1Format.RenderPrompt(tok, "Compute 12 + 7."));
        var ours = Rollout.Generate(m, [prompt], 2, SamplingSettings.Greedy(10), [])[0];
        var reference = Speculative.Greedy(m, prompt, 10);
        Assert.Equal(reference, ours[0].Tokens);
        Assert.Equal(ours[0].Tokens, ours[1].Tokens);
    }

    [Fact]
    public void Evaluator_runs_on_the_model()
    {
        using var m = Load();
        var gen = new ModelGenerator(m, Tokenizer.Load(Fixtures.Path("models", "chat-tiny")));
        var problems = new ArithmeticTask().Generate(Split.Test, 3, 1);
        var report = new Evaluator(gen.Generate, gen.CountTokens).Run(problems, 2, SamplingSettings.R1Eval(8));
        Assert.Equal(3, report.N);
        Assert.Equal(0, report.PassAt1);          // random weights
        Assert.InRange(report.MeanResponseLength, 0, 8);          // generated tokens, not a re-encoding of the text
    }

    [Fact]
    public void Prompts_longer_than_the_context_are_rejected()
    {
        using var m = Load();
        var e = Assert.Throws<ArgumentException>(() => Rollout.Generate(m, [new int[128]], 1, SamplingSettings.Greedy(4), []));
        Assert.Contains("context is 128", e.Message);
        // a prompt that fits but leaves less room than MaxTokens is generated up to the context
        var r = Rollout.Generate(m, [Enumerable.Repeat(5, 125).ToArray()], 1, SamplingSettings.Greedy(10), []);
        Assert.Equal(3, r[0][0].Tokens.Length);
        Assert.False(r[0][0].Finished);
    }
}
