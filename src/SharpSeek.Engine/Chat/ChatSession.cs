// A multi-turn conversation over a ServingModel: keeps the turns, renders them with the model's template (which
// drops earlier reasoning), streams the reply, and records it. Used by the terminal chat and SharpSeekChatClient.
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Engine.Chat;

public sealed class ChatSession(ServingModel model)
{
    readonly List<ChatTurn> turns = [];

    public ServingModel Model => model;
    public string? SystemPrompt { get; set; }
    /// <summary>DeepSeek's recommendation for R1: temperature 0.6, top-p 0.95.</summary>
    public SamplingParams Sampling { get; set; } = new() { Temperature = 0.6f, TopP = 0.95f };
    public int? MaxTokens { get; set; }
    /// <summary>Thinking budget in tokens (null = none): the engine closes the reasoning when it is spent.</summary>
    public int? MaxReasoningTokens { get; set; }
    /// <summary>Send each message alone (system prompt + this message), not the earlier turns; they are still kept and
    /// saved. For models trained on single problems, like the embedded one, which earlier turns only confuse.</summary>
    public bool SingleTurn { get; set; }
    public IReadOnlyList<ChatTurn> Turns => turns;
    public GenerationUsage? LastUsage { get; private set; }
    public FinishReason? LastFinish { get; private set; }

    public void Reset() { turns.Clear(); LastUsage = null; LastFinish = null; }

    /// <summary>The conversation: system prompt first, then the history (and the next message).</summary>
    public List<ChatTurn> Conversation(string? nextUser = null) => WithSystem(turns, nextUser);

    /// <summary>The turns the model sees for the next message: the conversation, or with SingleTurn only the system prompt and it.</summary>
    public List<ChatTurn> PromptTurns(string user) => WithSystem(SingleTurn ? [] : turns, user);

    List<ChatTurn> WithSystem(List<ChatTurn> history, string? nextUser)
    {
        var all = new List<ChatTurn>();
        if (!string.IsNullOrEmpty(SystemPrompt)) all.Add(new ChatTurn("system", SystemPrompt));
        all.AddRange(history);
        if (nextUser is not null) all.Add(new ChatTurn("user", nextUser));
        return all;
    }

    /// <summary>
    /// Streams the reply to <paramref name="user"/>. The exchange is recorded when the stream ends, also when it
    /// was cancelled (the partial answer is kept, as a stopped ChatGPT reply is).
    /// </summary>
    public async IAsyncEnumerable<GenerationDelta> SendAsync(string user, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var prompt = model.PrepareChat(PromptTurns(user), maxReasoningTokens: MaxReasoningTokens);
        var handle = model.Submit(new GenerationRequest
        {
            Prompt = prompt.Tokens, Sampling = Sampling, StartInReasoning = prompt.StartInReasoning,
            MaxTokens = model.ResolveMaxTokens(MaxTokens is int m ? Math.Min(m, model.ContextLength - prompt.Tokens.Length) : null, prompt.Tokens.Length),
            Cancellation = ct, MaxReasoningTokens = MaxReasoningTokens,
        });
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        try
        {
            await foreach (var d in handle.ReadAllAsync(CancellationToken.None))
            {
                reasoning.Append(d.Reasoning);
                content.Append(d.Content);
                if (d.Finish is FinishReason f) { LastFinish = f; LastUsage = d.Usage; }
                yield return d;
            }
        }
        finally
        {
            turns.Add(new ChatTurn("user", user));
            turns.Add(new ChatTurn("assistant", content.ToString()) { Reasoning = reasoning.Length > 0 ? reasoning.ToString() : null });
        }
    }

    /// <summary>Writes {"model", "system", "messages": [{role, content, reasoning_content?}]} as JSON.</summary>
    public void Save(string path)
    {
        var messages = Conversation().Select(t => t.Reasoning is null
            ? (object)new { role = t.Role, content = t.Content }
            : new { role = t.Role, content = t.Content, reasoning_content = t.Reasoning });
        var json = JsonSerializer.Serialize(new { model = model.Id, messages }, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, json + "\n");
    }
}
