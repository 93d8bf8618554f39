// A model ready to serve: weights behind the step seam, its tokenizer and chat format, and the scheduler that
// owns its sequences. The CLI chat, the HTTP server and SharpSeekChatClient all go through one of these.
using Microsoft.Extensions.Logging;
using SharpSeek.Model;
using SharpSeek.Model.Inference;
using SharpSeek.Engine.Sampling;
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine;

public sealed record EngineOptions
{
    /// <summary>Name clients use in "model"; default: the folder's name.</summary>
    public string? ModelId { get; init; }
    public SchedulerOptions Scheduler { get; init; } = new() { ContextLength = 4096 };
    /// <summary>max_tokens when a request gives none (capped by what is left of the context).</summary>
    public int DefaultMaxTokens { get; init; } = 1024;
    public ILoggerFactory? LoggerFactory { get; init; }
    /// <summary>Use the fp32 reference Transformer instead of the fast batched path (slow; for checking).</summary>
    public bool Reference { get; init; }
    /// <summary>Worker threads of the fast path; 0 = one per core.</summary>
    public int Threads { get; init; }
}

/// <summary>A prompt ready for the scheduler. ContinuesAnswer: it ends inside the answer (chat prefix completion),
/// so the output is raw continuation text (no reasoning split, no trimming).</summary>
public sealed record PreparedPrompt(int[] Tokens, bool StartInReasoning, string Text)
{
    public bool ContinuesAnswer { get; init; }
}

public sealed class ServingModel : IDisposable
{
    public string Id { get; }
    public Tokenizer Tokenizer { get; }
    public IStepModel Model { get; }
    public IChatFormatter Formatter { get; }
    public Scheduler Scheduler { get; }
    public EngineOptions Options { get; }
    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;
    public int ContextLength => Scheduler.ContextLength;
    /// <summary>The model answers one message at a time (trained on single problems): chat front ends send each
    /// message without the earlier turns. Advertised as <c>single_turn</c> in /v1/models; the API itself is unchanged.</summary>
    public bool SingleTurn { get; set; }

    public ServingModel(string id, IStepModel model, Tokenizer tokenizer, IChatFormatter formatter, IEnumerable<int> stopTokenIds, EngineOptions? options = null)
    {
        Options = options ??= new EngineOptions();
        Id = id;
        Model = model;
        Tokenizer = tokenizer;
        Formatter = formatter;
        if (tokenizer.VocabSize > model.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} tokens but the model's vocab_size is {model.VocabSize}: they do not belong together");
        Scheduler = new Scheduler(model, tokenizer, stopTokenIds, options.Scheduler, options.LoggerFactory?.CreateLogger<Scheduler>());
    }

