// Chat templates: renders tokenizer_config.json's `chat_template` with the Jinja subset real templates use
// (Jinja.cs), with the context transformers' apply_chat_template builds: messages, add_generation_prompt, tools,
// the special tokens, and extra keyword arguments.
namespace SharpSeek.Tokenizers;

/// <summary>One chat message. Optional fields appear in the template context only when set.</summary>
public sealed record ChatMessage(string Role, string? Content)
{
    /// <summary>R1-style reasoning (Qwen3 / newer templates read <c>message.reasoning_content</c>).</summary>
    public string? ReasoningContent { get; init; }
    /// <summary>OpenAI-shaped tool calls: list of {type, function: {name, arguments}}.</summary>
    public IReadOnlyList<object?>? ToolCalls { get; init; }
    public string? Name { get; init; }
    public string? ToolCallId { get; init; }

    internal Dictionary<string, object?> ToTemplateValue()
    {
        var d = new Dictionary<string, object?> { ["role"] = Role, ["content"] = Content };
        if (ReasoningContent != null) d["reasoning_content"] = ReasoningContent;
        if (ToolCalls != null) d["tool_calls"] = Jinja.Values.FromClr(ToolCalls);
        if (Name != null) d["name"] = Name;
        if (ToolCallId != null) d["tool_call_id"] = ToolCallId;
        return d;
    }
}

public sealed class ChatTemplate
{
    readonly Jinja.Template _template;

    public string Source { get; }

    /// <summary>Parses the template; syntax errors throw <see cref="ChatTemplateException"/> with the line.</summary>
    public ChatTemplate(string source)
    {
        Source = source;
        _template = new Jinja.Template(source);
    }

    /// <summary>
    /// Renders <paramref name="messages"/>. <paramref name="extra"/> adds or overrides context variables
    /// (bos_token, eos_token, tools, enable_thinking, date_string, ...); values may be CLR objects, lists, dictionaries.
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null)
    {
        var ctx = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => (object?)m.ToTemplateValue()).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        if (extra != null) foreach (var (k, v) in extra) ctx[k] = Jinja.Values.FromClr(v);
        return _template.Render(ctx);
    }

    /// <summary>Renders with a complete context (already in template values: lists, dictionaries, strings, numbers).</summary>
    public string RenderContext(IReadOnlyDictionary<string, object?> context) =>
        _template.Render(context.ToDictionary(kv => kv.Key, kv => Jinja.Values.FromClr(kv.Value)));

    /// <summary>The template of a tokenizer, with its bos/eos tokens bound (as transformers passes them).</summary>
    public static string Render(Tokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt,
        IReadOnlyDictionary<string, object?>? extra = null)
    {
        if (tokenizer.ChatTemplate is null) throw new ChatTemplateException("the tokenizer has no chat_template (tokenizer_config.json)");
        var ctx = new Dictionary<string, object?>();
        if (tokenizer.BosId is int b) ctx["bos_token"] = tokenizer.IdToToken(b);
        if (tokenizer.EosId is int e) ctx["eos_token"] = tokenizer.IdToToken(e);
        if (extra != null) foreach (var (k, v) in extra) ctx[k] = v;
        return new ChatTemplate(tokenizer.ChatTemplate).Render(messages, addGenerationPrompt, ctx);
    }
}

/// <summary>A template that does not parse, or that fails while rendering (raise_exception, type errors).</summary>
public sealed class ChatTemplateException(string message, Exception? inner = null) : TokenizerException(message, null, inner);
