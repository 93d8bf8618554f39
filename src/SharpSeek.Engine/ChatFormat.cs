// Chat messages → prompt text. The model's own chat template (tokenizer_config.json, rendered by
// SharpSeek.Tokenizers.ChatTemplate) is the source of truth; DeepSeekR1Format is the built-in R1 template for
// folders without one (and the oracle its tests compare against). Earlier reasoning is dropped from assistant
// turns, as R1's template does (it keeps only what follows </think>).
using System.Text;

namespace SharpSeek.Engine;

/// <summary>One chat turn: role is system, user or assistant. Reasoning is kept for display and /save, never re-sent.</summary>
public sealed record ChatTurn(string Role, string Content)
{
    public string? Reasoning { get; init; }
    public static readonly string[] Roles = ["system", "user", "assistant"];
}

public interface IChatFormatter
{
    /// <summary>Prompt text for <paramref name="turns"/>, ending with the assistant's opening when asked.</summary>
    string Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt);
}

/// <summary>DeepSeek-R1's chat template (R1 and the R1-Distill models): BOS, system, ＜｜User｜＞…＜｜Assistant｜＞…EOS, and "&lt;think&gt;\n" opening the answer.</summary>
public sealed class DeepSeekR1Format(string bos = "<｜begin▁of▁sentence｜>", string eos = "<｜end▁of▁sentence｜>", bool openThink = true) : IChatFormatter
{
    public const string User = "<｜User｜>", Assistant = "<｜Assistant｜>";

    public string Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt)
    {
        var sb = new StringBuilder(bos);
        // as the distill template: the last system message wins, placed right after BOS
        foreach (var t in turns) if (t.Role == "system") { sb.Length = bos.Length; sb.Append(t.Content); }
        foreach (var t in turns)
        {
            if (t.Role == "user") sb.Append(User).Append(t.Content);
            else if (t.Role == "assistant") sb.Append(Assistant).Append(AnswerOnly(t.Content)).Append(eos);
        }
        if (addGenerationPrompt) sb.Append(Assistant).Append(openThink ? "<think>\n" : "");
        return sb.ToString();
    }

    /// <summary>The text after the last &lt;/think&gt; (the template's content.split('&lt;/think&gt;')[-1]).</summary>
    public static string AnswerOnly(string content)
    {
        int i = content.LastIndexOf("</think>", StringComparison.Ordinal);
        return i < 0 ? content : content[(i + "</think>".Length)..];
    }
}
