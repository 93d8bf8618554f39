// Function calling as the models write it. Two wire formats cover the served families:
//   DeepSeek (V3, R1, R1-Distill): <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\nARGS\n```<｜tool▁call▁end｜>…<｜tool▁calls▁end｜>
//   Hermes (Qwen2.5, Qwen3):       <tool_call>\n{"name": NAME, "arguments": ARGS}\n</tool_call>
// Each format renders a call into prompt text (history), describes the tools in a system prompt when the chat
// template does not list them itself, and parses complete calls back out of generated text.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine;

/// <summary>One function call: id (call_…), function name, arguments as JSON text.</summary>
public sealed record ToolCall(string Id, string Name, string Arguments)
{
    public static string NewId() => "call_" + Guid.NewGuid().ToString("N")[..24];
}

/// <summary>A function the model may call: name, description, JSON schema of its arguments (null = any object).</summary>
public sealed record ToolDefinition(string Name, string? Description, JsonElement? Parameters)
{
    /// <summary>OpenAI's shape: {"type":"function","function":{name, description, parameters}}.</summary>
    public Dictionary<string, object?> ToTemplateValue()
    {
        var f = new Dictionary<string, object?> { ["name"] = Name };
        if (Description is not null) f["description"] = Description;
        f["parameters"] = Parameters is JsonElement p ? ToClr(p) : new Dictionary<string, object?> { ["type"] = "object" };
        return new Dictionary<string, object?> { ["type"] = "function", ["function"] = f };
    }

