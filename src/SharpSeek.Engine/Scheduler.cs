// The one loop that owns every sequence (llama.cpp server's slots, vLLM's scheduler in miniature):
//   admit waiting requests into free slots
//   → one model Step over all of them: the prompts of the newly admitted (prefill, at most PrefillChunk prompt
//     tokens per step) and the last token of every running sequence (decode), mixed in one batch
//   → sample each → stream deltas → retire finished ones.
// Requests join and leave between steps (continuous batching). Front ends only submit and read; they never
// touch the model. Cancellation (a client that went away) frees the slot before the next step.
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SharpSeek.Engine.Constrained;
using SharpSeek.Engine.Sampling;
using SharpSeek.Engine.Text;
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine;

public sealed record SchedulerOptions
{
    /// <summary>Sequences decoded together in one step (slots).</summary>
    public int MaxBatch { get; init; } = 8;
    /// <summary>Requests allowed to wait for a slot; past this, Submit throws EngineBusyException (HTTP 429).</summary>
    public int MaxQueue { get; init; } = 32;
    /// <summary>Context (tokens) a sequence may use; 0 = the model's max_position_embeddings.</summary>
    public int ContextLength { get; init; }
    /// <summary>
    /// Prompt tokens one step takes at most (chunked prefill): a long prompt is spread over several steps so the
    /// running sequences keep getting tokens. 0 = whole prompts in one step.
    /// </summary>
    public int PrefillChunk { get; init; } = 512;
    /// <summary>Bytes of KV blocks the prefix cache keeps in memory, so requests that begin alike skip recomputing them; 0 = off.</summary>
    public long PrefixCacheBytes { get; init; } = 256L << 20;
    /// <summary>Tokens per prefix-cache block: hits are whole blocks (DeepSeek's API caches in 64-token units).</summary>
    public int PrefixBlockTokens { get; init; } = 64;
    /// <summary>Directory for blocks evicted from memory (null = no disk tier); ServingModel.Load uses a folder per model in it.</summary>
    public string? PrefixCacheDir { get; init; }
    /// <summary>Bytes of spill files at most (least recently used go first); 0 = no disk tier.</summary>
    public long PrefixCacheDiskBytes { get; init; } = 4L << 30;
}

public sealed class SchedulerStats
{
    public long Steps, DecodedTokens, PrefilledTokens, Requests;
    /// <summary>Steps with no prompt in them, their tokens and model time: the pure decode rate (benchmarks).</summary>
    public long DecodeOnlySteps, DecodeOnlyTokens;
    /// <summary>Most sequences decoded in one step so far.</summary>
    public long MaxDecodeBatch;
    public double DecodeOnlySeconds;
    public double MeanBatch => Steps == 0 ? 0 : (double)DecodedTokens / Steps;
}

public sealed class Scheduler : IDisposable
{
    sealed class Sequence(GenerationHandle handle, ISequenceCache cache, SequenceSampler sampler, StreamingDecoder decoder, ThinkSplitter? splitter, StopMatcher stop)
    {
        public readonly GenerationHandle Handle = handle;
        public GenerationRequest Request => Handle.Request;
        public readonly ISequenceCache Cache = cache;
        public readonly SequenceSampler Sampler = sampler;
        public readonly StreamingDecoder Decoder = decoder;
        public readonly ThinkSplitter? Splitter = splitter;
        public readonly StopMatcher Stop = stop;
        public readonly long Submitted = Stopwatch.GetTimestamp();
        public int Last, Generated, Reasoning, PromptDone;
        public bool Done, Prefilled;
        public readonly int[] LastBuffer = new int[1];
        /// <summary>Tokens the engine writes instead of sampling (the closing tag of a spent thinking budget).</summary>
        public readonly Queue<int> Forced = new();
        public bool BudgetClosed, ConstraintStarted;
        /// <summary>Every token generated so far (the prefix cache stores them with the prompt at the end).</summary>
        public readonly List<int> Output = [];
        /// <summary>Masks the logits before sampling (JSON output, tool calls); null when unconstrained.</summary>
        public TokenConstraint? Constraint;
        public readonly ToolCallSplitter? Tools = handle.Request.ToolFormat is { } f ? new ToolCallSplitter(f) : null;
    }

