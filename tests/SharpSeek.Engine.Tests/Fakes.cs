// Test doubles behind the engine seam: ScriptedModel emits a fixed token script (so reasoning/answer splitting,
// stop strings and finish reasons are deterministic), records every decode step's batch size, and can sleep per
// step to stand in for compute. The tokenizer is chat-tiny's (byte-level BPE with DeepSeek-R1's specials).
using SharpSeek.Engine;
using SharpSeek.Tests;
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine.Tests;

public sealed class ScriptedModel(int vocab, int[] script, int context = 4096) : IStepModel
{
    const float Peak = 40f;                      // one-hot logit: e^-40 × vocab ≈ 0, so sampling follows the script too
    readonly Dictionary<ISequenceCache, int> promptLength = new(ReferenceEqualityComparer.Instance);

    public sealed class Cache(int capacity) : ISequenceCache
    {
        public int Length { get; set; }
        public int Capacity { get; } = capacity;
    }
    readonly object gate = new();

    public int VocabSize => vocab;
    public int ContextLength => context;
    public TimeSpan StepDelay { get; set; }
    public TimeSpan PrefillDelay { get; set; }
    public List<int> BatchSizes { get; } = [];
    public List<int> FedTokens { get; } = [];
    public List<int> PromptChunks { get; } = [];
    /// <summary>When set, the script depends on the prompt: the token at step s is ScriptFor(prompt)[s].</summary>
    public Func<int, int[]>? ScriptByPromptLength { get; set; }

    public ISequenceCache NewCache(int capacity) => new Cache(capacity);

    /// <summary>Prompt items append (a chunk of) the prompt; decode items one token. BatchSizes counts decode items per step.</summary>
    public void Step(ReadOnlySpan<StepItem> items, Span<float> logits)
    {
        bool prefill = false, decode = false;
        foreach (var it in items) if (it.Prompt) prefill = true; else decode = true;
        if (prefill && PrefillDelay > TimeSpan.Zero) Thread.Sleep(PrefillDelay);
        if (decode && StepDelay > TimeSpan.Zero) Thread.Sleep(StepDelay);
        int decodes = 0;
        for (int b = 0; b < items.Length; b++)
        {
            var cache = (Cache)items[b].Cache;
            if (cache.Capacity < cache.Length + items[b].Tokens.Length) throw new InvalidOperationException("cache overflow");
            if (items[b].Prompt) lock (gate) { promptLength[cache] = cache.Length + items[b].Tokens.Length; PromptChunks.Add(items[b].Tokens.Length); }
            else { decodes++; lock (gate) FedTokens.Add(items[b].Tokens.Span[0]); }
            cache.Length += items[b].Tokens.Length;
            OneHot(cache, logits.Slice(b * vocab, vocab));
        }
        if (decodes > 0) lock (gate) BatchSizes.Add(decodes);
    }

    void OneHot(ISequenceCache cache, Span<float> logits)
    {
        int plen;
        lock (gate) plen = promptLength[cache];
        var s = ScriptByPromptLength?.Invoke(plen) ?? script;
        int step = cache.Length - plen;
        logits.Clear();
        logits[s[Math.Min(step, s.Length - 1)]] = Peak;
    }
}

public static class TestModels
{
    public static string ChatTinyDir => Fixtures.Path("models", "chat-tiny");
    static Tokenizer? tokenizer;
    public static Tokenizer Tokenizer => tokenizer ??= Tokenizer.Load(ChatTinyDir);
    public static int Eos => Tokenizer.EosId!.Value;

    /// <summary>Token ids of text (specials such as &lt;think&gt; recognised), optionally followed by EOS.</summary>
    public static int[] Ids(string text, bool eos = true) => [.. Tokenizer.Encode(text, false), .. eos ? [Eos] : Array.Empty<int>()];

    public const string Reasoning = "Let me think: two plus two is four.";
    public const string Answer = "The answer is 4.";
    /// <summary>What R1 emits after the prompt's "&lt;think&gt;\n": reasoning, &lt;/think&gt;, answer, EOS.</summary>
    public static int[] R1Script => Ids(Reasoning + "\n</think>\n\n" + Answer);

    public static ServingModel Scripted(int[] script, SchedulerOptions? scheduler = null, string id = "scripted", int defaultMaxTokens = 256, TimeSpan stepDelay = default)
    {
        var m = new ScriptedModel(Tokenizer.VocabSize, script) { StepDelay = stepDelay };
        return new ServingModel(id, m, Tokenizer, new DeepSeekR1Format(), [Eos],
            new EngineOptions { Scheduler = scheduler ?? new SchedulerOptions { ContextLength = 4096 }, DefaultMaxTokens = defaultMaxTokens });
    }

    public static ServingModel ChatTiny(SchedulerOptions? scheduler = null, int defaultMaxTokens = 64, bool reference = false) =>
        ServingModel.Load(ChatTinyDir, new EngineOptions { Scheduler = scheduler ?? new SchedulerOptions { ContextLength = 1024 }, DefaultMaxTokens = defaultMaxTokens, Reference = reference, Threads = 1 });
}
