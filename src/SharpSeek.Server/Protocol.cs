// Request parsing for /v1/chat/completions and /v1/completions: JSON → validated records, every problem an
// ApiException naming the parameter (OpenAI's 400 shape). HTTP threads do only this, templating and tokenizing;
// the scheduler never sees raw JSON (llama.cpp server's rule).
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SharpSeek.Engine;
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Server;

public sealed record ChatRequest(string Model, IReadOnlyList<ChatTurn> Messages, SamplingParams Sampling, int? MaxTokens, IReadOnlyList<string> Stop,
    int N, bool Stream, bool IncludeUsage)
{
    /// <summary>Extension (vLLM's): generate max_tokens tokens whatever the model says (benchmarks).</summary>
    public bool IgnoreEos { get; init; }
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];
    public ToolChoice ToolChoice { get; init; } = ToolChoice.Auto;
    public bool ParallelToolCalls { get; init; } = true;
    /// <summary>response_format: null = text; else {"type": "json_object"} or the json_schema's schema.</summary>
    public ResponseFormat? ResponseFormat { get; init; }
    /// <summary>Thinking budget (max_reasoning_tokens, or reasoning_effort mapped to one).</summary>
    public int? MaxReasoningTokens { get; init; }
}

/// <summary>JSON output: Schema null = any JSON object (json_object), else the json_schema's schema.</summary>
public sealed record ResponseFormat(JsonElement? Schema, string? Name);

public sealed record CompletionRequest(string Model, IReadOnlyList<object> Prompts, SamplingParams Sampling, int? MaxTokens, IReadOnlyList<string> Stop,
    int N, bool Stream, bool IncludeUsage, int Logprobs)
{
    /// <summary>Fill in the middle: the text after the completion (the prompt is the text before it).</summary>
    public string? Suffix { get; init; }
}

public static partial class Protocol
{
    public const int MaxN = 8;
    public const int MaxStop = 4;

