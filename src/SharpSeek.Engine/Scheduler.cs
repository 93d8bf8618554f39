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
}

public sealed class SchedulerStats
{
    public long Steps, DecodedTokens, PrefilledTokens, Requests;
    /// <summary>Steps with no prompt in them, their tokens and model time: the pure decode rate (benchmarks).</summary>
    public long DecodeOnlySteps, DecodeOnlyTokens;
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
    bool stopping;

    public EngineMetrics Metrics { get; }
    public SchedulerStats Stats { get; } = new();
    public int ContextLength { get; }
    public int VocabSize => model.VocabSize;
    public SchedulerOptions Options => options;

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
        ContextLength = options.ContextLength > 0 ? Math.Min(options.ContextLength, model.ContextLength) : model.ContextLength;
        stepLogits = new float[options.MaxBatch * model.VocabSize];
        batch = new StepItem[options.MaxBatch];
        stepSeqs = new Sequence[options.MaxBatch];
        Metrics = new EngineMetrics(() => QueueDepth, () => ActiveCount, TokensPerSecond);
        thread = new Thread(Loop) { IsBackground = true, Name = "sharpseek-scheduler" };
        thread.Start();
    }

    public int QueueDepth { get { lock (gate) return waiting.Count; } }
    public int ActiveCount { get { lock (gate) return active.Count; } }

    /// <summary>
    /// Queues a request. Throws ParameterException / ContextLengthException for a bad request and
    /// EngineBusyException when the queue is full; otherwise the handle streams the result.
    /// </summary>
    public GenerationHandle Submit(GenerationRequest request)
    {
        Validate(request);
        var handle = new GenerationHandle(request);
        lock (gate)
        {
            if (stopping) throw new ObjectDisposedException(nameof(Scheduler));
            // a free slot admits at the next step; only requests beyond the free slots count as queued
            int free = options.MaxBatch - active.Count;
            if (waiting.Count - Math.Max(free, 0) >= options.MaxQueue)
            {
                Metrics.Rejected.Add(1);
                throw new EngineBusyException($"the server is busy: {active.Count} requests running and {waiting.Count} waiting (queue limit {options.MaxQueue}); retry shortly");
            }
            waiting.Enqueue(handle);
            Monitor.Pulse(gate);
        }
        return handle;
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
        if (decodes > 0) { Stats.Steps++; Stats.DecodedTokens += decodes; }
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
            Accept(s, s.Sampler.Sample(logits), logits);
        }
        Array.Clear(included, 0, B);
        Cleanup();
    }

    /// <summary>Streams one sampled token: decode → split reasoning → stop strings → finish checks.</summary>
    void Accept(Sequence s, int token, ReadOnlySpan<float> logits)
    {
        var r = s.Request;
        s.Generated++;
        s.Last = token;
        RecordTokens(1);
        var lp = r.Sampling.Logprobs ? s.Sampler.Logprobs(logits, token) : null;
        bool eos = !r.IgnoreEos && stopIds.Contains(token);
        string text = eos ? "" : s.Decoder.Push(token);
        if (s.Splitter?.InReasoning == true) s.Reasoning++;
        var split = s.Splitter?.Push(text) ?? new SplitText("", text);
        string content = s.Stop.Push(split.Content);
        string reasoning = split.Reasoning;
        FinishReason? finish = eos || s.Stop.Stopped ? FinishReason.Stop
            : s.Generated >= r.MaxTokens ? FinishReason.Length : null;
        double? ttft = null;
        if (s.Generated == 1)
        {
            ttft = Stopwatch.GetElapsedTime(s.Submitted).TotalSeconds;
            Metrics.TimeToFirstToken.Record(ttft.Value);
        }
        if (finish is FinishReason f) { Finish(s, f, reasoning, content, lp, null, token, ttft); return; }
        s.Handle.Writer.TryWrite(new GenerationDelta(token, reasoning, content, lp) { TimeToFirstToken = ttft });
    }

    void Finish(Sequence s, FinishReason reason, string reasoning, string content, LogprobInfo? lp, string? error, int token = -1, double? ttft = null)
    {
        s.Done = true;
        if (reason is FinishReason.Stop or FinishReason.Length)
        {
            // release everything held back: a partial character, a partial tag, a partial stop string
            string tail = s.Stop.Stopped ? "" : s.Decoder.Flush();
            var split = s.Splitter is null ? new SplitText("", tail) : Concat(s.Splitter.Push(tail), s.Splitter.Flush());
            reasoning += split.Reasoning;
            content += s.Stop.Push(split.Content) + s.Stop.Flush();
        }
        var usage = new GenerationUsage(s.Request.Prompt.Length, s.Generated, s.Reasoning);
        Metrics.CompletionTokens.Add(s.Generated);
        Metrics.Requests.Add(1, new KeyValuePair<string, object?>("finish_reason", reason.ToString().ToLowerInvariant()));
        Stats.Requests++;
        s.Handle.Writer.TryWrite(new GenerationDelta(token, reasoning, content, lp) { Finish = reason, Usage = usage, Error = error, TimeToFirstToken = ttft });
        s.Handle.Writer.TryComplete();
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
