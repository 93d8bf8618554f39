// The OpenAI/DeepSeek-compatible endpoints. Chat answers carry the reasoning in `reasoning_content` (DeepSeek's
// field) and only the answer in `content`; usage reports completion_tokens_details.reasoning_tokens.
// Streaming is Server-Sent Events: one `data: {chunk}` per token's text, ending with `data: [DONE]`.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SharpSeek.Engine;
using SharpSeek.Engine.Constrained;
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Server;

sealed class OpenAiEndpoints(SharpSeekServer server, ILogger log, ServerMetrics metrics)
{
    static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    const string Fingerprint = "fp_sharpseek";

    public IResult ListModels() =>
        Results.Json(new { @object = "list", data = server.Models.Values.Select(Card) }, Json);

    public IResult GetModel(string id) =>
        server.Models.TryGetValue(id, out var m) ? Results.Json(Card(m), Json)
        : throw new ApiException(404, $"The model '{id}' does not exist; GET /v1/models lists the served models.", "invalid_request_error", "model", "model_not_found");

    static object Card(ServingModel m) => new
    {
        id = m.Id, @object = "model", created = m.Created.ToUnixTimeSeconds(), owned_by = "sharpseek",
        context_length = m.ContextLength, single_turn = m.SingleTurn,
    };

    ServingModel Resolve(string id) => server.Models.TryGetValue(id, out var m) ? m
        : throw ApiException.BadRequest($"The model '{id}' does not exist; this server serves: {string.Join(", ", server.Models.Keys)}.", "model", "model_not_found");

    // ------------------------------------------------------------------ /v1/chat/completions

    public async Task ChatCompletions(HttpContext ctx)
    {
        var clock = Stopwatch.StartNew();
        var root = await Protocol.ReadBodyAsync(ctx.Request, ctx.RequestAborted);
        var req = Protocol.ParseChat(root);
        var model = Resolve(req.Model);
        bool tools = req.Tools.Count > 0 && req.ToolChoice.Mode != ToolChoiceMode.None;
        var prompt = model.PrepareChat(req.Messages, tools ? req.Tools : null, req.MaxReasoningTokens);
        var (grammar, afterMarker) = OutputGrammar(model, req);
        using var cts = new GenerationCancellation(ctx.RequestAborted);
        var handles = SubmitAll(model, req.N, cts, i => new GenerationRequest
        {
            Prompt = prompt.Tokens, StartInReasoning = prompt.StartInReasoning, SplitReasoning = !prompt.ContinuesAnswer,
            Sampling = Seeded(req.Sampling, i), MaxTokens = model.ResolveMaxTokens(req.MaxTokens, prompt.Tokens.Length),
            Stop = req.Stop, Cancellation = cts.Token, IgnoreEos = req.IgnoreEos,
            MaxReasoningTokens = req.MaxReasoningTokens, ToolFormat = tools ? model.ToolFormat : null,
            Grammar = grammar, ToolGrammarAfterMarker = afterMarker,
        });
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var results = req.Stream
            ? await StreamChat(ctx, model, req, handles, id, created)
            : await CompleteChat(ctx, model, req, handles, id, created);
        Log("chat.completions", model, req.N, req.Stream, prompt.Tokens.Length, results, clock);
    }

    static (Grammar?, Grammar?) OutputGrammar(ServingModel model, ChatRequest req)
    {
        try
        {
            return model.OutputGrammar(req.Tools, req.ToolChoice, req.ParallelToolCalls, req.ResponseFormat is not null, req.ResponseFormat?.Schema);
        }
        catch (SchemaException e)
        {
            bool tool = e.Message.StartsWith("tool '", StringComparison.Ordinal);
            throw ApiException.BadRequest($"{(tool ? "" : "response_format.json_schema.schema: ")}{e.Message} (at {e.Path})",
                tool ? "tools" : "response_format", "invalid_schema");
        }
    }

