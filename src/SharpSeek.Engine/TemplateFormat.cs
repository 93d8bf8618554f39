// The tokenizer's own chat_template, rendered by SharpSeek.Tokenizers.ChatTemplate (the Jinja subset real
// templates use) with bos/eos bound as transformers' apply_chat_template binds them. Parsed once per model.
// Tool calls go in as OpenAI-shaped dictionaries; their arguments as JSON text, or as an object for templates that
// serialise them themselves (`arguments | tojson`, the Qwen/Hermes templates). Tools go in as `tools`.
using System.Text.Json;
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine;

public sealed class TemplateFormat : IChatFormatter
{
    readonly ChatTemplate template;
    readonly Dictionary<string, object?> specials = new();
    readonly bool argumentsAsObject;

    public TemplateFormat(Tokenizer tokenizer, string source, string bos, string eos)
    {
        template = new ChatTemplate(source);
        specials["bos_token"] = bos;
        specials["eos_token"] = eos;
        RendersTools = UsesToolsVariable(source);
        argumentsAsObject = source.Replace(" ", "").Contains("arguments|tojson", StringComparison.Ordinal);
        _ = tokenizer;
    }

    public bool RendersTools { get; }

    /// <summary>The template reads the `tools` variable (not only `tool_calls` / `tool` roles).</summary>
    static bool UsesToolsVariable(string source)
    {
        for (int i = source.IndexOf("tools", StringComparison.Ordinal); i >= 0; i = source.IndexOf("tools", i + 1, StringComparison.Ordinal))
        {
            bool left = i == 0 || !(char.IsLetterOrDigit(source[i - 1]) || source[i - 1] == '_');
            bool right = i + 5 >= source.Length || !(char.IsLetterOrDigit(source[i + 5]) || source[i + 5] == '_');
            if (left && right) return true;
        }
        return false;
    }

    public string Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt, IReadOnlyList<ToolDefinition>? tools = null)
    {
        var extra = new Dictionary<string, object?>(specials);
        if (tools is { Count: > 0 } && RendersTools) extra["tools"] = tools.Select(t => (object?)t.ToTemplateValue()).ToList();
        return template.Render(turns.Select(Message).ToList(), addGenerationPrompt, extra);
    }

    ChatMessage Message(ChatTurn t)
    {
        if (t.ToolCalls is { Count: > 0 } calls)
            return new ChatMessage(t.Role, t.Content.Length == 0 ? null : t.Content)
            {
                ToolCalls = calls.Select(c => (object?)new Dictionary<string, object?>
                {
                    ["id"] = c.Id, ["type"] = "function",
                    ["function"] = new Dictionary<string, object?> { ["name"] = c.Name, ["arguments"] = Arguments(c.Arguments) },
                }).ToList(),
            };
        return new ChatMessage(t.Role, t.Content) { ToolCallId = t.ToolCallId, Name = t.Name };
    }

    object? Arguments(string json)
    {
        if (!argumentsAsObject) return json;
        try { using var d = JsonDocument.Parse(json); return ToolDefinition.ToClr(d.RootElement); }
        catch (JsonException) { return json; }
    }
}