    readonly IStepModel model;
    readonly Tokenizer tokenizer;
    readonly HashSet<int> stopIds;
    readonly SchedulerOptions options;
    readonly ILogger logger;
    readonly Queue<GenerationHandle> waiting = new();
    readonly List<Sequence> active = new();
    readonly object gate = new();
    readonly Thread thread;
    readonly float[] stepLogits;                 // [MaxBatch × vocab]
    readonly StepItem[] batch;
    readonly Sequence[] stepSeqs;                // the sequences of batch, in order
    readonly Queue<(long Ticks, int Tokens)> recent = new();   // for tokens/s
    readonly int[] thinkClose;                   // "\n</think>\n\n" as tokens: what a spent budget forces
    bool stopping;

    public EngineMetrics Metrics { get; }
    public SchedulerStats Stats { get; } = new();
    public int ContextLength { get; }
    public int VocabSize => model.VocabSize;
    public SchedulerOptions Options => options;
    /// <summary>Null when off (PrefixCacheBytes 0, or a step model that cannot export KV rows).</summary>
    public PrefixCache? PrefixCache { get; }

    public Scheduler(IStepModel model, Tokenizer tokenizer, IEnumerable<int> stopTokenIds, SchedulerOptions? options = null, ILogger? logger = null)
    {
        this.model = model;
        this.tokenizer = tokenizer;
        this.options = options ??= new SchedulerOptions();
        if (options.MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatch, "MaxBatch must be ≥ 1");
        if (options.MaxQueue < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxQueue, "MaxQueue must be ≥ 0");
        if (options.PrefillChunk < 0) throw new ArgumentOutOfRangeException(nameof(options), options.PrefillChunk, "PrefillChunk must be ≥ 0 (0 = whole prompts)");
        this.logger = logger ?? NullLogger.Instance;
        stopIds = [.. stopTokenIds];
        thinkClose = tokenizer.Encode(ThinkCloseText);
        ThinkCloseReasoningTokens = ReasoningPart(tokenizer, thinkClose);
        ContextLength = options.ContextLength > 0 ? Math.Min(options.ContextLength, model.ContextLength) : model.ContextLength;
        stepLogits = new float[options.MaxBatch * model.VocabSize];
        batch = new StepItem[options.MaxBatch];
        stepSeqs = new Sequence[options.MaxBatch];
        Metrics = new EngineMetrics(() => QueueDepth, () => ActiveCount, TokensPerSecond);
        if (options.PrefixCacheBytes > 0 && model.KvLayout is string layout)
            PrefixCache = new PrefixCache(layout, options.PrefixBlockTokens, options.PrefixCacheBytes, options.PrefixCacheDir, options.PrefixCacheDiskBytes);
        thread = new Thread(Loop) { IsBackground = true, Name = "sharpseek-scheduler" };
        thread.Start();
    }

    /// <summary>The text a spent thinking budget forces: the model answers after it.</summary>
    public const string ThinkCloseText = "\n</think>\n\n";
    /// <summary>Tokens of <see cref="ThinkCloseText"/> up to and including the closing tag (they count as reasoning).</summary>
    public int ThinkCloseReasoningTokens { get; }

    static int ReasoningPart(Tokenizer tokenizer, int[] close)
    {
        for (int k = 1; k <= close.Length; k++)
            if (tokenizer.Decode(close.AsSpan(0, k)).Contains(ThinkSplitter.Close, StringComparison.Ordinal)) return k;
        return close.Length;
    }

    public int QueueDepth { get { lock (gate) return waiting.Count; } }
    public int ActiveCount { get { lock (gate) return active.Count; } }

    /// <summary>
    /// Queues a request. Throws ParameterException / ContextLengthException for a bad request and
    /// EngineBusyException when the queue is full; otherwise the handle streams the result.
    /// </summary>
    public GenerationHandle Submit(GenerationRequest request) => SubmitAll([request])[0];