    public static async Task<JsonElement> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 64 }, ct);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("the request body must be a JSON object", null, "invalid_json");
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"We could not parse the JSON body of your request ({e.Message}). Send a JSON object, e.g. {{\"model\": \"...\", \"messages\": [...]}}.", null, "invalid_json");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiException(413, $"the request body is larger than the server's limit: {e.Message}", "invalid_request_error", null, "request_too_large");
        }
    }

    public static ChatRequest ParseChat(JsonElement root)
    {
        string model = RequiredString(root, "model");
        if (!root.TryGetProperty("messages", out var msgs) || msgs.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest("'messages' is required: a list of {\"role\", \"content\"} objects", "messages", "missing_required_parameter");
        if (msgs.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("'messages' must be an array", "messages", "invalid_type");
        if (msgs.GetArrayLength() == 0) throw ApiException.BadRequest("'messages' must contain at least one message", "messages", "empty_array");
        var turns = new List<ChatTurn>();
        int i = 0;
        foreach (var m in msgs.EnumerateArray())
        {
            string p = $"messages[{i}]";
            if (m.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest($"{p} must be an object with 'role' and 'content'", p, "invalid_type");
            if (!m.TryGetProperty("role", out var roleEl) || roleEl.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest($"{p}.role is required (system, user or assistant)", p + ".role", "missing_required_parameter");
            string role = roleEl.GetString()!;
            if (role == "developer") role = "system";          // OpenAI's newer name for the system role
            if (!ChatTurn.Roles.Contains(role))
                throw ApiException.BadRequest($"{p}.role '{roleEl.GetString()}' is not supported; use one of system, developer, user, assistant, tool", p + ".role", "invalid_value");
            turns.Add(Turn(m, p, role, Content(m, p, role), i == msgs.GetArrayLength() - 1));
            i++;
        }
        if (!turns.Any(t => t.Role == "user")) throw ApiException.BadRequest("'messages' needs at least one user message", "messages", "invalid_value");
        CheckToolHistory(turns);
        var (sampling, maxTokens, stop, n, stream, includeUsage) = Common(root);
        bool logprobs = Bool(root, "logprobs") ?? false;
        int top = Int(root, "top_logprobs") ?? 0;
        if (top != 0 && !logprobs) throw ApiException.BadRequest("top_logprobs requires logprobs to be true", "top_logprobs", "invalid_value");
        sampling = sampling with { Logprobs = logprobs, TopLogprobs = top };
        Check(sampling);
        var tools = Tools(root);
        return new ChatRequest(model, turns, sampling, maxTokens, stop, n, stream, includeUsage)
        {
            IgnoreEos = Bool(root, "ignore_eos") ?? false,
            Tools = tools, ToolChoice = ToolChoiceOf(root, tools), ParallelToolCalls = Bool(root, "parallel_tool_calls") ?? true,
            ResponseFormat = ResponseFormatOf(root), MaxReasoningTokens = ReasoningBudget(root),
        };
    }

    public static CompletionRequest ParseCompletion(JsonElement root)
    {
        string model = RequiredString(root, "model");
        if (!root.TryGetProperty("prompt", out var pr) || pr.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest("'prompt' is required: a string, a list of strings, or token ids", "prompt", "missing_required_parameter");
        var prompts = new List<object>();
        if (pr.ValueKind == JsonValueKind.String) prompts.Add(pr.GetString()!);
        else if (pr.ValueKind == JsonValueKind.Array && pr.GetArrayLength() > 0)
        {
            var first = pr[0];
            if (first.ValueKind == JsonValueKind.Number) prompts.Add(Ids(pr, "prompt"));
            else foreach (var x in pr.EnumerateArray())
            {
                if (x.ValueKind == JsonValueKind.String) prompts.Add(x.GetString()!);
                else if (x.ValueKind == JsonValueKind.Array) prompts.Add(Ids(x, "prompt"));
                else throw ApiException.BadRequest("'prompt' entries must be strings or arrays of token ids", "prompt", "invalid_type");
            }
        }
        else throw ApiException.BadRequest("'prompt' must be a non-empty string, list of strings, or token ids", "prompt", "invalid_type");
        if (prompts.Any(p => p is string s ? s.Length == 0 : ((int[])p).Length == 0))
            throw ApiException.BadRequest("'prompt' must not be empty", "prompt", "invalid_value");
        if (Bool(root, "echo") == true) throw ApiException.BadRequest("echo is not supported", "echo", "unsupported_parameter");
        string? suffix = null;
        if (root.TryGetProperty("suffix", out var sfx) && sfx.ValueKind != JsonValueKind.Null)
        {
            if (sfx.ValueKind != JsonValueKind.String) throw ApiException.BadRequest("'suffix' must be a string", "suffix", "invalid_type");
            if (prompts.Count != 1 || prompts[0] is not string) throw ApiException.BadRequest("'suffix' (fill in the middle) needs one prompt string", "suffix", "invalid_value");
            suffix = sfx.GetString();
        }
        var (sampling, maxTokens, stop, n, stream, includeUsage) = Common(root);
        int lp = Int(root, "logprobs") ?? -1;
        if (lp > 5) throw ApiException.BadRequest($"logprobs must be between 0 and 5 for completions (got {lp})", "logprobs", "invalid_value");
        sampling = sampling with { Logprobs = lp >= 0, TopLogprobs = Math.Max(lp, 0) };
        Check(sampling);
        return new CompletionRequest(model, prompts, sampling, maxTokens ?? 16, stop, n, stream, includeUsage, lp) { Suffix = suffix };
    }

    static (SamplingParams, int?, IReadOnlyList<string>, int, bool, bool) Common(JsonElement root)
    {
        var s = new SamplingParams
        {
            Temperature = Float(root, "temperature") ?? 1f,
            TopP = Float(root, "top_p") ?? 1f,
            TopK = Int(root, "top_k") ?? 0,
            MinP = Float(root, "min_p") ?? 0f,
            RepetitionPenalty = Float(root, "repetition_penalty") ?? 1f,
            PresencePenalty = Float(root, "presence_penalty") ?? 0f,
            FrequencyPenalty = Float(root, "frequency_penalty") ?? 0f,
            Seed = Long(root, "seed") is long seed ? unchecked((int)seed) : null,
        };
        int? maxTokens = Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        if (maxTokens is < 1) throw ApiException.BadRequest($"max_tokens must be at least 1 (got {maxTokens})", root.TryGetProperty("max_completion_tokens", out _) ? "max_completion_tokens" : "max_tokens", "invalid_value");
        int n = Int(root, "n") ?? 1;
        if (n < 1 || n > MaxN) throw ApiException.BadRequest($"n must be between 1 and {MaxN} (got {n})", "n", "invalid_value");
        var stop = new List<string>();
        if (root.TryGetProperty("stop", out var st) && st.ValueKind != JsonValueKind.Null)
        {
            if (st.ValueKind == JsonValueKind.String) stop.Add(st.GetString()!);
            else if (st.ValueKind == JsonValueKind.Array)
                foreach (var x in st.EnumerateArray())
                    stop.Add(x.ValueKind == JsonValueKind.String ? x.GetString()! : throw ApiException.BadRequest("'stop' entries must be strings", "stop", "invalid_type"));
            else throw ApiException.BadRequest("'stop' must be a string or a list of strings", "stop", "invalid_type");
            if (stop.Count > MaxStop) throw ApiException.BadRequest($"'stop' may hold at most {MaxStop} strings", "stop", "invalid_value");
            if (stop.Any(x => x.Length == 0)) throw ApiException.BadRequest("'stop' strings must not be empty", "stop", "invalid_value");
        }
        bool stream = Bool(root, "stream") ?? false;
        bool includeUsage = false;
        if (root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object)
        {
            if (!stream) throw ApiException.BadRequest("stream_options is only allowed when stream is true", "stream_options", "invalid_value");
            includeUsage = Bool(so, "include_usage", "stream_options.") ?? false;
        }
        return (s, maxTokens, stop, n, stream, includeUsage);
    }

    static void Check(SamplingParams s)
    {
        try { s.Validate(); }
        catch (ParameterException e) { throw ApiException.BadRequest(e.Message, e.Param, "invalid_value"); }
    }

    static string Content(JsonElement m, string p, string role)
    {
        if (!m.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null)
        {
            if (role == "assistant") return "";
            throw ApiException.BadRequest($"{p}.content is required", p + ".content", "missing_required_parameter");
        }
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind == JsonValueKind.Array)
        {
            var sb = new System.Text.StringBuilder();
            foreach (var part in c.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
                    throw ApiException.BadRequest($"{p}.content parts must be objects with a 'type'", p + ".content", "invalid_type");
                if (t.GetString() != "text" || !part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                    throw ApiException.BadRequest($"{p}.content: only text parts are supported (got '{t.GetString()}')", p + ".content", "invalid_value");
                sb.Append(text.GetString());
            }
            return sb.ToString();
        }
        throw ApiException.BadRequest($"{p}.content must be a string or a list of text parts", p + ".content", "invalid_type");
    }

    static string RequiredString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest($"'{name}' is required", name, "missing_required_parameter");
        if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length == 0) throw ApiException.BadRequest($"'{name}' must be a non-empty string", name, "invalid_type");
        return v.GetString()!;
    }

    static int[] Ids(JsonElement arr, string param)
    {
        var ids = new int[arr.GetArrayLength()];
        int i = 0;
        foreach (var x in arr.EnumerateArray())
            ids[i++] = x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out var id) && id >= 0 ? id
                : throw ApiException.BadRequest($"'{param}' token ids must be non-negative integers", param, "invalid_type");
        return ids;
    }

    static JsonElement? Get(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    static float? Float(JsonElement o, string name) => Get(o, name) is JsonElement v
        ? v.ValueKind == JsonValueKind.Number ? v.GetSingle() : throw ApiException.BadRequest($"'{name}' must be a number", name, "invalid_type") : null;

    static long? Long(JsonElement o, string name) => Get(o, name) is JsonElement v
        ? v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var x) ? x : throw ApiException.BadRequest($"'{name}' must be an integer", name, "invalid_type") : null;

    static int? Int(JsonElement o, string name) => Long(o, name) is long x
        ? x is >= int.MinValue and <= int.MaxValue ? (int)x : throw ApiException.BadRequest($"'{name}' is out of range", name, "invalid_value") : null;

    static bool? Bool(JsonElement o, string name, string prefix = "") => Get(o, name) is JsonElement v
        ? v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw ApiException.BadRequest($"'{prefix}{name}' must be true or false", prefix + name, "invalid_type") : null;
}
