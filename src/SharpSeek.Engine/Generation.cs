// What the scheduler is asked (GenerationRequest) and what it streams back (GenerationDelta, ending with one
// that carries the finish reason and usage). HTTP, terminal and IChatClient front ends all speak these.
using System.Threading.Channels;
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Engine;

public enum FinishReason { Stop, Length, Cancelled, Error }

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
}

public sealed record GenerationUsage(int PromptTokens, int CompletionTokens, int ReasoningTokens)
{
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
}

/// <summary>A submitted request: read its deltas; cancel with the request's token.</summary>
public sealed class GenerationHandle
{
    readonly Channel<GenerationDelta> channel = Channel.CreateUnbounded<GenerationDelta>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    internal ChannelWriter<GenerationDelta> Writer => channel.Writer;
    public ChannelReader<GenerationDelta> Reader => channel.Reader;
    public GenerationRequest Request { get; }
    internal GenerationHandle(GenerationRequest request) => Request = request;

    public IAsyncEnumerable<GenerationDelta> ReadAllAsync(CancellationToken ct = default) => channel.Reader.ReadAllAsync(ct);

    /// <summary>Collects the whole result (for non-streaming callers).</summary>
    public async Task<GenerationResult> CompleteAsync(CancellationToken ct = default)
    {
        var reasoning = new System.Text.StringBuilder();
        var content = new System.Text.StringBuilder();
        var tokens = new List<int>();
        var logprobs = new List<(LogprobInfo Info, bool Reasoning)>();
        await foreach (var d in ReadAllAsync(ct))
        {
            reasoning.Append(d.Reasoning);
            content.Append(d.Content);
            if (d.TokenId >= 0) tokens.Add(d.TokenId);
            if (d.Logprob is not null) logprobs.Add((d.Logprob, d.Reasoning.Length > 0 && d.Content.Length == 0));
            if (d.Finish is FinishReason f)
                return new GenerationResult(reasoning.ToString(), content.ToString(), tokens, logprobs.Select(l => l.Info).ToList(), f, d.Usage!, d.Error);
        }
        throw new InvalidOperationException("the generation ended without a final delta");
    }
}

public sealed record GenerationResult(string Reasoning, string Content, IReadOnlyList<int> Tokens, IReadOnlyList<LogprobInfo> Logprobs,
    FinishReason Finish, GenerationUsage Usage, string? Error);

/// <summary>The waiting queue is full (the server answers 429).</summary>
public sealed class EngineBusyException(string message) : Exception(message);

/// <summary>Prompt (+ max tokens) longer than the context; <see cref="ParameterException.Param"/> names the field.</summary>
public sealed class ContextLengthException(string param, string message) : ParameterException(param, message);
