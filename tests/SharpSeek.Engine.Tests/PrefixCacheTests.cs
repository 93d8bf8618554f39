// Context caching: KV rows exported and imported exactly (f32 and f16 fast path, fp32 reference); greedy output with a
// prefix-cache hit is token-identical to the output without one (shared system prompt, multi-turn conversation,
// a prompt equal to a cached prefix, a running request's prefix, blocks read back from disk); hit counts are whole
// blocks and reach the HTTP usage (OpenAI SDK and raw JSON); the store itself: LRU under a byte budget, a bounded
// disk tier, bad spill files, hash collisions.
using System.ClientModel;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using SharpSeek.Engine.Sampling;
using SharpSeek.Model.Inference;
using SharpSeek.Server;

namespace SharpSeek.Engine.Tests;

public class PrefixCacheTests
{
    const int B = 64;
    const string System = "You are SharpSeek, a careful assistant. Answer briefly and precisely, show your reasoning inside think tags, " +
        "never invent facts, and when a question is ambiguous say which reading you chose. The document below is the only source you may use. " +
        "Document: The river Aare rises in the Bernese Alps, flows through Bern and joins the Rhine at Koblenz; it is the longest river entirely in Switzerland.";

    static ServingModel Tiny(bool reference = false, long cacheBytes = 256L << 20, string? dir = null, int prefillChunk = 512) =>
        TestModels.ChatTiny(new SchedulerOptions { ContextLength = 1024, PrefixCacheBytes = cacheBytes, PrefixCacheDir = dir, PrefillChunk = prefillChunk }, reference: reference);

    static GenerationRequest Req(PreparedPrompt p, int max = 16, bool ignoreEos = false) =>
        new() { Prompt = p.Tokens, StartInReasoning = p.StartInReasoning, MaxTokens = max, Sampling = new SamplingParams { Temperature = 0 }, IgnoreEos = ignoreEos };

    static PreparedPrompt Chat(ServingModel m, params string[] userAssistantUser)
    {
        var turns = new List<ChatTurn> { new("system", System) };
        for (int i = 0; i < userAssistantUser.Length; i++) turns.Add(new(i % 2 == 0 ? "user" : "assistant", userAssistantUser[i]));
        return m.PrepareChat(turns);
    }

    /// <summary>Tokens a prompt should take from the cache after the earlier prompts were stored: whole blocks of the longest common prefix, leaving one token to run.</summary>
    static int ExpectedHit(int[] prompt, params int[][] earlier) =>
        earlier.Select(e => Math.Min(Math.Min(CommonPrefix(e, prompt), e.Length), prompt.Length - 1) / B * B).DefaultIfEmpty(0).Max();

    static int CommonPrefix(int[] a, int[] b) => a.AsSpan().CommonPrefixLength(b);

    static Task<GenerationResult> Run(ServingModel m, GenerationRequest r) => m.Submit(r).CompleteAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FastPathKvRowsRoundTripExactly(bool f16)
    {
        using var step = new FastStepModel(InferenceModel.Load(TestModels.ChatTinyDir, new InferenceOptions { F16Cache = f16, LoadMtp = false, Threads = 1, MaxContext = 1024 }));
        Assert.Equal((f16 ? "f16" : "f32") + " 32/8,32/8", step.KvLayout);     // absorbed MLA: latent 32 + rope key 8 per layer
        AssertRoundTrip(step, bytesPerToken: 2 * (32 + 8) * (f16 ? 2 : 4));
    }

    [Fact]
    public void ReferenceKvRowsRoundTripExactly()
    {
        var step = new TransformerStepModel(SharpSeek.Model.Transformer.Load(TestModels.ChatTinyDir, new SharpSeek.Model.LoadOptions { LoadMtp = false }));
        AssertRoundTrip(step, bytesPerToken: null);
    }