    /// <summary>
    /// Queues several requests at once (the choices of one API call): all are validated first, then all
    /// are queued under one lock — admitted in the same step when slots allow — or none is.
    /// </summary>
    public GenerationHandle[] SubmitAll(IReadOnlyList<GenerationRequest> requests)
    {
        foreach (var r in requests) Validate(r);
        var handles = requests.Select(r => new GenerationHandle(r)).ToArray();
        lock (gate)
        {
            if (stopping) throw new ObjectDisposedException(nameof(Scheduler));
            // a free slot admits at the next step; only requests beyond the free slots count as queued
            int free = options.MaxBatch - active.Count;
            if (waiting.Count + handles.Length - Math.Max(free, 0) > options.MaxQueue)
            {
                Metrics.Rejected.Add(handles.Length);
                throw new EngineBusyException($"the server is busy: {active.Count} requests running and {waiting.Count} waiting (queue limit {options.MaxQueue}); retry shortly");
            }
            foreach (var h in handles) waiting.Enqueue(h);
            Monitor.Pulse(gate);
        }
        return handles;
    }

    public void Validate(GenerationRequest r)
    {
        r.Sampling.Validate();
        if (r.Prompt.Length == 0) throw new ParameterException("messages", "the prompt is empty");
        foreach (var id in r.Prompt)
            if ((uint)id >= (uint)model.VocabSize) throw new ParameterException("prompt", $"token id {id} is out of range for the vocabulary of {model.VocabSize}");
        if (r.Prompt.Length >= ContextLength)
            throw new ContextLengthException("messages", $"the prompt has {r.Prompt.Length} tokens but this model's context is {ContextLength} tokens; shorten the messages");
        if (r.MaxTokens < 1) throw new ParameterException("max_tokens", $"max_tokens must be ≥ 1 (got {r.MaxTokens})");
        if ((r.Grammar ?? r.ToolGrammarAfterMarker) is not null && stopIds.Count == 0)
            throw new ParameterException("response_format", "constrained output needs the model's EOS token, and this model has none (eos_token_id)");
        if (r.MaxReasoningTokens is < 0) throw new ParameterException("max_reasoning_tokens", $"max_reasoning_tokens must be ≥ 0 (got {r.MaxReasoningTokens})");
        if (r.MaxReasoningTokens is int b && b < ThinkCloseReasoningTokens && r.StartInReasoning)
            throw new ParameterException("max_reasoning_tokens", $"max_reasoning_tokens must be ≥ {ThinkCloseReasoningTokens} (the closing tag's tokens) when the reasoning is open; close it in the prompt to skip thinking");
        if (r.Prompt.Length + r.MaxTokens > ContextLength)
            throw new ContextLengthException("max_tokens", $"this model's maximum context length is {ContextLength} tokens, but {r.Prompt.Length} prompt tokens + {r.MaxTokens} max_tokens were requested; lower max_tokens to at most {ContextLength - r.Prompt.Length}");
    }

    void Loop()
    {
        var admitted = new List<GenerationHandle>();
        while (true)
        {
            admitted.Clear();
            lock (gate)
            {
                while (!stopping && waiting.Count == 0 && active.Count == 0) Monitor.Wait(gate);
                if (stopping) break;
                while (waiting.Count > 0 && active.Count + admitted.Count < options.MaxBatch) admitted.Add(waiting.Dequeue());
            }
            foreach (var h in admitted) Admit(h);
            RetireCancelled();
            if (ActiveCountUnlocked > 0) Step();
        }
        lock (gate)
        {
            foreach (var s in active) Finish(s, FinishReason.Cancelled, "", "", null, null);
            while (waiting.Count > 0) waiting.Dequeue().Writer.TryComplete();
            active.Clear();
        }
    }

    int ActiveCountUnlocked { get { lock (gate) return active.Count; } }

