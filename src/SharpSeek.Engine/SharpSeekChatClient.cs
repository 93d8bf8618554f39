// Microsoft.Extensions.AI over the local engine: any IChatClient consumer (middleware, agents, DI) can use a
// SharpSeek model in-process. Reasoning arrives as TextReasoningContent, the answer as TextContent, and usage
// counts reasoning tokens (UsageDetails.ReasoningTokenCount).
using System.Runtime.CompilerServices;
using System.Text.Json;
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
        if (r.Content.Length > 0 || r.ToolCalls.Count == 0) contents.Add(new TextContent(r.Content));
        contents.AddRange(r.ToolCalls.Select(Call));
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
            contents.AddRange(d.ToolCalls.Select(Call));
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
        foreach (var m in messages) turns.AddRange(Turns(m));
        if (o?.Instructions is string instructions) turns.Insert(0, new ChatTurn("system", instructions));
        if (turns.Count == 0) throw new ParameterException("messages", "messages is empty; give at least one user message");
        var tools = o?.ToolMode is NoneChatToolMode ? [] : o?.Tools?.OfType<AIFunctionDeclaration>().Select(Definition).ToList() ?? [];
        int? budget = o?.AdditionalProperties?.TryGetValue("max_reasoning_tokens", out var b) == true ? Convert.ToInt32(b)
            : o?.Reasoning?.Effort is ReasoningEffort e ? ThinkingBudget.ForEffort.GetValueOrDefault(e.ToString().ToLowerInvariant()) : null;
        var prompt = model.PrepareChat(turns, tools.Count > 0 ? tools : null, budget);
        var choice = o?.ToolMode switch
        {
            RequiredChatToolMode { RequiredFunctionName: string name } => new ToolChoice(ToolChoiceMode.Function, name),
            RequiredChatToolMode => ToolChoice.Required,
            _ => ToolChoice.Auto,
        };
        var json = o?.ResponseFormat as ChatResponseFormatJson;
        (Constrained.Grammar?, Constrained.Grammar?) grammars;
        try { grammars = model.OutputGrammar(tools, choice, o?.AllowMultipleToolCalls ?? true, json is not null, json?.Schema); }
        catch (Constrained.SchemaException bad) { throw new ParameterException("response_format", $"{bad.Message} (at {bad.Path})"); }
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
            MaxReasoningTokens = budget, ToolFormat = tools.Count > 0 ? model.ToolFormat : null,
            Grammar = grammars.Item1, ToolGrammarAfterMarker = grammars.Item2,
        });
    }

    /// <summary>One MEAI message as chat turns: a tool message becomes one turn per function result.</summary>
    static IEnumerable<ChatTurn> Turns(ChatMessage m)
    {
        string role = m.Role.Value;
        if (!ChatTurn.Roles.Contains(role)) throw new ParameterException("messages", $"role '{role}' is not supported; use system, user, assistant or tool");
        var results = m.Contents.OfType<FunctionResultContent>().ToList();
        if (results.Count > 0)
        {
            foreach (var r in results) yield return new ChatTurn("tool", ResultText(r.Result)) { ToolCallId = r.CallId };
            yield break;
        }
        var calls = m.Contents.OfType<FunctionCallContent>()
            .Select(c => new ToolCall(c.CallId, c.Name, JsonSerializer.Serialize(c.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions))).ToList();
        yield return new ChatTurn(role, m.Text) { ToolCalls = calls.Count > 0 ? calls : null };
    }

    static string ResultText(object? result) => result switch
    {
        null => "",
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions),
    };

    static ToolDefinition Definition(AIFunctionDeclaration f) => new(f.Name, string.IsNullOrEmpty(f.Description) ? null : f.Description, f.JsonSchema);

    static FunctionCallContent Call(ToolCall c)
    {
        Dictionary<string, object?>? args;
        try { args = JsonSerializer.Deserialize<Dictionary<string, object?>>(c.Arguments, AIJsonUtilities.DefaultOptions); }
        catch (JsonException) { args = null; }
        return new FunctionCallContent(c.Id, c.Name, args);
    }

    static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];

    static ChatFinishReason Map(FinishReason f) => f switch
    {
        FinishReason.Stop => ChatFinishReason.Stop,
        FinishReason.Length => ChatFinishReason.Length,
        FinishReason.ToolCalls => ChatFinishReason.ToolCalls,
        _ => new ChatFinishReason(f.ToString().ToLowerInvariant()),
    };

    static UsageDetails Usage(GenerationUsage u) => new()
    {
        InputTokenCount = u.PromptTokens,
        CachedInputTokenCount = u.CachedTokens,
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
