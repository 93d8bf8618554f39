// A model ready to serve: weights behind the step seam, its tokenizer and chat format, and the scheduler that
// owns its sequences. The CLI chat, the HTTP server and SharpSeekChatClient all go through one of these.
using Microsoft.Extensions.Logging;
using SharpSeek.Model;
using SharpSeek.Model.Inference;
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

/// <summary>A prompt ready for the scheduler.</summary>
public sealed record PreparedPrompt(int[] Tokens, bool StartInReasoning, string Text);

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
        try { return new ServingModel(id, step, tokenizer, ChatFormats.For(tokenizer), stops, options); }
        catch { (step as IDisposable)?.Dispose(); throw; }
    }

    public PreparedPrompt PrepareChat(IReadOnlyList<ChatTurn> turns)
    {
        var text = Formatter.Render(turns, addGenerationPrompt: true);
        bool think = text.TrimEnd().EndsWith("<think>", StringComparison.Ordinal);
        return new PreparedPrompt(Tokenizer.Encode(text, addSpecialTokens: false), think, text);
    }

    /// <summary>A raw completion prompt: BOS (when the tokenizer adds one) + text.</summary>
    public PreparedPrompt PrepareText(string text) => new(Tokenizer.Encode(text, addSpecialTokens: true), false, text);

    /// <summary>max_tokens to use: the request's, or the default capped by what is left of the context.</summary>
    public int ResolveMaxTokens(int? requested, int promptTokens) =>
        requested ?? Math.Max(1, Math.Min(Options.DefaultMaxTokens, ContextLength - promptTokens));

    public GenerationHandle Submit(GenerationRequest request) => Scheduler.Submit(request);

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