    /// <summary>Gives an admitted request its slot (cache, sampler, decoders); its prompt runs in the next step.</summary>
    void Admit(GenerationHandle h)
    {
        var r = h.Request;
        if (r.Cancellation.IsCancellationRequested) { FinishUnstarted(h, FinishReason.Cancelled, null); return; }
        try
        {
            var cache = model.NewCache(r.Prompt.Length + r.MaxTokens);
            var s = new Sequence(h, cache, new SequenceSampler(r.Sampling, model.VocabSize, r.Prompt), tokenizer.NewStreamingDecoder(skipSpecialTokens: true),
                r.SplitReasoning ? new ThinkSplitter(r.StartInReasoning) : null, new StopMatcher(r.Stop));
            s.PromptDone = h.CachedTokens = RestorePrefix(r.Prompt, cache);
            Metrics.PromptCacheHitTokens.Add(h.CachedTokens);
            Metrics.PromptCacheMissTokens.Add(r.Prompt.Length - h.CachedTokens);
            lock (gate) active.Add(s);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError(e, "could not start a {PromptTokens}-token request", r.Prompt.Length);
            FinishUnstarted(h, FinishReason.Error, e.Message);
        }
    }

    void RetireCancelled()
    {
        bool any = false;
        lock (gate)
            foreach (var s in active)
                if (!s.Done && s.Request.Cancellation.IsCancellationRequested) { s.Done = true; any = true; }
        if (!any) return;
        foreach (var s in SnapshotActive())
            if (s.Done && s.Request.Cancellation.IsCancellationRequested) Finish(s, FinishReason.Cancelled, "", "", null, null);
        Cleanup();
    }

    Sequence[] SnapshotActive() { lock (gate) return [.. active]; }

    void Step()
    {
        var seqs = SnapshotActive();
        int v = model.VocabSize, B = 0, decodes = 0, prompt = 0;
        int budget = options.PrefillChunk > 0 ? options.PrefillChunk : int.MaxValue;
        var included = stepSeqs;
        for (int i = 0; i < seqs.Length; i++)
        {
            var s = seqs[i];
            if (s.Prefilled)
            {
                s.LastBuffer[0] = s.Last;
                batch[B] = new StepItem(s.LastBuffer, s.Cache);
                decodes++;
            }
            else
            {
                if (budget == 0) continue;                   // its prompt waits for the next step
                int take = Math.Min(budget, s.Request.Prompt.Length - s.PromptDone);
                batch[B] = new StepItem(s.Request.Prompt.AsMemory(s.PromptDone, take), s.Cache, Prompt: true);
                budget -= take;
                prompt += take;
            }
            included[B++] = s;
        }
        long started = Stopwatch.GetTimestamp();
        try
        {
            model.Step(batch.AsSpan(0, B), stepLogits.AsSpan(0, B * v));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError(e, "a step over {Batch} sequences failed", B);
            for (int b = 0; b < B; b++) Finish(included[b], FinishReason.Error, "", "", null, e.Message);
            Cleanup();
            return;
        }
        if (decodes > 0) { Stats.Steps++; Stats.DecodedTokens += decodes; Stats.MaxDecodeBatch = Math.Max(Stats.MaxDecodeBatch, decodes); }
        if (prompt == 0) { Stats.DecodeOnlySteps++; Stats.DecodeOnlyTokens += decodes; Stats.DecodeOnlySeconds += Stopwatch.GetElapsedTime(started).TotalSeconds; }
        else { Stats.PrefilledTokens += prompt; Metrics.PromptTokens.Add(prompt); }
        Metrics.BatchSize.Record(B);
        for (int b = 0; b < B; b++)
        {
            var s = included[b];
            if (!s.Prefilled)
            {
                s.PromptDone += batch[b].Tokens.Length;
                if (s.PromptDone < s.Request.Prompt.Length) continue;   // more chunks to come: no token yet
                s.Prefilled = true;
            }
            var logits = stepLogits.AsSpan(b * v, v);
            Accept(s, Next(s, logits), logits);
        }
        Array.Clear(included, 0, B);
        Cleanup();
    }