    /// <summary>Loads an HF folder with config.json, safetensors and tokenizer.json (+ tokenizer_config.json).</summary>
    public static ServingModel Load(string path, EngineOptions? options = null)
    {
        options ??= new EngineOptions();
        string dir = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!File.Exists(Path.Combine(dir, "tokenizer.json")))
            throw new FileNotFoundException($"{dir} has no tokenizer.json: chat and serve need a model folder with its tokenizer (config.json, *.safetensors, tokenizer.json, tokenizer_config.json)");
        var tokenizer = Tokenizer.Load(dir);
        IStepModel step;
        ModelConfig config;
        if (options.Reference)
        {
            var transformer = Transformer.Load(path, new LoadOptions { LoadMtp = false });
            (step, config) = (new TransformerStepModel(transformer), transformer.Config);
        }
        else
        {
            int context = options.Scheduler.ContextLength > 0 ? options.Scheduler.ContextLength : int.MaxValue;
            var fast = InferenceModel.Load(path, new InferenceOptions
            {
                MaxContext = context, LoadMtp = false,
                Threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
                MaxBatch = Math.Max(64, options.Scheduler.MaxBatch),
            });
            (step, config) = (new FastStepModel(fast), fast.Config);
        }
        var stops = new HashSet<int>();
        if (ModelConfig.FirstId(config.EosTokenId) is int e) stops.Add(e);
        if (tokenizer.EosId is int te) stops.Add(te);
        var id = options.ModelId ?? new DirectoryInfo(dir).Name;
        if (options.Scheduler.PrefixCacheDir is string spill)
            options = options with { Scheduler = options.Scheduler with { PrefixCacheDir = SpillFolder(spill, id, path) } };
        try { return new ServingModel(id, step, tokenizer, ChatFormats.For(tokenizer), stops, options); }
        catch { (step as IDisposable)?.Dispose(); throw; }
    }

    /// <summary>
    /// A model's prefix-cache spill folder: root/&lt;id&gt;-&lt;hash of the model path and its weight and config files'
    /// names, sizes and times&gt;, so blocks of changed or other weights are never read back.
    /// </summary>
    static string SpillFolder(string root, string id, string path)
    {
        string dir = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        var stamp = new System.Text.StringBuilder(Path.GetFullPath(path));
        foreach (var f in new DirectoryInfo(dir).EnumerateFiles().Where(f => f.Extension is ".safetensors" or ".gguf" or ".json").OrderBy(f => f.Name, StringComparer.Ordinal))
            stamp.Append($"|{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}");
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(stamp.ToString()));
        return Path.Combine(root, $"{id}-{Convert.ToHexStringLower(hash, 0, 6)}");
    }

    /// <summary>
    /// Renders the turns with the model's chat format and tokenizes them. Tools are listed by the template when it
    /// reads `tools`, else in a system section written in the model's tool-call format. A last assistant turn with
    /// <see cref="ChatTurn.Prefix"/> is continued: its reasoning (if any) and content follow the generation prompt;
    /// with content, the reasoning block is closed first. A thinking budget too small for the closing tag closes
    /// the reasoning in the prompt (no thinking).
    /// </summary>
    public PreparedPrompt PrepareChat(IReadOnlyList<ChatTurn> turns, IReadOnlyList<ToolDefinition>? tools = null, int? maxReasoningTokens = null)
    {
        var prefix = turns.Count > 0 && turns[^1] is { Role: "assistant", Prefix: true } last ? last : null;
        var body = prefix is null ? turns : turns.Take(turns.Count - 1).ToList();
        if (tools is { Count: > 0 } && !Formatter.RendersTools) body = WithToolPrompt(body, ToolFormat.SystemPrompt(tools));
        var text = Formatter.Render(body, addGenerationPrompt: true, tools);
        bool think = text.TrimEnd().EndsWith("<think>", StringComparison.Ordinal);
        bool continues = false;
        if (prefix is not null)
        {
            if (!think) { text += prefix.Content; continues = true; }
            else if (prefix.Content.Length == 0) text += prefix.Reasoning ?? "";
            else { text += (prefix.Reasoning ?? "") + Scheduler.ThinkCloseText + prefix.Content; think = false; continues = true; }
        }
        if (think && maxReasoningTokens is int b && b < Scheduler.ThinkCloseReasoningTokens) { text += Scheduler.ThinkCloseText; think = false; }
        return new PreparedPrompt(Tokenizer.Encode(text, addSpecialTokens: false), think, text) { ContinuesAnswer = continues };
    }

    /// <summary>
    /// The grammars a request's output is held to: tool calls from the start (tool_choice required or a named
    /// function), or JSON (response_format), or — tool_choice auto — tool calls once the model opens them. With
    /// both auto tools and JSON output, the answer is either the calls or the JSON value. Throws
    /// <see cref="Constrained.SchemaException"/> for a schema the grammar compiler does not take.
    /// </summary>
    public (Constrained.Grammar? Grammar, Constrained.Grammar? AfterToolMarker) OutputGrammar(
        IReadOnlyList<ToolDefinition> tools, ToolChoice choice, bool parallelToolCalls, bool json, System.Text.Json.JsonElement? jsonSchema)
    {
        bool anyTools = tools.Count > 0 && choice.Mode != ToolChoiceMode.None;
        if (anyTools && choice.Mode is ToolChoiceMode.Required or ToolChoiceMode.Function)
            return (OutputGrammars.ToolCalls(Tokenizer, ToolFormat, tools, choice.Function, parallelToolCalls, afterMarker: false), null);
        if (json && anyTools) return (OutputGrammars.JsonOrToolCalls(Tokenizer, ToolFormat, tools, parallelToolCalls, jsonSchema), null);
        if (json) return (OutputGrammars.Json(jsonSchema), null);
        if (anyTools) return (null, OutputGrammars.ToolCalls(Tokenizer, ToolFormat, tools, null, parallelToolCalls, afterMarker: true));
        return (null, null);
    }

    /// <summary>The model's tool-call format (DeepSeek's tokens, or Hermes' &lt;tool_call&gt; tags).</summary>
    public ToolCallFormat ToolFormat => toolFormat ??= ToolCallFormat.For(Tokenizer);
    ToolCallFormat? toolFormat;

    static List<ChatTurn> WithToolPrompt(IReadOnlyList<ChatTurn> turns, string toolPrompt)
    {
        var list = turns.ToList();
        int i = list.FindLastIndex(t => t.Role == "system");      // R1's template keeps the last system message
        if (i < 0) list.Insert(0, new ChatTurn("system", toolPrompt));
        else list[i] = list[i] with { Content = list[i].Content + "\n\n" + toolPrompt };
        return list;
    }

    /// <summary>A raw completion prompt: BOS (when the tokenizer adds one) + text.</summary>
    public PreparedPrompt PrepareText(string text) => new(Tokenizer.Encode(text, addSpecialTokens: true), false, text);

    /// <summary>
    /// A fill-in-the-middle prompt in the tokenizer's own FIM tokens (prefix-suffix-middle order): DeepSeek's
    /// &lt;｜fim▁begin｜&gt;P&lt;｜fim▁hole｜&gt;S&lt;｜fim▁end｜&gt;, Qwen's &lt;|fim_prefix|&gt;P&lt;|fim_suffix|&gt;S&lt;|fim_middle|&gt;, StarCoder's
    /// &lt;fim_prefix&gt;…. Throws <see cref="ParameterException"/> (param "suffix") when the model has no FIM tokens.
    /// </summary>
    public PreparedPrompt PrepareFim(string prefix, string suffix)
    {
        foreach (var (pre, suf, mid) in FimTokens)
            if (Tokenizer.TokenToId(pre) is not null && Tokenizer.TokenToId(suf) is not null && Tokenizer.TokenToId(mid) is not null)
            {
                string text = pre + prefix + suf + suffix + mid;
                return new PreparedPrompt(Tokenizer.Encode(text, addSpecialTokens: true), false, text);
            }
        throw new ParameterException("suffix", $"the model '{Id}' has no fill-in-the-middle tokens (such as <｜fim▁begin｜> or <|fim_prefix|>), so it cannot complete between a prompt and a suffix; send the prompt without a suffix");
    }

    /// <summary>(before prefix, before suffix, before the middle to generate) per tokenizer family.</summary>
    static readonly (string, string, string)[] FimTokens =
    [
        ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
        ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
        ("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    ];

    /// <summary>max_tokens to use: the request's, or the default capped by what is left of the context.</summary>
    public int ResolveMaxTokens(int? requested, int promptTokens) =>
        requested ?? Math.Max(1, Math.Min(Options.DefaultMaxTokens, ContextLength - promptTokens));

    public GenerationHandle Submit(GenerationRequest request) => Scheduler.Submit(request);
    public GenerationHandle[] SubmitAll(IReadOnlyList<GenerationRequest> requests) => Scheduler.SubmitAll(requests);

    public void Dispose()
    {
        Scheduler.Dispose();
        (Model as IDisposable)?.Dispose();
    }
}

public static class ChatFormats
{
    /// <summary>The formatter for a tokenizer: its own chat_template when there is one, else DeepSeek-R1's.</summary>
    public static IChatFormatter For(Tokenizer tokenizer)
    {
        string bos = tokenizer.BosId is int b ? tokenizer.IdToToken(b) ?? "" : "";
        string eos = tokenizer.EosId is int e ? tokenizer.IdToToken(e) ?? "" : "";
        if (tokenizer.ChatTemplate is string template) return new TemplateFormat(tokenizer, template, bos, eos);
        return new DeepSeekR1Format(bos, eos);
    }
}
