// The scheduler: streaming order, finish reasons, usage, continuous batching (requests join and leave between
// steps), cancellation, the queue limit, context enforcement; and on the real chat-tiny model, that batched
// decoding gives exactly the tokens of the reference generator.
using SharpSeek.Engine.Sampling;
using SharpSeek.Model;

namespace SharpSeek.Engine.Tests;

public class SchedulerTests
{
    static GenerationRequest Req(ServingModel m, string user = "What is 2+2?", int max = 256, SamplingParams? s = null, string[]? stop = null, CancellationToken ct = default)
    {
        var p = m.PrepareChat([new ChatTurn("user", user)]);
        return new GenerationRequest { Prompt = p.Tokens, StartInReasoning = p.StartInReasoning, MaxTokens = max, Sampling = s ?? new SamplingParams { Temperature = 0 }, Stop = stop ?? [], Cancellation = ct };
    }

    [Fact]
    public async Task StreamsReasoningThenAnswerWithUsage()
    {
        using var m = TestModels.Scripted(TestModels.R1Script);
        var deltas = new List<GenerationDelta>();
        await foreach (var d in m.Submit(Req(m)).ReadAllAsync()) deltas.Add(d);
        Assert.Equal(TestModels.Reasoning + "\n", string.Concat(deltas.Select(d => d.Reasoning)));
        Assert.Equal(TestModels.Answer, string.Concat(deltas.Select(d => d.Content)));
        // reasoning arrives before any answer text
        int lastReasoning = deltas.FindLastIndex(d => d.Reasoning.Length > 0), firstContent = deltas.FindIndex(d => d.Content.Length > 0);
        Assert.True(lastReasoning < firstContent);
        var last = deltas[^1];
        Assert.Equal(FinishReason.Stop, last.Finish);
        Assert.Equal(TestModels.R1Script.Length, last.Usage!.CompletionTokens);
        int reasoningTokens = TestModels.Ids(TestModels.Reasoning + "\n</think>", eos: false).Length;
        Assert.Equal(reasoningTokens, last.Usage.ReasoningTokens);
        Assert.NotNull(deltas[0].TimeToFirstToken);
        Assert.Equal(deltas.Count(d => d.TokenId >= 0), last.Usage.CompletionTokens);
    }

    [Fact]
    public async Task MaxTokensEndsWithLengthAndStopStringsWithStop()
    {
        using var m = TestModels.Scripted(TestModels.R1Script);
        var r = await m.Submit(Req(m, max: 5)).CompleteAsync();
        Assert.Equal(FinishReason.Length, r.Finish);
        Assert.Equal(5, r.Usage.CompletionTokens);
        var s = await m.Submit(Req(m, stop: [" is"])).CompleteAsync();
        Assert.Equal(FinishReason.Stop, s.Finish);
        Assert.Equal("The answer", s.Content);
        Assert.Equal(TestModels.Reasoning + "\n", s.Reasoning);        // stop strings do not apply inside the reasoning
        Assert.True(s.Usage.CompletionTokens < TestModels.R1Script.Length);
    }

    [Fact]
    public async Task FeedsEachSampledTokenBackIntoTheNextStep()
    {
        var script = TestModels.R1Script;
        var fake = new ScriptedModel(TestModels.Tokenizer.VocabSize, script);
        using var m = new ServingModel("s", fake, TestModels.Tokenizer, new DeepSeekR1Format(), [TestModels.Eos]);
        await m.Submit(Req(m)).CompleteAsync();
        Assert.Equal(script[..^1], fake.FedTokens);      // every token but the final EOS goes back in
    }

    [Fact]
    public async Task RequestsJoinAndLeaveBetweenSteps()
    {
        var script = Enumerable.Repeat(TestModels.Ids("ha", eos: false)[0], 300).ToArray();
        var fake = new ScriptedModel(TestModels.Tokenizer.VocabSize, script) { StepDelay = TimeSpan.FromMilliseconds(4) };
        using var m = new ServingModel("s", fake, TestModels.Tokenizer, new DeepSeekR1Format(), [TestModels.Eos],
            new EngineOptions { Scheduler = new SchedulerOptions { MaxBatch = 8, ContextLength = 4096 } });
        const int N = 120;                                          // ≥ 0.5 s per request: the late four surely overlap
        var first = Enumerable.Range(0, 4).Select(_ => m.Submit(Req(m, max: N)).CompleteAsync()).ToList();
        while (m.Scheduler.Stats.Steps < 5) await Task.Delay(1);
        var second = Enumerable.Range(0, 4).Select(_ => m.Submit(Req(m, max: N)).CompleteAsync()).ToList();
        var all = await Task.WhenAll(first.Concat(second));
        Assert.All(all, r => Assert.Equal(FinishReason.Length, r.Finish));
        Assert.All(all, r => Assert.Equal(N, r.Tokens.Count));
        var sizes = fake.BatchSizes;
        Assert.True(sizes[0] <= 4);
        Assert.True(sizes.Contains(8), $"batch sizes {string.Join(",", sizes)}");   // the late four joined the running four
        Assert.Equal(8 * (N - 1), sizes.Sum());                    // one prefill + (N-1) decode steps each
        Assert.True(sizes[^1] < 8);                                // and the first four left before the others
    }