    /// <summary>The next token: a forced one (spent thinking budget), else sampled — under the constraint if any.</summary>
    int Next(Sequence s, Span<float> logits)
    {
        var r = s.Request;
        if (!s.ConstraintStarted && r.Grammar is { } grammar)
        {
            s.ConstraintStarted = true;
            s.Constraint = new TokenConstraint(tokenizer, grammar, stopIds, r.StartInReasoning ? ThinkSplitter.Close : null);
        }
        if (s.Forced.Count == 0 && !s.BudgetClosed && r.MaxReasoningTokens is int budget && s.Splitter?.InReasoning == true
            && s.Reasoning + ThinkCloseReasoningTokens >= budget)
        {
            s.BudgetClosed = true;
            // under a constraint only the closing tag is forced: the grammar decides the whitespace after it
            foreach (var t in thinkClose.AsSpan(0, s.Constraint is null ? thinkClose.Length : ThinkCloseReasoningTokens)) s.Forced.Enqueue(t);
        }
        int token;
        if (s.Forced.Count > 0) token = s.Forced.Dequeue();
        else
        {
            s.Constraint?.Apply(logits);
            token = s.Sampler.Sample(logits);
        }
        s.Constraint?.Accept(token);
        return token;
    }

    /// <summary>Streams one sampled token: decode → split reasoning → tool calls → stop strings → finish checks.</summary>
    void Accept(Sequence s, int token, ReadOnlySpan<float> logits)
    {
        var r = s.Request;
        s.Generated++;
        s.Last = token;
        s.Output.Add(token);
        RecordTokens(1);
        var lp = r.Sampling.Logprobs ? s.Sampler.Logprobs(logits, token) : null;
        bool eos = !r.IgnoreEos && stopIds.Contains(token);
        string text = eos ? "" : s.Decoder.Push(token);
        if (s.Splitter?.InReasoning == true) s.Reasoning++;
        var split = s.Splitter?.Push(text) ?? new SplitText("", text);
        var tools = s.Tools?.Push(split.Content) ?? new ToolSplit(split.Content, []);
        if (s.Constraint is null && r.ToolGrammarAfterMarker is { } g && s.Tools!.JustOpened)
            s.Constraint = new TokenConstraint(tokenizer, g, stopIds);            // tool_choice auto: the calls are constrained from here
        string content = s.Stop.Push(tools.Content);
        string reasoning = split.Reasoning;
        FinishReason? finish = eos || s.Stop.Stopped ? FinishReason.Stop
            : s.Generated >= r.MaxTokens ? FinishReason.Length : null;
        double? ttft = null;
        if (s.Generated == 1)
        {
            ttft = Stopwatch.GetElapsedTime(s.Submitted).TotalSeconds;
            Metrics.TimeToFirstToken.Record(ttft.Value);
        }
        if (finish is FinishReason f) { Finish(s, f, reasoning, content, lp, null, token, ttft, tools.Calls); return; }
        s.Handle.Writer.TryWrite(new GenerationDelta(token, reasoning, content, lp) { TimeToFirstToken = ttft, ToolCalls = tools.Calls });
    }

    void Finish(Sequence s, FinishReason reason, string reasoning, string content, LogprobInfo? lp, string? error, int token = -1, double? ttft = null,
        IReadOnlyList<ToolCall>? calls = null)
    {
        s.Done = true;
        if (reason is not (FinishReason.Cancelled or FinishReason.Error)) StorePrefix(s, withOutput: true);
        if (reason is FinishReason.Stop or FinishReason.Length or FinishReason.ToolCalls)
        {
            // release everything held back: a partial character, a partial tag, a partial call, a partial stop string
            string tail = s.Stop.Stopped ? "" : s.Decoder.Flush();
            var split = s.Splitter is null ? new SplitText("", tail) : Concat(s.Splitter.Push(tail), s.Splitter.Flush());
            reasoning += split.Reasoning;
            string answer = split.Content;
            if (s.Tools is not null)
            {
                var last = s.Tools.Push(answer);
                answer = last.Content + s.Tools.Flush();
                calls = [.. calls ?? [], .. last.Calls];
            }
            content += s.Stop.Push(answer) + s.Stop.Flush();
            if (reason == FinishReason.Stop && s.Tools?.Calls.Count > 0) reason = FinishReason.ToolCalls;
        }
        var usage = new GenerationUsage(s.Request.Prompt.Length, s.Generated, s.Reasoning) { CachedTokens = s.Handle.CachedTokens };
        Metrics.CompletionTokens.Add(s.Generated);
        Metrics.Requests.Add(1, new KeyValuePair<string, object?>("finish_reason", reason.ToString().ToLowerInvariant()));
        Stats.Requests++;
        s.Handle.Writer.TryWrite(new GenerationDelta(token, reasoning, content, lp) { Finish = reason, Usage = usage, Error = error, TimeToFirstToken = ttft, ToolCalls = calls ?? [] });
        s.Handle.Writer.TryComplete();
    }

