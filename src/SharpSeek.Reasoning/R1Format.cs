// The prompt/response format of the whole recipe (docs/R1-RECIPE.md § Format):
//   prompt     = the chat template over one user turn, with the generation prompt (R1-Distill's ends "<｜Assistant｜><think>\n")
//   assistant  = "<think>\n" REASONING "\n</think>\n<answer>" ANSWER "</answer>"
// When the template already opened <think> the completion starts at REASONING; the parser accepts both.
// The answer is only ever read after the last </think>: an answer written inside the reasoning does not count.
using SharpSeek.Tokenizers;

namespace SharpSeek.Reasoning;

/// <summary>
/// A response split R1-style. Reasoning: the text inside &lt;think&gt;…&lt;/think&gt; (null when </think> never came:
/// truncated or malformed). Content: what follows the last &lt;/think&gt; (what a chat user sees). Answer: the trimmed
/// text of the last &lt;answer&gt;…&lt;/answer&gt; in Content, or null. WellFormed: the strict format of the recipe.
/// </summary>
public sealed record ParsedResponse(string? Reasoning, string Content, string? Answer, bool WellFormed);

public static class R1Format
{
    public const string ThinkOpen = "<think>", ThinkClose = "</think>", AnswerOpen = "<answer>", AnswerClose = "</answer>";

    /// <summary>The whole assistant turn for a reasoning and an answer (cold-start SFT targets are built by this).</summary>
    public static string Assistant(string reasoning, string answer) => $"{ThinkOpen}\n{reasoning.Trim()}\n{ThinkClose}\n{AnswerOpen}{answer.Trim()}{AnswerClose}";

    /// <summary>
    /// The rendered prompt for one user message: the tokenizer's chat template with the generation prompt. Without a
    /// template, R1-Distill's turn markers are used: "&lt;｜User｜&gt;{user}&lt;｜Assistant｜&gt;&lt;think&gt;\n" (BOS text first when the tokenizer has one).
    /// </summary>
    public static string RenderPrompt(Tokenizer tokenizer, string user)
    {
        if (tokenizer.ChatTemplate is not null) return ChatTemplate.Render(tokenizer, [new ChatMessage("user", user)], addGenerationPrompt: true);
        string bos = tokenizer.BosId is int b ? tokenizer.IdToToken(b) ?? "" : "";
        return $"{bos}<｜User｜>{user}<｜Assistant｜>{ThinkOpen}\n";
    }

    /// <summary>Whether the rendered prompt already opened the think block (so the model starts with the reasoning).</summary>
    public static bool PromptOpensThink(string renderedPrompt) => renderedPrompt.TrimEnd().EndsWith(ThinkOpen, StringComparison.Ordinal);

    /// <summary>
    /// The part of a full assistant turn the model must generate after <paramref name="renderedPrompt"/> (drops the
    /// "&lt;think&gt;\n" the template already wrote). SFT trains on exactly this text (+ EOS).
    /// </summary>
    public static string Completion(string renderedPrompt, string assistant)
    {
        if (!PromptOpensThink(renderedPrompt)) return assistant;
        var tail = renderedPrompt[renderedPrompt.LastIndexOf(ThinkOpen, StringComparison.Ordinal)..];     // "<think>" or "<think>\n"
        return assistant.StartsWith(tail, StringComparison.Ordinal) ? assistant[tail.Length..]
             : assistant.StartsWith(ThinkOpen, StringComparison.Ordinal) ? assistant[ThinkOpen.Length..].TrimStart('\n') : assistant;
    }

    /// <summary>
    /// The strict format (the format reward): optional leading "&lt;think&gt;", non-blank reasoning with no tags in it,
    /// one "&lt;/think&gt;", only whitespace, one "&lt;answer&gt;non-blank&lt;/answer&gt;", only whitespace to the end.
    /// </summary>
    public static bool IsWellFormed(string completion)
    {
        var t = completion.AsSpan().TrimStart();
        if (t.StartsWith(ThinkOpen)) t = t[ThinkOpen.Length..];
        if (Count(t, ThinkOpen) != 0 || Count(t, ThinkClose) != 1 || Count(t, AnswerOpen) != 1 || Count(t, AnswerClose) != 1) return false;
        int close = t.IndexOf(ThinkClose), a0 = t.IndexOf(AnswerOpen), a1 = t.IndexOf(AnswerClose);
        return close < a0 && a0 < a1
            && !t[..close].IsWhiteSpace()
            && t[(close + ThinkClose.Length)..a0].IsWhiteSpace()
            && !t[(a0 + AnswerOpen.Length)..a1].IsWhiteSpace()
            && t[(a1 + AnswerClose.Length)..].IsWhiteSpace();

        static int Count(ReadOnlySpan<char> s, string tag)
        {
            int n = 0;
            for (int i = s.IndexOf(tag); i >= 0; i = s.IndexOf(tag)) { n++; s = s[(i + tag.Length)..]; }
            return n;
        }
    }

    /// <summary>Splits a completion (or a whole assistant turn; a leading &lt;think&gt; is optional).</summary>
    public static ParsedResponse Parse(string completion)
    {
        var text = completion ?? "";
        int close = text.LastIndexOf(ThinkClose, StringComparison.Ordinal);
        if (close < 0) return new ParsedResponse(null, "", null, false);
        var reasoning = text[..close];
        int open = reasoning.IndexOf(ThinkOpen, StringComparison.Ordinal);
        if (open >= 0) reasoning = reasoning[(open + ThinkOpen.Length)..];
        var content = text[(close + ThinkClose.Length)..];
        string? answer = null;
        int a1 = content.LastIndexOf(AnswerClose, StringComparison.Ordinal);
        if (a1 >= 0)
        {
            int a0 = content.LastIndexOf(AnswerOpen, a1, StringComparison.Ordinal);
            if (a0 >= 0) answer = content[(a0 + AnswerOpen.Length)..a1].Trim();
        }
        return new ParsedResponse(reasoning.Trim(), content.Trim(), string.IsNullOrEmpty(answer) ? null : answer, IsWellFormed(text));
    }
}
