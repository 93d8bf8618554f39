// What the scheduler is asked (GenerationRequest) and what it streams back (GenerationDelta, ending with one
// that carries the finish reason and usage). HTTP, terminal and IChatClient front ends all speak these.
using System.Threading.Channels;
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Engine;

/// <summary>Stop: EOS or a stop string; Length: max_tokens; ToolCalls: the answer ended with tool calls.</summary>
public enum FinishReason { Stop, Length, Cancelled, Error, ToolCalls }

public sealed record GenerationRequest
{
    public required int[] Prompt { get; init; }
    public SamplingParams Sampling { get; init; } = new();
    /// <summary>Tokens to generate at most (EOS and stop strings end earlier).</summary>
    public required int MaxTokens { get; init; }
    /// <summary>Stop strings, matched on the answer text (not inside the reasoning).</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
    /// <summary>Split &lt;think&gt;…&lt;/think&gt; into reasoning; off for raw completions.</summary>
    public bool SplitReasoning { get; init; } = true;
    /// <summary>The prompt already opened the reasoning block (R1's template ends with "&lt;think&gt;\n").</summary>
    public bool StartInReasoning { get; init; }
    public CancellationToken Cancellation { get; init; }
    /// <summary>Keep generating past EOS until MaxTokens (benchmarks; vLLM's ignore_eos).</summary>
    public bool IgnoreEos { get; init; }
    /// <summary>
    /// Thinking budget: reasoning tokens allowed (the closing tag included). When it is spent the engine writes
    /// the closing "&lt;/think&gt;" itself and the model answers. Null = no limit.
    /// </summary>
    public int? MaxReasoningTokens { get; init; }
    /// <summary>Parse tool calls of this format out of the answer (null = no function calling).</summary>
    public ToolCallFormat? ToolFormat { get; init; }
    /// <summary>
    /// Constrained decoding: the answer must match this grammar (JSON output, required tool calls). With
    /// StartInReasoning the reasoning stays free until "&lt;/think&gt;". EOS is allowed once the grammar is complete.
    /// </summary>
    public Constrained.Grammar? Grammar { get; init; }
    /// <summary>tool_choice auto: once the answer opens the format's tool-call marker, the rest must match this.</summary>
    public Constrained.Grammar? ToolGrammarAfterMarker { get; init; }
}

public sealed record GenerationUsage(int PromptTokens, int CompletionTokens, int ReasoningTokens)
{
    /// <summary>Prompt tokens whose KV rows came from the prefix cache (DeepSeek's prompt_cache_hit_tokens).</summary>
    public int CachedTokens { get; init; }
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>
/// One generated token's worth of output. Text may be empty (a partial UTF-8 character or a held-back tag);
/// the last delta has <see cref="Finish"/> and <see cref="Usage"/> set (and TokenId -1 when it carries no token).
/// </summary>
public sealed record GenerationDelta(int TokenId, string Reasoning, string Content, LogprobInfo? Logprob)
{
    public FinishReason? Finish { get; init; }
    public GenerationUsage? Usage { get; init; }
    /// <summary>Seconds from submission to the first token (on the first delta only).</summary>
    public double? TimeToFirstToken { get; init; }
    public string? Error { get; init; }
    /// <summary>Tool calls completed by this token (each is whole: id, name, arguments).</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];
}

/// <summary>A submitted request: read its deltas; cancel with the request's token.</summary>
public sealed class GenerationHandle
{
    readonly Channel<GenerationDelta> channel = Channel.CreateUnbounded<GenerationDelta>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    internal ChannelWriter<GenerationDelta> Writer => channel.Writer;
    public ChannelReader<GenerationDelta> Reader => channel.Reader;
    public GenerationRequest Request { get; }
    /// <summary>Prompt tokens taken from the prefix cache; set when the request gets its slot.</summary>
    public int CachedTokens { get; internal set; }
    internal GenerationHandle(GenerationRequest request) => Request = request;

    public IAsyncEnumerable<GenerationDelta> ReadAllAsync(CancellationToken ct = default) => channel.Reader.ReadAllAsync(ct);

    /// <summary>Collects the whole result (for non-streaming callers).</summary>
    public async Task<GenerationResult> CompleteAsync(CancellationToken ct = default)
    {
        var reasoning = new System.Text.StringBuilder();
        var content = new System.Text.StringBuilder();
        var tokens = new List<int>();
        var logprobs = new List<(LogprobInfo Info, bool Reasoning)>();
        var calls = new List<ToolCall>();
        await foreach (var d in ReadAllAsync(ct))
        {
            reasoning.Append(d.Reasoning);
            content.Append(d.Content);
            if (d.TokenId >= 0) tokens.Add(d.TokenId);
            calls.AddRange(d.ToolCalls);
            if (d.Logprob is not null) logprobs.Add((d.Logprob, d.Reasoning.Length > 0 && d.Content.Length == 0));
            if (d.Finish is FinishReason f)
                return new GenerationResult(reasoning.ToString(), content.ToString(), tokens, logprobs.Select(l => l.Info).ToList(), f, d.Usage!, d.Error) { ToolCalls = calls };
        }
        throw new InvalidOperationException("the generation ended without a final delta");
    }
}

public sealed record GenerationResult(string Reasoning, string Content, IReadOnlyList<int> Tokens, IReadOnlyList<LogprobInfo> Logprobs,
    FinishReason Finish, GenerationUsage Usage, string? Error)
{
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];
}

/// <summary>The waiting queue is full (the server answers 429).</summary>
public sealed class EngineBusyException(string message) : Exception(message);

/// <summary>Prompt (+ max tokens) longer than the context; <see cref="ParameterException.Param"/> names the field.</summary>
public sealed class ContextLengthException(string param, string message) : ParameterException(param, message);