    [Fact]
    public async Task LongPromptsArePrefilledInChunksWhileOthersKeepDecoding()
    {
        var script = Enumerable.Repeat(TestModels.Ids("ha", eos: false)[0], 400).ToArray();
        var fake = new ScriptedModel(TestModels.Tokenizer.VocabSize, script) { StepDelay = TimeSpan.FromMilliseconds(1) };
        using var m = new ServingModel("s", fake, TestModels.Tokenizer, new DeepSeekR1Format(), [TestModels.Eos],
            new EngineOptions { Scheduler = new SchedulerOptions { MaxBatch = 4, ContextLength = 4096, PrefillChunk = 8 } });
        var running = m.Submit(Req(m, "hi", max: 300));
        while (m.Scheduler.Stats.Steps < 3) await Task.Delay(1);
        int decodedBefore = fake.FedTokens.Count;
        var longPrompt = string.Concat(Enumerable.Repeat("hello there ", 30));
        var req = Req(m, longPrompt, max: 5);
        var late = await m.Submit(req).CompleteAsync();
        Assert.Equal(5, late.Tokens.Count);
        Assert.Equal(script[..5], late.Tokens);                      // chunks reassembled into the right positions
        List<int> chunks;
        lock (fake) chunks = [.. fake.PromptChunks];
        Assert.All(chunks, c => Assert.True(c <= 8));
        int longChunks = (req.Prompt.Length + 7) / 8;
        Assert.True(chunks.Count >= 1 + longChunks, $"chunks {string.Join(",", chunks)}");
        // the running sequence got a token in every step the long prompt was prefilling
        Assert.True(fake.FedTokens.Count - decodedBefore >= longChunks, $"{fake.FedTokens.Count - decodedBefore} decodes during {longChunks} chunks");
        Assert.Equal(FinishReason.Length, (await running.CompleteAsync()).Finish);
    }

    [Fact]
    public async Task CancellationFreesTheSlotForTheNextRequest()
    {
        var loop = Enumerable.Repeat(TestModels.Ids("ha", eos: false)[0], 10).ToArray();
        var fake = new ScriptedModel(TestModels.Tokenizer.VocabSize, loop, context: 200_000) { StepDelay = TimeSpan.FromMilliseconds(1) };
        using var m = new ServingModel("s", fake, TestModels.Tokenizer, new DeepSeekR1Format(), [TestModels.Eos],
            new EngineOptions { Scheduler = new SchedulerOptions { MaxBatch = 1, ContextLength = 100_000 } });
        using var cts = new CancellationTokenSource();
        var endless = m.Submit(Req(m, max: 90_000, ct: cts.Token));
        var next = m.Submit(Req(m, max: 3));
        await foreach (var d in endless.ReadAllAsync()) if (d.Usage is null && m.Scheduler.Stats.DecodedTokens > 20) { cts.Cancel(); break; }
        var r = await next.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(FinishReason.Length, r.Finish);
        var cancelled = await endless.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(FinishReason.Cancelled, cancelled.Finish);
    }

    /// <summary>A one-slot model whose slot is taken by a long request (cancel cts to end it).</summary>
    static async Task<(ServingModel Model, GenerationHandle Running)> OneSlotTaken(int maxQueue, CancellationToken ct)
    {
        var fake = new ScriptedModel(TestModels.Tokenizer.VocabSize, [TestModels.Ids("ha", eos: false)[0]]) { StepDelay = TimeSpan.FromMilliseconds(2) };
        var m = new ServingModel("s", fake, TestModels.Tokenizer, new DeepSeekR1Format(), [TestModels.Eos],
            new EngineOptions { Scheduler = new SchedulerOptions { MaxBatch = 1, MaxQueue = maxQueue, ContextLength = 4096 } });
        var running = m.Submit(Req(m, max: 3000, ct: ct));
        while (m.Scheduler.ActiveCount == 0) await Task.Delay(1);
        return (m, running);
    }