    /// <summary>
    /// Imports the longest cached block-aligned prefix of the prompt that leaves at least one prompt token to run
    /// (its logits give the first token); returns its length. First stores what the running sequences have
    /// prefilled so far, so requests arriving together with a shared prefix share it as soon as one has computed it.
    /// </summary>
    int RestorePrefix(int[] prompt, ISequenceCache cache)
    {
        if (PrefixCache is null) return 0;
        foreach (var a in SnapshotActive())
            if (!a.Done) StorePrefix(a);
        var blocks = PrefixCache.Lookup(prompt, prompt.Length - 1);
        for (int i = 0; i < blocks.Count; i++) model.ImportKv(cache, i * PrefixCache.BlockTokens, blocks[i]);
        return blocks.Count * PrefixCache.BlockTokens;
    }

    /// <summary>
    /// Stores the full blocks of the prompt tokens already in the sequence's cache and, at the end, of the generated
    /// ones too (the next turn of a conversation re-sends the answer; all but the last token are in the cache).
    /// </summary>
    void StorePrefix(Sequence s, bool withOutput = false)
    {
        if (PrefixCache is null) return;
        int[] tokens = withOutput ? [.. s.Request.Prompt, .. s.Output] : s.Request.Prompt;
        int cached = withOutput ? s.Cache.Length : s.PromptDone;
        try { PrefixCache.Store(tokens, cached, (start, n) => model.ExportKv(s.Cache, start, n)); }
        catch (Exception e) when (e is not OutOfMemoryException) { logger.LogWarning(e, "the prefix cache could not store a sequence's blocks"); }
    }

    static SplitText Concat(SplitText a, SplitText b) => new(a.Reasoning + b.Reasoning, a.Content + b.Content);

    void FinishUnstarted(GenerationHandle h, FinishReason reason, string? error)
    {
        Metrics.Requests.Add(1, new KeyValuePair<string, object?>("finish_reason", reason.ToString().ToLowerInvariant()));
        h.Writer.TryWrite(new GenerationDelta(-1, "", "", null) { Finish = reason, Usage = new GenerationUsage(h.Request.Prompt.Length, 0, 0), Error = error });
        h.Writer.TryComplete();
    }

    void Cleanup() { lock (gate) active.RemoveAll(s => s.Done); }

    void RecordTokens(int n)
    {
        long now = Stopwatch.GetTimestamp();
        lock (recent)
        {
            recent.Enqueue((now, n));
            while (recent.Count > 0 && Stopwatch.GetElapsedTime(recent.Peek().Ticks, now).TotalSeconds > 5) recent.Dequeue();
        }
    }

    double TokensPerSecond()
    {
        lock (recent)
        {
            if (recent.Count < 2) return 0;
            double span = Stopwatch.GetElapsedTime(recent.Peek().Ticks).TotalSeconds;
            return span <= 0 ? 0 : recent.Sum(x => x.Tokens) / Math.Max(span, 1.0);
        }
    }

    public void Dispose()
    {
        lock (gate) { stopping = true; Monitor.PulseAll(gate); }
        thread.Join();
        Metrics.Dispose();
    }
}