    /// <summary>JSON → dictionaries, lists, strings, doubles/longs, bools (what the template engine takes).</summary>
    public static object? ToClr(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => ToClr(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().Select(ToClr).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}

/// <summary>OpenAI's tool_choice: none, auto, required, or one named function.</summary>
public sealed record ToolChoice(ToolChoiceMode Mode, string? Function = null)
{
    public static readonly ToolChoice Auto = new(ToolChoiceMode.Auto), None = new(ToolChoiceMode.None), Required = new(ToolChoiceMode.Required);
}

public enum ToolChoiceMode { None, Auto, Required, Function }

public abstract class ToolCallFormat
{
    /// <summary>Text that opens the tool calls in the model's output (the trigger of constrained decoding).</summary>
    public abstract string CallsBegin { get; }
    /// <summary>One call as the model writes it (used for assistant turns in the history).</summary>
    public abstract string RenderCall(ToolCall call);
    /// <summary>A system-prompt section listing the tools and the exact call syntax (for templates without tools).</summary>
    public abstract string SystemPrompt(IReadOnlyList<ToolDefinition> tools);

    /// <summary>
    /// Parses text from <see cref="CallsBegin"/> on: the next complete call (consumed = characters used), or end of
    /// the calls (call null, Ended), or not enough text yet (NeedMore). Malformed text: Invalid.
    /// </summary>
    public abstract ParseStep Next(string text, int start);

    /// <summary>DeepSeek's format when the tokenizer or template has its tool tokens, else Hermes.</summary>
    public static ToolCallFormat For(Tokenizer tokenizer)
    {
        if (tokenizer.TokenToId(DeepSeekToolFormat.Begin) is not null) return DeepSeekToolFormat.Instance;
        if (tokenizer.TokenToId(HermesToolFormat.Open) is not null) return HermesToolFormat.Instance;
        if (tokenizer.ChatTemplate?.Contains(DeepSeekToolFormat.Begin, StringComparison.Ordinal) == true) return DeepSeekToolFormat.Instance;
        return HermesToolFormat.Instance;
    }

    protected static string ToolList(IReadOnlyList<ToolDefinition> tools)
    {
        var sb = new StringBuilder();
        foreach (var t in tools)
        {
            sb.Append("### ").Append(t.Name).Append('\n');
            if (!string.IsNullOrEmpty(t.Description)) sb.Append("Description: ").Append(t.Description).Append('\n');
            sb.Append("Parameters: ").Append(t.Parameters is JsonElement p ? p.GetRawText() : "{\"type\":\"object\"}").Append("\n\n");
        }
        return sb.ToString();
    }

    protected static int SkipSpace(string s, int i)
    {
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        return i;
    }

    /// <summary>Compact, valid JSON text of an arguments value, or null when it does not parse.</summary>
    protected static string? NormalizeArguments(string json)
    {
        try { return JsonNode.Parse(json)?.ToJsonString() ?? "null"; }
        catch (JsonException) { return null; }
    }
}

public enum ParseStatus { Call, Ended, NeedMore, Invalid }

public readonly record struct ParseStep(ParseStatus Status, int Consumed, ToolCall? Call = null);

public sealed class DeepSeekToolFormat : ToolCallFormat
{
    public const string Begin = "<｜tool▁calls▁begin｜>", End = "<｜tool▁calls▁end｜>",
        CallBegin = "<｜tool▁call▁begin｜>", CallEnd = "<｜tool▁call▁end｜>", Sep = "<｜tool▁sep｜>",
        OutputsBegin = "<｜tool▁outputs▁begin｜>", OutputsEnd = "<｜tool▁outputs▁end｜>",
        OutputBegin = "<｜tool▁output▁begin｜>", OutputEnd = "<｜tool▁output▁end｜>";
    const string Fence = "```json\n", FenceEnd = "\n```";

    public static readonly DeepSeekToolFormat Instance = new();
    public override string CallsBegin => Begin;
    public string CallsEnd => End;

    public override string RenderCall(ToolCall c) => CallBegin + "function" + Sep + c.Name + "\n" + Fence + c.Arguments + FenceEnd + CallEnd;

    public override string SystemPrompt(IReadOnlyList<ToolDefinition> tools) =>
        "## Tools\n\nYou can call these functions:\n\n" + ToolList(tools) +
        "To call functions, answer with exactly this (one " + CallBegin + "…" + CallEnd + " per call, separated by a newline):\n" +
        Begin + CallBegin + "function" + Sep + "FUNCTION_NAME\n" + Fence + "{ARGUMENTS AS JSON}" + FenceEnd + CallEnd + End + "\n" +
        "Then wait for the results, which arrive between " + OutputsBegin + " and " + OutputsEnd + ".";

    public override ParseStep Next(string s, int start)
    {
        int i = SkipSpace(s, start);
        if (string.CompareOrdinal(s, i, Begin, 0, Begin.Length) == 0) i += Begin.Length;     // the block's opening
        if (i == s.Length) return new(ParseStatus.NeedMore, 0);
        if (string.CompareOrdinal(s, i, End, 0, End.Length) == 0) return new(ParseStatus.Ended, i + End.Length - start);
        if (string.CompareOrdinal(s, i, CallBegin, 0, Math.Min(CallBegin.Length, s.Length - i)) != 0)
            return End.StartsWith(s[i..], StringComparison.Ordinal) ? new(ParseStatus.NeedMore, 0) : new(ParseStatus.Invalid, 0);
        int end = s.IndexOf(CallEnd, i, StringComparison.Ordinal);
        if (end < 0) return new(ParseStatus.NeedMore, 0);
        string body = s[(i + CallBegin.Length)..end];             // TYPE<｜tool▁sep｜>NAME\n```json\nARGS\n```
        int sep = body.IndexOf(Sep, StringComparison.Ordinal);
        int nl = body.IndexOf('\n', Math.Max(sep, 0));
        if (sep < 0 || nl < 0) return new(ParseStatus.Invalid, 0);
        string name = body[(sep + Sep.Length)..nl].Trim();
        string args = body[(nl + 1)..].Trim();
        if (args.StartsWith("```", StringComparison.Ordinal)) args = args[(args.IndexOf('\n') is int k and >= 0 ? k + 1 : 3)..];
        if (args.EndsWith("```", StringComparison.Ordinal)) args = args[..^3];
        var json = NormalizeArguments(args.Trim());
        if (name.Length == 0 || json is null) return new(ParseStatus.Invalid, 0);
        return new(ParseStatus.Call, end + CallEnd.Length - start, new ToolCall(ToolCall.NewId(), name, json));
    }
}

public sealed class HermesToolFormat : ToolCallFormat
{
    public const string Open = "<tool_call>", Close = "</tool_call>";
    public static readonly HermesToolFormat Instance = new();
    public override string CallsBegin => Open;

    public override string RenderCall(ToolCall c) => Open + "\n{\"name\": " + JsonSerializer.Serialize(c.Name) + ", \"arguments\": " + c.Arguments + "}\n" + Close;

    public override string SystemPrompt(IReadOnlyList<ToolDefinition> tools) =>
        "# Tools\n\nYou can call these functions:\n\n" + ToolList(tools) +
        "For each function call, answer with a JSON object holding the function name and its arguments inside " + Open + Close + " tags:\n" +
        Open + "\n{\"name\": \"FUNCTION_NAME\", \"arguments\": {ARGUMENTS AS JSON}}\n" + Close;

    public override ParseStep Next(string s, int start)
    {
        int i = SkipSpace(s, start);
        if (i == s.Length) return new(ParseStatus.NeedMore, 0);
        if (string.CompareOrdinal(s, i, Open, 0, Math.Min(Open.Length, s.Length - i)) != 0) return new(ParseStatus.Ended, 0);
        int end = s.IndexOf(Close, i, StringComparison.Ordinal);
        if (end < 0) return new(ParseStatus.NeedMore, 0);
        try
        {
            var o = JsonNode.Parse(s[(i + Open.Length)..end]) as JsonObject;
            if (o?["name"] is JsonValue nv && nv.TryGetValue<string>(out var name) && name.Length > 0)
            {
                string args = o["arguments"] is JsonNode a ? a.ToJsonString() : "{}";
                return new(ParseStatus.Call, end + Close.Length - start, new ToolCall(ToolCall.NewId(), name, args));
            }
        }
        catch (JsonException) { }
        return new(ParseStatus.Invalid, 0);
    }
}