    async Task<List<GenerationResult>> CompleteChat(HttpContext ctx, ServingModel model, ChatRequest req, GenerationHandle[] handles, string id, long created)
    {
        var results = new List<GenerationResult>();
        foreach (var h in handles) results.Add(await h.CompleteAsync(ctx.RequestAborted));
        if (results.FirstOrDefault(r => r.Finish == FinishReason.Error) is { } failed)
            throw new ApiException(500, "generation failed: " + failed.Error, "server_error");
        var choices = results.Select((r, i) => new
        {
            index = i,
            message = Message(r.Content, r.Reasoning, r.ToolCalls),
            logprobs = req.Sampling.Logprobs ? new { content = r.Logprobs.Select(lp => LogprobEntry(model, lp)).ToArray() } : null,
            finish_reason = FinishName(r.Finish),
        });
        metrics.Request("chat.completions", 200);
        await ctx.Response.WriteAsJsonAsync(new
        {
            id, @object = "chat.completion", created, model = model.Id, system_fingerprint = Fingerprint,
            choices, usage = Usage(handles[0].Request.Prompt.Length, handles[0].CachedTokens, results.Select(r => r.Usage)),
        }, Json, ctx.RequestAborted);
        return results;
    }

    static Dictionary<string, object?> Message(string content, string reasoning, IReadOnlyList<ToolCall> calls)
    {
        var m = new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = calls.Count > 0 && content.Length == 0 ? null : content };
        if (reasoning.Length > 0) m["reasoning_content"] = reasoning;
        if (calls.Count > 0) m["tool_calls"] = calls.Select(c => WireCall(c, null)).ToArray();
        return m;
    }

    /// <summary>OpenAI's tool call object; in stream deltas it also carries its index among the choice's calls.</summary>
    static Dictionary<string, object?> WireCall(ToolCall c, int? index)
    {
        var d = new Dictionary<string, object?>();
        if (index is int i) d["index"] = i;
        d["id"] = c.Id;
        d["type"] = "function";
        d["function"] = new { name = c.Name, arguments = c.Arguments };
        return d;
    }

    async Task<List<GenerationResult>> StreamChat(HttpContext ctx, ServingModel model, ChatRequest req, GenerationHandle[] handles, string id, long created)
    {
        var sse = await Sse.StartAsync(ctx, metrics);
        var results = new GenerationResult?[handles.Length];
        var acc = handles.Select(_ => new Accumulator()).ToArray();
        var callCount = new int[handles.Length];
        try
        {
            object Chunk(object[] choices) => new { id, @object = "chat.completion.chunk", created, model = model.Id, system_fingerprint = Fingerprint, choices };
            for (int i = 0; i < handles.Length; i++)
                await sse.SendAsync(Chunk([new { index = i, delta = new { role = "assistant", content = "" }, logprobs = (object?)null, finish_reason = (string?)null }]));
            await foreach (var (i, d) in Merge(handles, ctx.RequestAborted))
            {
                acc[i].Add(d);
                object? lp = d.Logprob is null ? null : new { content = new[] { LogprobEntry(model, d.Logprob) } };
                if (d.Reasoning.Length > 0)
                    await sse.SendAsync(Chunk([new { index = i, delta = new { reasoning_content = d.Reasoning }, logprobs = d.Content.Length == 0 ? lp : null, finish_reason = (string?)null }]), flush: d.Content.Length == 0 && d.Finish is null);
                if (d.Content.Length > 0 || (d.Reasoning.Length == 0 && lp is not null))
                    await sse.SendAsync(Chunk([new { index = i, delta = new { content = d.Content }, logprobs = lp, finish_reason = (string?)null }]), flush: d.Finish is null);
                if (d.ToolCalls.Count > 0)
                {
                    var calls = d.ToolCalls.Select(c => WireCall(c, callCount[i]++)).ToArray();
                    await sse.SendAsync(Chunk([new { index = i, delta = new { tool_calls = calls }, logprobs = (object?)null, finish_reason = (string?)null }]), flush: d.Finish is null);
                }
                if (d.Finish is FinishReason f)
                {
                    results[i] = acc[i].Result(f, d.Usage!, d.Error);
                    if (f == FinishReason.Error) { await sse.SendAsync(new ApiException(500, "generation failed: " + d.Error, "server_error").Body); continue; }
                    await sse.SendAsync(Chunk([new { index = i, delta = new { }, logprobs = (object?)null, finish_reason = FinishName(f) }]));
                }
            }
            if (req.IncludeUsage)
                await sse.SendAsync(new { id, @object = "chat.completion.chunk", created, model = model.Id, system_fingerprint = Fingerprint, choices = Array.Empty<object>(),
                    usage = Usage(handles[0].Request.Prompt.Length, handles[0].CachedTokens, results.Where(r => r is not null).Select(r => r!.Usage)) });
            await sse.DoneAsync();
            metrics.Request("chat.completions", 200);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException && ctx.RequestAborted.IsCancellationRequested)
        {
            metrics.Request("chat.completions", 499);   // client closed the connection (nginx's code)
        }
        finally { sse.Dispose(); }
        return results.Where(r => r is not null).Select(r => r!).ToList();
    }

    // ------------------------------------------------------------------ /v1/completions

    public async Task Completions(HttpContext ctx)
    {
        var clock = Stopwatch.StartNew();
        var root = await Protocol.ReadBodyAsync(ctx.Request, ctx.RequestAborted);
        var req = Protocol.ParseCompletion(root);
        var model = Resolve(req.Model);
        int[][] prompts;
        try
        {
            prompts = req.Suffix is string suffix ? [model.PrepareFim((string)req.Prompts[0], suffix).Tokens]
                : req.Prompts.Select(p => p is string s ? model.PrepareText(s).Tokens : (int[])p).ToArray();
        }
        catch (ParameterException e) { throw ApiException.BadRequest(e.Message, e.Param, "invalid_value"); }
        using var cts = new GenerationCancellation(ctx.RequestAborted);
        var handles = SubmitAll(model, prompts.Length * req.N, cts, k => new GenerationRequest
        {
            Prompt = prompts[k / req.N], SplitReasoning = false, Sampling = Seeded(req.Sampling, k % req.N),
            MaxTokens = model.ResolveMaxTokens(req.MaxTokens, prompts[k / req.N].Length), Stop = req.Stop, Cancellation = cts.Token,
        });
        string id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var results = new List<GenerationResult>();
        if (!req.Stream)
        {
            foreach (var h in handles) results.Add(await h.CompleteAsync(ctx.RequestAborted));
            if (results.FirstOrDefault(r => r.Finish == FinishReason.Error) is { } failed)
                throw new ApiException(500, "generation failed: " + failed.Error, "server_error");
            metrics.Request("completions", 200);
            await ctx.Response.WriteAsJsonAsync(new
            {
                id, @object = "text_completion", created, model = model.Id, system_fingerprint = Fingerprint,
                choices = results.Select((r, i) => new { text = r.Content, index = i, logprobs = req.Logprobs >= 0 ? CompletionLogprobs(model, r.Logprobs) : null, finish_reason = FinishName(r.Finish) }),
                usage = Usage(prompts.Sum(p => p.Length), handles.Where((_, k) => k % req.N == 0).Sum(h => h.CachedTokens), results.Select(r => r.Usage)),
            }, Json, ctx.RequestAborted);
        }
        else
        {
            var sse = await Sse.StartAsync(ctx, metrics);
            var acc = handles.Select(_ => new Accumulator()).ToArray();
            try
            {
                await foreach (var (i, d) in Merge(handles, ctx.RequestAborted))
                {
                    acc[i].Add(d);
                    string? finish = d.Finish is FinishReason f ? FinishName(f) : null;
                    if (d.Finish is FinishReason ff) results.Add(acc[i].Result(ff, d.Usage!, d.Error));
                    if (d.Content.Length == 0 && finish is null && d.Logprob is null) continue;
                    await sse.SendAsync(new
                    {
                        id, @object = "text_completion", created, model = model.Id, system_fingerprint = Fingerprint,
                        choices = new[] { new { text = d.Content, index = i, logprobs = d.Logprob is null ? null : CompletionLogprobs(model, [d.Logprob]), finish_reason = finish } },
                    });
                }
                if (req.IncludeUsage)
                    await sse.SendAsync(new { id, @object = "text_completion", created, model = model.Id, choices = Array.Empty<object>(), usage = Usage(prompts.Sum(p => p.Length), handles.Where((_, k) => k % req.N == 0).Sum(h => h.CachedTokens), results.Select(r => r.Usage)) });
                await sse.DoneAsync();
                metrics.Request("completions", 200);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException && ctx.RequestAborted.IsCancellationRequested)
            {
                metrics.Request("completions", 499);
            }
            finally { sse.Dispose(); }
        }
        Log("completions", model, handles.Length, req.Stream, prompts.Sum(p => p.Length), results, clock);
    }

    // ------------------------------------------------------------------ shared

    GenerationHandle[] SubmitAll(ServingModel model, int count, GenerationCancellation cts, Func<int, GenerationRequest> make)
    {
        try
        {
            return model.SubmitAll([.. Enumerable.Range(0, count).Select(make)]);   // all choices queued together, or none
        }
        catch (Exception e)
        {
            cts.Cancel();
            throw e switch
            {
                ContextLengthException c => ApiException.BadRequest(c.Message, c.Param, "context_length_exceeded"),
                ParameterException p => ApiException.BadRequest(p.Message, p.Param, "invalid_value"),
                EngineBusyException b => new ApiException(429, b.Message, "rate_limit_error", null, "rate_limit_exceeded"),
                _ => e,
            };
        }
    }

    static SamplingParams Seeded(SamplingParams s, int i) => i == 0 || s.Seed is null ? s : s with { Seed = unchecked(s.Seed.Value + i) };

    /// <summary>Deltas of several generations, interleaved as they arrive, tagged with their choice index.</summary>
    static async IAsyncEnumerable<(int, GenerationDelta)> Merge(GenerationHandle[] handles, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (handles.Length == 1)
        {
            await foreach (var d in handles[0].ReadAllAsync(ct)) yield return (0, d);
            yield break;
        }
        var merged = Channel.CreateUnbounded<(int, GenerationDelta)>();
        var pumps = handles.Select(async (h, i) => { await foreach (var d in h.ReadAllAsync(ct)) await merged.Writer.WriteAsync((i, d), ct); }).ToArray();
        _ = Task.WhenAll(pumps).ContinueWith(t => merged.Writer.TryComplete(t.Exception), TaskScheduler.Default);
        await foreach (var x in merged.Reader.ReadAllAsync(ct)) yield return x;
    }

    static string FinishName(FinishReason f) => f switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.Cancelled => "cancelled",
        FinishReason.ToolCalls => "tool_calls",
        _ => "error",
    };

    /// <summary>Prompts count once (not per choice); cachedTokens = their tokens served by the prefix cache.</summary>
    static object Usage(int promptTokens, int cachedTokens, IEnumerable<GenerationUsage> usages)
    {
        int completion = 0, reasoning = 0;
        foreach (var u in usages) { completion += u.CompletionTokens; reasoning += u.ReasoningTokens; }
        return new
        {
            prompt_tokens = promptTokens, completion_tokens = completion, total_tokens = promptTokens + completion,
            prompt_cache_hit_tokens = cachedTokens, prompt_cache_miss_tokens = promptTokens - cachedTokens,   // DeepSeek's fields
            prompt_tokens_details = new { cached_tokens = cachedTokens },                                      // OpenAI's
            completion_tokens_details = new { reasoning_tokens = reasoning },
        };
    }

    static string TokenText(ServingModel m, int id) => m.Tokenizer.Decode([id]);

    static object LogprobEntry(ServingModel m, LogprobInfo lp)
    {
        string tok = TokenText(m, lp.Id);
        return new
        {
            token = tok, logprob = lp.Logprob, bytes = Encoding.UTF8.GetBytes(tok).Select(b => (int)b).ToArray(),
            top_logprobs = lp.Top.Select(t => { var s = TokenText(m, t.Id); return new { token = s, logprob = t.Logprob, bytes = Encoding.UTF8.GetBytes(s).Select(b => (int)b).ToArray() }; }).ToArray(),
        };
    }

    static object CompletionLogprobs(ServingModel m, IReadOnlyList<LogprobInfo> lps)
    {
        var tokens = lps.Select(l => TokenText(m, l.Id)).ToArray();
        var offsets = new int[tokens.Length];
        for (int i = 1; i < tokens.Length; i++) offsets[i] = offsets[i - 1] + tokens[i - 1].Length;
        return new
        {
            tokens, token_logprobs = lps.Select(l => l.Logprob).ToArray(),
            top_logprobs = lps.Select(l => l.Top.GroupBy(t => TokenText(m, t.Id)).ToDictionary(g => g.Key, g => g.First().Logprob)).ToArray(),
            text_offset = offsets,
        };
    }

    void Log(string endpoint, ServingModel model, int n, bool stream, int promptTokens, List<GenerationResult> results, Stopwatch clock)
    {
        log.LogInformation("{Endpoint} model={Model} n={N} stream={Stream} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens} reasoning_tokens={ReasoningTokens} finish={Finish} duration_ms={DurationMs:0.0}",
            endpoint, model.Id, n, stream, promptTokens, results.Sum(r => r.Usage.CompletionTokens), results.Sum(r => r.Usage.ReasoningTokens),
            string.Join(",", results.Select(r => FinishName(r.Finish))), clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Collects one choice's streamed deltas into the result the log line reports.</summary>
    sealed class Accumulator
    {
        readonly StringBuilder reasoning = new(), content = new();
        readonly List<int> tokens = [];
        public void Add(GenerationDelta d) { reasoning.Append(d.Reasoning); content.Append(d.Content); if (d.TokenId >= 0) tokens.Add(d.TokenId); }
        public GenerationResult Result(FinishReason f, GenerationUsage u, string? error) => new(reasoning.ToString(), content.ToString(), tokens, [], f, u, error);
    }
}

/// <summary>A Server-Sent Events response: `data: json\n\n` per event, `data: [DONE]` at the end.</summary>
sealed class Sse : IDisposable
{
    static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    readonly HttpContext ctx;
    readonly ServerMetrics metrics;
    readonly Stream body;

    Sse(HttpContext ctx, ServerMetrics metrics) { this.ctx = ctx; this.metrics = metrics; body = ctx.Response.Body; }

    public static async Task<Sse> StartAsync(HttpContext ctx, ServerMetrics metrics)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await ctx.Response.StartAsync(ctx.RequestAborted);
        metrics.StreamOpened();
        return new Sse(ctx, metrics);
    }

    static readonly byte[] Prefix = "data: "u8.ToArray(), Suffix = "\n\n"u8.ToArray();

    public async Task SendAsync(object payload, bool flush = true)
    {
        await body.WriteAsync(Prefix, ctx.RequestAborted);
        await JsonSerializer.SerializeAsync(body, payload, payload.GetType(), Json, ctx.RequestAborted);
        await body.WriteAsync(Suffix, ctx.RequestAborted);
        if (flush) await body.FlushAsync(ctx.RequestAborted);
    }

    public async Task DoneAsync()
    {
        await body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), ctx.RequestAborted);
        await body.FlushAsync(ctx.RequestAborted);
    }

    public void Dispose() => metrics.StreamClosed();
}
