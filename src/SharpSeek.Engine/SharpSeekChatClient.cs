// Microsoft.Extensions.AI over the local engine: any IChatClient consumer (middleware, agents, DI) can use a
// SharpSeek model in-process. Reasoning arrives as TextReasoningContent, the answer as TextContent, and usage
// counts reasoning tokens (UsageDetails.ReasoningTokenCount).
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Engine;

public sealed class SharpSeekChatClient(ServingModel model) : IChatClient
{
    public ServingModel Model => model;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var handle = Start(messages, options, cancellationToken);
        var r = await handle.CompleteAsync(cancellationToken);
        var contents = new List<AIContent>();
        if (r.Reasoning.Length > 0) contents.Add(new TextReasoningContent(r.Reasoning));
        contents.Add(new TextContent(r.Content));
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents))
        {
            ModelId = model.Id,
            ResponseId = NewId(),
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = Map(r.Finish),
            Usage = Usage(r.Usage),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var handle = Start(messages, options, cancellationToken);
        string id = NewId();
        var created = DateTimeOffset.UtcNow;
        await foreach (var d in handle.ReadAllAsync(cancellationToken))
        {
            var contents = new List<AIContent>();
            if (d.Reasoning.Length > 0) contents.Add(new TextReasoningContent(d.Reasoning));
            if (d.Content.Length > 0) contents.Add(new TextContent(d.Content));
            if (d.Usage is not null) contents.Add(new UsageContent(Usage(d.Usage)));
            if (contents.Count == 0 && d.Finish is null) continue;
            yield return new ChatResponseUpdate(ChatRole.Assistant, contents)
            {
                ResponseId = id, MessageId = id, ModelId = model.Id, CreatedAt = created,
                FinishReason = d.Finish is FinishReason f ? Map(f) : null,
            };
        }
    }

    GenerationHandle Start(IEnumerable<ChatMessage> messages, ChatOptions? o, CancellationToken ct)
    {
        var turns = new List<ChatTurn>();
        foreach (var m in messages)
        {
            string role = m.Role.Value;
            if (!ChatTurn.Roles.Contains(role)) throw new ParameterException("messages", $"role '{role}' is not supported; use system, user or assistant");
            turns.Add(new ChatTurn(role, m.Text));
        }
        if (turns.Count == 0) throw new ParameterException("messages", "messages is empty; give at least one user message");
        var prompt = model.PrepareChat(turns);
        var sampling = new SamplingParams
        {
            Temperature = o?.Temperature ?? 0.6f,
            TopP = o?.TopP ?? 0.95f,
            TopK = o?.TopK ?? 0,
            PresencePenalty = o?.PresencePenalty ?? 0,
            FrequencyPenalty = o?.FrequencyPenalty ?? 0,
            Seed = o?.Seed is long s ? unchecked((int)s) : null,
        };
        return model.Submit(new GenerationRequest
        {
            Prompt = prompt.Tokens, Sampling = sampling, StartInReasoning = prompt.StartInReasoning,
            MaxTokens = model.ResolveMaxTokens(o?.MaxOutputTokens, prompt.Tokens.Length),
            Stop = o?.StopSequences?.ToArray() ?? [],
            Cancellation = ct,
        });
    }

    static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];

    static ChatFinishReason Map(FinishReason f) => f switch
    {
        FinishReason.Stop => ChatFinishReason.Stop,
        FinishReason.Length => ChatFinishReason.Length,
        _ => new ChatFinishReason(f.ToString().ToLowerInvariant()),
    };

    static UsageDetails Usage(GenerationUsage u) => new()
    {
        InputTokenCount = u.PromptTokens,
        OutputTokenCount = u.CompletionTokens,
        TotalTokenCount = u.TotalTokens,
        ReasoningTokenCount = u.ReasoningTokens,
    };

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("sharpseek", null, model.Id)
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(model) ? model
        : null;

    public void Dispose() { }
}

public static class SharpSeekServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="ServingModel"/> (loaded from <paramref name="modelPath"/>) and an IChatClient over it
    /// through the usual <c>AddChatClient</c> builder, so middleware (logging, OpenTelemetry, caching) can be added.
    /// </summary>
    public static ChatClientBuilder AddSharpSeekChatClient(this IServiceCollection services, string modelPath, EngineOptions? options = null)
    {
        services.AddSingleton(_ => ServingModel.Load(modelPath, options));
        return services.AddChatClient(sp => new SharpSeekChatClient(sp.GetRequiredService<ServingModel>()));
    }

    /// <summary>Same, over a model already loaded.</summary>
    public static ChatClientBuilder AddSharpSeekChatClient(this IServiceCollection services, ServingModel model)
    {
        services.AddSingleton(model);
        return services.AddChatClient(new SharpSeekChatClient(model));
    }
}
