// The DeepSeek API's extras on /chat/completions: tool messages and tool calls in the history, tools and
// tool_choice, chat prefix completion (a last assistant message with "prefix": true), response_format (JSON
// output), and the thinking budget (max_reasoning_tokens, or OpenAI's reasoning_effort mapped to one).
using System.Text.Json;
using System.Text.RegularExpressions;
using SharpSeek.Engine;

namespace SharpSeek.Server;

public static partial class Protocol
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex FunctionName();

    static ChatTurn Turn(JsonElement m, string p, string role, string content, bool last)
    {
        var turn = new ChatTurn(role, content);
        if (role == "tool")
        {
            if (Get(m, "tool_call_id") is not JsonElement id || id.ValueKind != JsonValueKind.String || id.GetString()!.Length == 0)
                throw ApiException.BadRequest($"{p}.tool_call_id is required: a tool message answers one tool call of an earlier assistant message", p + ".tool_call_id", "missing_required_parameter");
            turn = turn with { ToolCallId = id.GetString(), Name = Get(m, "name")?.GetString() };
        }
        if (role == "assistant")
        {
            if (Get(m, "tool_calls") is JsonElement calls) turn = turn with { ToolCalls = ToolCalls(calls, p + ".tool_calls") };
            if (Get(m, "reasoning_content") is JsonElement rc)
                turn = turn with { Reasoning = rc.ValueKind == JsonValueKind.String ? rc.GetString() : throw ApiException.BadRequest($"{p}.reasoning_content must be a string", p + ".reasoning_content", "invalid_type") };
            if (Bool(m, "prefix", p + ".") == true)
            {
                if (!last) throw ApiException.BadRequest($"{p}.prefix: only the last message may be a prefix (the model continues it)", p + ".prefix", "invalid_value");
                if (turn.ToolCalls is { Count: > 0 }) throw ApiException.BadRequest($"{p}: a prefix message cannot carry tool_calls", p + ".prefix", "invalid_value");
                turn = turn with { Prefix = true };
            }
        }
        else if (Get(m, "prefix") is not null) throw ApiException.BadRequest($"{p}.prefix is only allowed on an assistant message", p + ".prefix", "invalid_value");
        return turn;
    }

    static List<ToolCall> ToolCalls(JsonElement calls, string p)
    {
        if (calls.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest($"{p} must be an array", p, "invalid_type");
        var list = new List<ToolCall>();
        int i = 0;
        foreach (var c in calls.EnumerateArray())
        {
            string q = $"{p}[{i++}]";
            if (c.ValueKind != JsonValueKind.Object || Get(c, "function") is not JsonElement f || f.ValueKind != JsonValueKind.Object)
                throw ApiException.BadRequest($"{q} must be {{\"id\", \"type\": \"function\", \"function\": {{\"name\", \"arguments\"}}}}", q, "invalid_type");
            if (Get(c, "id") is not JsonElement id || id.ValueKind != JsonValueKind.String) throw ApiException.BadRequest($"{q}.id is required", q + ".id", "missing_required_parameter");
            if (Get(f, "name") is not JsonElement name || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0)
                throw ApiException.BadRequest($"{q}.function.name is required", q + ".function.name", "missing_required_parameter");
            string args = Get(f, "arguments") switch
            {
                null => "{}",
                { ValueKind: JsonValueKind.String } a => a.GetString()!,
                var a => a.Value.GetRawText(),
            };
            list.Add(new ToolCall(id.GetString()!, name.GetString()!, args));
        }
        return list;
    }

    /// <summary>Every tool message answers a call made by an assistant message before it.</summary>
    static void CheckToolHistory(List<ChatTurn> turns)
    {
        var calls = new HashSet<string>();
        for (int i = 0; i < turns.Count; i++)
        {
            foreach (var c in turns[i].ToolCalls ?? []) calls.Add(c.Id);
            if (turns[i].Role == "tool" && !calls.Contains(turns[i].ToolCallId!))
                throw ApiException.BadRequest($"messages[{i}] with role 'tool' answers tool_call_id '{turns[i].ToolCallId}', but no earlier assistant message has a tool call with that id",
                    $"messages[{i}].tool_call_id", "invalid_value");
        }
    }

    static List<ToolDefinition> Tools(JsonElement root)
    {
        var list = new List<ToolDefinition>();
        if (Get(root, "tools") is not JsonElement tools) return list;
        if (tools.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("'tools' must be an array of {\"type\": \"function\", \"function\": {...}}", "tools", "invalid_type");
        int i = 0;
        foreach (var t in tools.EnumerateArray())
        {
            string p = $"tools[{i++}]";
            if (t.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest($"{p} must be an object", p, "invalid_type");
            if (Get(t, "type") is JsonElement type && type.GetString() != "function")
                throw ApiException.BadRequest($"{p}.type must be 'function' (got '{type}')", p + ".type", "invalid_value");
            if (Get(t, "function") is not JsonElement f || f.ValueKind != JsonValueKind.Object)
                throw ApiException.BadRequest($"{p}.function is required: {{\"name\", \"description\", \"parameters\"}}", p + ".function", "missing_required_parameter");
            if (Get(f, "name") is not JsonElement name || name.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest($"{p}.function.name is required", p + ".function.name", "missing_required_parameter");
            if (!FunctionName().IsMatch(name.GetString()!))
                throw ApiException.BadRequest($"{p}.function.name '{name.GetString()}' must be 1-64 letters, digits, underscores or dashes", p + ".function.name", "invalid_value");
            if (list.Any(x => x.Name == name.GetString())) throw ApiException.BadRequest($"{p}.function.name '{name.GetString()}' is defined twice", p + ".function.name", "invalid_value");
            var parameters = Get(f, "parameters");
            if (parameters is JsonElement ps && ps.ValueKind != JsonValueKind.Object)
                throw ApiException.BadRequest($"{p}.function.parameters must be a JSON schema object", p + ".function.parameters", "invalid_type");
            string? description = Get(f, "description") is JsonElement d && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            list.Add(new ToolDefinition(name.GetString()!, description, parameters));
        }
        return list;
    }

    static ToolChoice ToolChoiceOf(JsonElement root, List<ToolDefinition> tools)
    {
        var def = tools.Count > 0 ? ToolChoice.Auto : ToolChoice.None;
        if (Get(root, "tool_choice") is not JsonElement c) return def;
        if (c.ValueKind == JsonValueKind.String)
        {
            var choice = c.GetString() switch
            {
                "none" => ToolChoice.None,
                "auto" => ToolChoice.Auto,
                "required" => ToolChoice.Required,
                _ => throw ApiException.BadRequest($"tool_choice '{c.GetString()}' is not one of none, auto, required, or {{\"type\": \"function\", \"function\": {{\"name\"}}}}", "tool_choice", "invalid_value"),
            };
            if (choice.Mode != ToolChoiceMode.None && tools.Count == 0) throw ApiException.BadRequest($"tool_choice '{c.GetString()}' needs 'tools'", "tool_choice", "invalid_value");
            return choice;
        }
        if (c.ValueKind == JsonValueKind.Object && Get(c, "function") is JsonElement f && Get(f, "name") is JsonElement n && n.ValueKind == JsonValueKind.String)
        {
            string name = n.GetString()!;
            if (!tools.Any(t => t.Name == name)) throw ApiException.BadRequest($"tool_choice names the function '{name}', which is not in 'tools'", "tool_choice", "invalid_value");
            return new ToolChoice(ToolChoiceMode.Function, name);
        }
        throw ApiException.BadRequest("tool_choice must be none, auto, required, or {\"type\": \"function\", \"function\": {\"name\": ...}}", "tool_choice", "invalid_type");
    }

    static ResponseFormat? ResponseFormatOf(JsonElement root)
    {
        if (Get(root, "response_format") is not JsonElement rf) return null;
        if (rf.ValueKind != JsonValueKind.Object || Get(rf, "type") is not JsonElement t || t.ValueKind != JsonValueKind.String)
            throw ApiException.BadRequest("response_format must be {\"type\": \"text\" | \"json_object\" | \"json_schema\"}", "response_format", "invalid_type");
        switch (t.GetString())
        {
            case "text": return null;
            case "json_object": return new ResponseFormat(null, null);
            case "json_schema":
                if (Get(rf, "json_schema") is not JsonElement js || js.ValueKind != JsonValueKind.Object)
                    throw ApiException.BadRequest("response_format.json_schema is required: {\"name\", \"schema\"}", "response_format.json_schema", "missing_required_parameter");
                if (Get(js, "schema") is not JsonElement schema || schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True))
                    throw ApiException.BadRequest("response_format.json_schema.schema must be a JSON schema object", "response_format.json_schema.schema", "invalid_type");
                return new ResponseFormat(schema, Get(js, "name")?.GetString());
            default:
                throw ApiException.BadRequest($"response_format.type '{t.GetString()}' is not one of text, json_object, json_schema", "response_format.type", "invalid_value");
        }
    }

    static int? ReasoningBudget(JsonElement root)
    {
        int? budget = Int(root, "max_reasoning_tokens");
        if (budget is < 0) throw ApiException.BadRequest($"max_reasoning_tokens must be ≥ 0 (got {budget})", "max_reasoning_tokens", "invalid_value");
        if (Get(root, "reasoning_effort") is JsonElement e)
        {
            if (e.ValueKind != JsonValueKind.String || !ThinkingBudget.ForEffort.TryGetValue(e.GetString()!, out var mapped))
                throw ApiException.BadRequest($"reasoning_effort must be one of {string.Join(", ", ThinkingBudget.ForEffort.Keys)}", "reasoning_effort", "invalid_value");
            budget ??= mapped;
        }
        return budget;
    }
}
