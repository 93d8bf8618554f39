// Chat messages → prompt text. The model's own chat template (tokenizer_config.json, rendered by
// SharpSeek.Tokenizers.ChatTemplate) is the source of truth; DeepSeekR1Format is the built-in R1 template for
// folders without one (and the oracle its tests compare against). Earlier reasoning is dropped from assistant
// turns, as R1's template does (it keeps only what follows </think>).
using System.Text;

namespace SharpSeek.Engine;

/// <summary>
/// One chat turn: role is system, user, assistant or tool. Reasoning is kept for display and /save, never re-sent.
/// An assistant turn may carry the tool calls it made; a tool turn answers the call <see cref="ToolCallId"/>.
/// </summary>
public sealed record ChatTurn(string Role, string Content)
{
    public string? Reasoning { get; init; }
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
    public string? ToolCallId { get; init; }
    /// <summary>The function a tool turn answers (OpenAI's optional `name`).</summary>
    public string? Name { get; init; }
    /// <summary>Chat prefix completion: this last assistant turn is the start of the reply, which the model continues.</summary>
    public bool Prefix { get; init; }
    public static readonly string[] Roles = ["system", "user", "assistant", "tool"];
}

public interface IChatFormatter
{
    /// <summary>Prompt text for <paramref name="turns"/>, ending with the assistant's opening when asked.</summary>
    string Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt, IReadOnlyList<ToolDefinition>? tools = null);
    /// <summary>True when the format lists tool definitions itself (a template that reads `tools`).</summary>
    bool RendersTools { get; }
}

/// <summary>DeepSeek-R1's chat template (R1 and the R1-Distill models): BOS, system, ＜｜User｜＞…＜｜Assistant｜＞…EOS, and "&lt;think&gt;\n" opening the answer.</summary>
public sealed class DeepSeekR1Format(string bos = "<｜begin▁of▁sentence｜>", string eos = "<｜end▁of▁sentence｜>", bool openThink = true) : IChatFormatter
{
    public const string User = "<｜User｜>", Assistant = "<｜Assistant｜>";

    public bool RendersTools => false;

    public string Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt, IReadOnlyList<ToolDefinition>? tools = null)
    {
        var f = DeepSeekToolFormat.Instance;
        var sb = new StringBuilder(bos);
        // as the distill template: the last system message wins, placed right after BOS
        foreach (var t in turns) if (t.Role == "system") { sb.Length = bos.Length; sb.Append(t.Content); }
        bool inTool = false, firstOutput = true;
        foreach (var t in turns)
        {
            if (t.Role == "user") { inTool = false; sb.Append(User).Append(t.Content); }
            else if (t.Role == "assistant")
            {
                if (t.ToolCalls is { Count: > 0 } calls)
                {
                    inTool = false;
                    sb.Append(Assistant).Append(f.CallsBegin);
                    for (int i = 0; i < calls.Count; i++) sb.Append(i > 0 ? "\n" : "").Append(f.RenderCall(calls[i]));
                    sb.Append(f.CallsEnd).Append(eos);
                }
                else if (inTool) { inTool = false; sb.Append(DeepSeekToolFormat.OutputsEnd).Append(t.Content).Append(eos); }
                else sb.Append(Assistant).Append(AnswerOnly(t.Content)).Append(eos);
            }
            else if (t.Role == "tool")
            {
                sb.Append(firstOutput ? DeepSeekToolFormat.OutputsBegin : "\n").Append(DeepSeekToolFormat.OutputBegin).Append(t.Content).Append(DeepSeekToolFormat.OutputEnd);
                inTool = true;
                firstOutput = false;
            }
        }
        if (inTool) sb.Append(DeepSeekToolFormat.OutputsEnd);
        if (addGenerationPrompt && !inTool) sb.Append(Assistant).Append(openThink ? "<think>\n" : "");
        return sb.ToString();
    }

    /// <summary>The text after the last &lt;/think&gt; (the template's content.split('&lt;/think&gt;')[-1]).</summary>
    public static string AnswerOnly(string content)
    {
        int i = content.LastIndexOf("</think>", StringComparison.Ordinal);
        return i < 0 ? content : content[(i + "</think>".Length)..];
    }
}