    /// <summary>A cache that imported rows [0, 128) of another continues with bit-identical logits.</summary>
    static void AssertRoundTrip(IStepModel step, int? bytesPerToken)
    {
        var prompt = Enumerable.Range(0, 131).Select(i => (i * 37 + 11) % 500).ToArray();
        int v = step.VocabSize;
        var a = step.NewCache(200);
        float[] la = new float[v], lb = new float[v];
        step.Step([new StepItem(prompt.AsMemory(0, 128), a, Prompt: true)], la);
        var block = step.ExportKv(a, 64, 64);
        if (bytesPerToken is int bpt) Assert.Equal(64 * bpt, block.Data.Length);
        step.Step([new StepItem(prompt.AsMemory(128), a, Prompt: true)], la);

        var b = step.NewCache(200);
        step.ImportKv(b, 0, step.ExportKv(a, 0, 64));
        step.ImportKv(b, 64, block);
        Assert.Equal(128, b.Length);
        step.Step([new StepItem(prompt.AsMemory(128), b, Prompt: true)], lb);
        Assert.Equal(la, lb);
        Assert.Throws<ArgumentException>(() => step.ImportKv(b, 0, block with { Layout = "f64 1/1" }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SharedSystemPromptHitGivesIdenticalGreedyOutput(bool reference)
    {
        using var cached = Tiny(reference);
        using var plain = Tiny(reference, cacheBytes: 0);
        var p1 = Chat(cached, "Which river flows through Bern?");
        var p2 = Chat(cached, "Where does the Aare end?");
        Assert.True(CommonPrefix(p1.Tokens, p2.Tokens) >= 2 * B, "the system prompt should span at least two blocks");

        var r1 = await Run(cached, Req(p1));
        var r2 = await Run(cached, Req(p2));
        Assert.Equal(0, r1.Usage.CachedTokens);
        Assert.Equal(ExpectedHit(p2.Tokens, p1.Tokens), r2.Usage.CachedTokens);
        Assert.True(r2.Usage.CachedTokens >= 2 * B);
        Assert.Equal((await Run(plain, Req(p1))).Tokens, r1.Tokens);
        Assert.Equal((await Run(plain, Req(p2))).Tokens, r2.Tokens);
        Assert.Equal(0, (await Run(plain, Req(p2))).Usage.CachedTokens);
        var stats = cached.Scheduler.PrefixCache!.Stats;
        Assert.Equal(1, stats.Hits);
        Assert.Equal(r2.Usage.CachedTokens, stats.HitTokens);
        Assert.Equal(p1.Tokens.Length + p2.Tokens.Length - r2.Usage.CachedTokens, stats.MissTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MultiTurnConversationReusesEarlierTurns(bool reference)
    {
        using var cached = Tiny(reference);
        using var plain = Tiny(reference, cacheBytes: 0);
        string[] turns = ["Which river flows through Bern?", "It is the Aare, which rises in the Bernese Alps.", "And where does it join the Rhine?",
            "At Koblenz, in the canton of Aargau.", "How long is it?"];
        var earlier = new List<int[]>();
        for (int n = 1; n <= turns.Length; n += 2)
        {
            var p = Chat(cached, turns[..n]);
            var r = await Run(cached, Req(p));
            Assert.Equal(ExpectedHit(p.Tokens, [.. earlier]), r.Usage.CachedTokens);
            if (n > 1) Assert.True(r.Usage.CachedTokens >= earlier[^1].Length / B * B - B, $"turn {n / 2 + 1} reused {r.Usage.CachedTokens} of {p.Tokens.Length}");
            Assert.Equal((await Run(plain, Req(p))).Tokens, r.Tokens);
            earlier.Add(p.Tokens);
        }
    }

    [Fact]
    public async Task PromptEqualToACachedPrefixStillRunsItsLastBlock()
    {
        using var cached = Tiny();
        using var plain = Tiny(cacheBytes: 0);
        var prompt = cached.PrepareText(System + " " + System).Tokens[..(2 * B)];
        var req = new GenerationRequest { Prompt = prompt, MaxTokens = 12, SplitReasoning = false, Sampling = new SamplingParams { Temperature = 0 } };
        var first = await Run(cached, req);
        var again = await Run(cached, req);
        Assert.Equal(0, first.Usage.CachedTokens);
        Assert.Equal(B, again.Usage.CachedTokens);       // all 128 are cached, but the last block runs to give the first token's logits
        Assert.Equal(first.Tokens, again.Tokens);
        Assert.Equal((await Run(plain, req)).Tokens, again.Tokens);
    }

    [Fact]
    public async Task ARunningRequestsPrefilledPrefixIsSharedBeforeItFinishes()
    {
        using var cached = Tiny(prefillChunk: 64);
        using var plain = Tiny(cacheBytes: 0);
        var p1 = Chat(cached, "Which river flows through Bern?");
        var p2 = Chat(cached, "Where does the Aare end?");
        var long1 = cached.Submit(Req(p1, max: 400, ignoreEos: true));
        await using (var e = long1.ReadAllAsync().GetAsyncEnumerator()) Assert.True(await e.MoveNextAsync());   // first token: the prompt is prefilled
        var r2 = await Run(cached, Req(p2));
        Assert.Equal(ExpectedHit(p2.Tokens, p1.Tokens), r2.Usage.CachedTokens);
        Assert.True(r2.Usage.CachedTokens > 0);
        Assert.False(long1.Reader.Completion.IsCompleted, "the first request should still be running");
        Assert.Equal((await Run(plain, Req(p2))).Tokens, r2.Tokens);
    }

    [Fact]
    public async Task DiskSpillRoundTripGivesIdenticalOutput()
    {
        string dir = Directory.CreateTempSubdirectory("sharpseek-prefix-").FullName;
        try
        {
            using var plain = Tiny(cacheBytes: 0);
            var p1 = Chat(plain, "Which river flows through Bern?");
            var p2 = Chat(plain, "Where does the Aare end?");
            var expected = (await Run(plain, Req(p2))).Tokens;
            using (var spill = Tiny(cacheBytes: 1, dir: dir))                // 1 byte: every block goes straight to disk
            {
                await Run(spill, Req(p1));
                var r2 = await Run(spill, Req(p2));
                Assert.Equal(ExpectedHit(p2.Tokens, p1.Tokens), r2.Usage.CachedTokens);
                Assert.True(r2.Usage.CachedTokens > 0);
                Assert.Equal(expected, r2.Tokens);
                var s = spill.Scheduler.PrefixCache!.Stats;
                Assert.Equal(0, s.MemoryBytes);
                Assert.True(s.DiskReads >= r2.Usage.CachedTokens / B && s.DiskBlocks > 0 && s.DiskErrors == 0, s.ToString());
            }
            using (var restarted = Tiny(dir: dir))                            // a new process finds the files of the old one
            {
                Assert.True(restarted.Scheduler.PrefixCache!.Stats.DiskBlocks > 0);
                var r2 = await Run(restarted, Req(p2));
                Assert.Equal(ExpectedHit(p2.Tokens, p1.Tokens, p2.Tokens), r2.Usage.CachedTokens);     // p2's own blocks are on disk now
                Assert.Equal(expected, r2.Tokens);
            }
            Assert.Single(Directory.GetDirectories(dir));                     // one folder per model (id + weights stamp)
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task HttpUsageReportsBlockAlignedHitsThroughTheOpenAiSdk()
    {
        using var tiny = TestModels.ChatTiny(new SchedulerOptions { ContextLength = 1024 }, defaultMaxTokens: 8);
        await using var server = SharpSeekServer.Create(new ServerOptions { Port = 0, LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning }, tiny);
        await server.StartAsync();
        var chat = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") }).GetChatClient("chat-tiny");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8 };
        string[] turns = ["Which river flows through Bern, the Swiss capital, and where does it rise? Please answer from the document and say which part of it you used, " +
            "and tell me as well whether the river is navigable there.", "The Aare.", "Where does it end?"];
        var p1 = Chat(tiny, turns[0]).Tokens;
        var p2 = Chat(tiny, "Where does the Aare end?").Tokens;
        var p3 = Chat(tiny, turns).Tokens;

        var u1 = (await chat.CompleteChatAsync([new SystemChatMessage(System), new UserChatMessage(turns[0])], options)).Value.Usage;
        Assert.Equal(p1.Length, u1.InputTokenCount);
        Assert.Equal(0, u1.InputTokenDetails.CachedTokenCount);
        var u2 = (await chat.CompleteChatAsync([new SystemChatMessage(System), new UserChatMessage("Where does the Aare end?")], options)).Value.Usage;
        Assert.Equal(ExpectedHit(p2, p1), u2.InputTokenDetails.CachedTokenCount);
        Assert.True(u2.InputTokenDetails.CachedTokenCount >= 2 * B);
        var u3 = (await chat.CompleteChatAsync([new SystemChatMessage(System), new UserChatMessage(turns[0]), new AssistantChatMessage(turns[1]), new UserChatMessage(turns[2])], options)).Value.Usage;
        Assert.Equal(p3.Length, u3.InputTokenCount);
        Assert.Equal(ExpectedHit(p3, p1, p2), u3.InputTokenDetails.CachedTokenCount);
        Assert.True(u3.InputTokenDetails.CachedTokenCount >= p1.Length / B * B - B, "the second turn reuses the first turn's blocks");
        Assert.True(u3.InputTokenDetails.CachedTokenCount > u2.InputTokenDetails.CachedTokenCount);
    }

    [Fact]
    public async Task RawUsageJsonHasDeepSeekAndOpenAiCacheFields()
    {
        using var tiny = TestModels.ChatTiny(new SchedulerOptions { ContextLength = 1024 }, defaultMaxTokens: 4);
        await using var server = SharpSeekServer.Create(new ServerOptions { Port = 0, LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning }, tiny);
        await server.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Address };
        var messages = new object[] { new { role = "system", content = System }, new { role = "user", content = "Hi" } };
        int prompt = Chat(tiny, "Hi").Tokens.Length, hit = (prompt - 1) / B * B;

        void Check(JsonElement usage, int cached)
        {
            Assert.Equal(prompt, usage.GetProperty("prompt_tokens").GetInt32());
            Assert.Equal(cached, usage.GetProperty("prompt_cache_hit_tokens").GetInt32());
            Assert.Equal(prompt - cached, usage.GetProperty("prompt_cache_miss_tokens").GetInt32());
            Assert.Equal(cached, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        }
        async Task<JsonElement> Post(string path, object body) =>
            (await (await http.PostAsJsonAsync(path, body)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("usage");
        async Task<JsonElement> PostStream(string path, object body)
        {
            var text = await (await http.PostAsJsonAsync(path, body)).Content.ReadAsStringAsync();
            var events = text.Split('\n').Where(l => l.StartsWith("data: {")).Select(l => JsonDocument.Parse(l[6..]).RootElement).ToList();
            return events.Last(e => e.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object).GetProperty("usage");
        }

        Check(await Post("/v1/chat/completions", new { model = "chat-tiny", messages, temperature = 0 }), 0);
        Check(await Post("/v1/chat/completions", new { model = "chat-tiny", messages, temperature = 0 }), hit);
        Check(await PostStream("/v1/chat/completions", new { model = "chat-tiny", messages, temperature = 0, stream = true, stream_options = new { include_usage = true } }), hit);

        var ids = Chat(tiny, "Hi").Tokens;               // the chat prompt's tokens as a raw completion prompt
        Check(await Post("/v1/completions", new { model = "chat-tiny", prompt = ids, max_tokens = 4, temperature = 0 }), hit);
        Check(await PostStream("/v1/completions", new { model = "chat-tiny", prompt = ids, max_tokens = 4, temperature = 0, stream = true, stream_options = new { include_usage = true } }), hit);
    }

    // ---- the store alone: blocks of 4 tokens whose rows are 100 bytes ----

    static readonly Func<int, int, KvBlock> FakeRows = (start, n) => new KvBlock(n, "test", Enumerable.Repeat((byte)start, 100).ToArray());
    const long EntryBytes = 100 + 4 * 4;                 // rows + the prefix tokens of a first block

    [Fact]
    public void LruEvictsTheLeastRecentlyUsedBlockUnderAByteBudget()
    {
        var c = new PrefixCache("test", blockTokens: 4, memoryBudget: 2 * EntryBytes);
        int[] a = [1, 2, 3, 4, 9], b = [5, 6, 7, 8, 9], d = [10, 11, 12, 13, 9];
        Assert.Equal(1, c.Store(a, 4, FakeRows));
        Assert.Equal(0, c.Store(a, 4, FakeRows));       // already there
        c.Store(b, 4, FakeRows);
        Assert.Single(c.Lookup(a, 4));                    // a is now the most recent
        c.Store(d, 4, FakeRows);                          // over budget: b goes
        Assert.Empty(c.Lookup(b, 4));
        Assert.Single(c.Lookup(a, 4));
        Assert.Single(c.Lookup(d, 4));
        var s = c.Stats;
        Assert.Equal((1L, 2L * EntryBytes, 2), (s.Evictions, s.MemoryBytes, s.MemoryBlocks));
        Assert.Equal((4L, 3L, 12L), (s.Lookups, s.Hits, s.HitTokens));
        Assert.Empty(c.Lookup(a, 3));                     // never more than maxTokens
    }

    [Fact]
    public void ABlockIsFoundOnlyUnderItsOwnPrefixAndLeavesGoBeforeTheirParents()
    {
        var c = new PrefixCache("test", blockTokens: 4, memoryBudget: 1 << 20);
        int[] x = [1, 2, 3, 4, 5, 6, 7, 8], y = [9, 9, 9, 9, 5, 6, 7, 8];
        Assert.Equal(2, c.Store(x, 8, FakeRows));
        Assert.Empty(c.Lookup(y, 8));                     // same second block, other first block: no hit
        var blocks = c.Lookup(x, 8);
        Assert.Equal([0, 4], blocks.Select(k => (int)k.Data[0]));
        var small = new PrefixCache("test", blockTokens: 4, memoryBudget: EntryBytes + 100 + 4 * 8);
        small.Store(x, 8, FakeRows);
        small.Store(y, 4, FakeRows);                      // evicts x's second block (a leaf), not its first
        Assert.Single(small.Lookup(x, 8));
    }

    [Fact]
    public void AHashCollisionIsAMissNeverAWrongHit()
    {
        var c = new PrefixCache("test", blockTokens: 4, memoryBudget: 1 << 20) { Hash = (_, _) => 42 };     // every block collides
        int[] a = [1, 2, 3, 4, 5, 6, 7, 8], b = [8, 7, 6, 5, 5, 6, 7, 8];
        c.Store(a, 4, FakeRows);
        Assert.Empty(c.Lookup(b, 8));
        Assert.Single(c.Lookup(a, 8));
        c.Store(b, 8, FakeRows);                          // both of b's blocks land on key 42: each replaces the one before
        Assert.Empty(c.Lookup(a, 8));
        Assert.Empty(c.Lookup(b, 8));                     // fewer hits, never a wrong one
    }

    [Fact]
    public void DiskTierSpillsReadsBackAndStaysWithinItsBudget()
    {
        string dir = Directory.CreateTempSubdirectory("sharpseek-prefix-").FullName;
        try
        {
            long file = 32 + 4 * 4 + 100 + 8;             // header + tokens + rows + checksum
            var c = new PrefixCache("test", blockTokens: 4, memoryBudget: EntryBytes, directory: dir, diskBudget: 2 * file);
            int[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], d = [9, 10, 11, 12];
            c.Store(a, 4, FakeRows);
            c.Store(b, 4, FakeRows);                      // a → disk
            c.Store(d, 4, FakeRows);                      // b → disk
            Assert.Equal(2, Directory.GetFiles(dir, "*.kv").Length);
            Assert.Single(c.Lookup([.. a, 0], 4));        // a read back from disk, d → disk
            c.Store([13, 14, 15, 16], 4, FakeRows);       // a → disk: three files, over budget, so b (least recent) goes
            Assert.Equal(2, Directory.GetFiles(dir, "*.kv").Length);
            var s = c.Stats;
            Assert.Equal((1L, 1L, 2, 2L * file), (s.DiskReads, s.DiskEvictions, s.DiskBlocks, s.DiskBytes));
            Assert.Empty(c.Lookup([.. b, 0], 4));
            Assert.Single(new PrefixCache("test", blockTokens: 4, memoryBudget: EntryBytes, directory: dir).Lookup([.. d, 0], 4));   // a later process
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("foreign")]
    [InlineData("empty")]
    public void ABadSpillFileIsAMissAndIsDeleted(string damage)
    {
        string dir = Directory.CreateTempSubdirectory("sharpseek-prefix-").FullName;
        try
        {
            int[] a = [1, 2, 3, 4, 5];
            new PrefixCache("test", blockTokens: 4, memoryBudget: 1, directory: dir).Store(a, 4, FakeRows);
            string path = Directory.GetFiles(dir, "*.kv").Single();
            var bytes = File.ReadAllBytes(path);
            if (damage == "truncated") bytes = bytes[..^9];
            if (damage == "flipped") bytes[60] ^= 1;         // a byte of the rows
            if (damage == "empty") bytes = [];
            if (damage == "foreign")                          // a valid file of another layout, under this one's name
            {
                string other = Directory.CreateTempSubdirectory("sharpseek-prefix-").FullName;
                new PrefixCache("f16 1/1", blockTokens: 4, memoryBudget: 1, directory: other).Store(a, 4, FakeRows);
                bytes = File.ReadAllBytes(Directory.GetFiles(other, "*.kv").Single());
                Directory.Delete(other, recursive: true);
            }
            File.WriteAllBytes(path, bytes);

            var reader = new PrefixCache("test", blockTokens: 4, memoryBudget: 1 << 20, directory: dir);
            Assert.Equal(1, reader.Stats.DiskBlocks);
            Assert.Empty(reader.Lookup(a, 4));
            Assert.False(File.Exists(path));
            Assert.Equal((1L, 0), (reader.Stats.DiskErrors, reader.Stats.DiskBlocks));
            reader.Store(a, 4, FakeRows);                 // and the block can be cached again
            Assert.Single(reader.Lookup(a, 4));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

public class PrefixCacheOutputTests
{
    [Fact]
    public async Task Generated_tokens_are_cached_for_the_next_turn_and_the_hit_changes_nothing()
    {
        using var m = TestModels.ChatTiny(new SchedulerOptions { ContextLength = 1024 });
        var prompt = TestModels.Ids("The user asks a question and the assistant thinks about it step by step before it answers. " +
            "Let me think. First, we add the two numbers: two plus two is four.", eos: false);
        Assert.InRange(prompt.Length, 20, 63);                                     // less than one block: prompt alone caches nothing
        var first = await m.Submit(new GenerationRequest { Prompt = prompt, MaxTokens = 100, IgnoreEos = true, Sampling = new() { Temperature = 0 } }).CompleteAsync();
        Assert.Equal(0, first.Usage.CachedTokens);
        int[] next = [.. prompt, .. first.Tokens, .. TestModels.Ids(" And 3+3?", eos: false)];
        var hit = await m.Submit(new GenerationRequest { Prompt = next, MaxTokens = 20, Sampling = new() { Temperature = 0 } }).CompleteAsync();
        Assert.Equal((prompt.Length + first.Tokens.Count - 1) / 64 * 64, hit.Usage.CachedTokens);     // blocks of prompt + output in the cache
        Assert.True(hit.Usage.CachedTokens >= 128);

        using var cold = TestModels.ChatTiny(new SchedulerOptions { ContextLength = 1024, PrefixCacheBytes = 0 });
        var miss = await cold.Submit(new GenerationRequest { Prompt = next, MaxTokens = 20, Sampling = new() { Temperature = 0 } }).CompleteAsync();
        Assert.Equal(0, miss.Usage.CachedTokens);
        Assert.Equal(miss.Tokens, hit.Tokens);
    }
}