    [Fact]
    public async Task AFullQueueRefusesWithEngineBusy()
    {
        using var cts = new CancellationTokenSource();
        var (m, running) = await OneSlotTaken(maxQueue: 1, cts.Token);
        using var _ = m;
        var queued = m.Submit(Req(m, max: 2));
        Assert.Throws<EngineBusyException>(() => m.Submit(Req(m, max: 2)));
        cts.Cancel();
        Assert.Equal(FinishReason.Length, (await queued.CompleteAsync()).Finish);
        Assert.Equal(FinishReason.Cancelled, (await running.CompleteAsync()).Finish);
    }

    [Fact]
    public async Task SubmitAllQueuesEveryRequestOrNone()
    {
        using var cts = new CancellationTokenSource();
        var (m, running) = await OneSlotTaken(maxQueue: 2, cts.Token);
        using var _ = m;
        Assert.Throws<EngineBusyException>(() => m.SubmitAll([Req(m, max: 2), Req(m, max: 2), Req(m, max: 2)]));
        Assert.Equal(0, m.Scheduler.QueueDepth);                       // none of the three was queued
        Assert.Throws<ParameterException>(() => m.SubmitAll([Req(m, max: 2), Req(m, max: 0)]));
        Assert.Equal(0, m.Scheduler.QueueDepth);                       // a bad request refuses its batchmates too
        var pair = m.SubmitAll([Req(m, max: 2), Req(m, max: 2)]);
        Assert.Equal(2, m.Scheduler.QueueDepth);
        cts.Cancel();
        foreach (var h in pair) Assert.Equal(FinishReason.Length, (await h.CompleteAsync()).Finish);
        Assert.Equal(FinishReason.Cancelled, (await running.CompleteAsync()).Finish);
    }

    [Fact]
    public void ContextLengthIsEnforced()
    {
        using var m = TestModels.Scripted(TestModels.R1Script, new SchedulerOptions { ContextLength = 64 });
        var longPrompt = string.Concat(Enumerable.Repeat("hello there ", 40));
        Assert.Equal("messages", Assert.Throws<ContextLengthException>(() => m.Submit(Req(m, longPrompt, max: 1))).Param);
        Assert.Equal("max_tokens", Assert.Throws<ContextLengthException>(() => m.Submit(Req(m, max: 60))).Param);
        Assert.Equal("max_tokens", Assert.Throws<ParameterException>(() => m.Submit(Req(m, max: 0))).Param);
        // the default max_tokens fits what is left of the context
        var p = m.PrepareChat([new ChatTurn("user", "hi")]);
        Assert.Equal(64 - p.Tokens.Length, m.ResolveMaxTokens(null, p.Tokens.Length));
    }

    [Theory]
    [InlineData(false, 512)]
    [InlineData(true, 512)]
    [InlineData(false, 5)]                 // prompts prefilled 5 tokens per step, mixed with other sequences' decodes
    public async Task RealModelBatchedDecodingMatchesTheReferenceGenerator(bool reference, int prefillChunk)
    {
        using var m = TestModels.ChatTiny(new SchedulerOptions { ContextLength = 1024, PrefillChunk = prefillChunk }, reference: reference);
        var transformer = Transformer.Load(TestModels.ChatTinyDir, new LoadOptions { LoadMtp = false });
        var prompts = new[] { "Hello!", "What is the capital of France?", "2+2", "Tell me a story." };
        var reqs = prompts.Select(p => Req(m, p, max: 12)).ToArray();
        var results = await Task.WhenAll(m.SubmitAll(reqs).Select(h => h.CompleteAsync()));   // admitted in one step
        for (int i = 0; i < prompts.Length; i++)
        {
            var oracle = Generator.Generate(transformer, reqs[i].Prompt, 12, new SamplingOptions { Temperature = 0 }, new HashSet<int> { TestModels.Eos }).ToList();
            Assert.Equal(oracle, results[i].Tokens);
        }
        // sequences shared decode steps (for how long depends on EOS)
        Assert.True(m.Scheduler.Stats.MaxDecodeBatch >= 2, $"max decode batch {m.Scheduler.Stats.MaxDecodeBatch}");
    }

    [Fact]
    public async Task RealModelSeededSamplingDoesNotDependOnBatchmates()
    {
        using var m = TestModels.ChatTiny();
        var s = new SamplingParams { Temperature = 1, TopP = 0.9f, Seed = 42 };
        var alone = await m.Submit(Req(m, "Hi", max: 16, s: s)).CompleteAsync();
        var crowd = await Task.WhenAll(new[] { s, s with { Seed = 1 }, s with { Seed = 2 } }.Select(x => m.Submit(Req(m, "Hi", max: 16, s: x)).CompleteAsync()));
        Assert.Equal(alone.Tokens, crowd[0].Tokens);
        Assert.NotEqual(crowd[1].Tokens, crowd[2].Tokens);
    }
}
