// The tokenizer's own chat_template, rendered by SharpSeek.Tokenizers.ChatTemplate (the Jinja subset real
// templates use) with bos/eos bound as transformers' apply_chat_template binds them. Parsed once per model.
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine;

public sealed class TemplateFormat : IChatFormatter
{
    readonly ChatTemplate template;
    readonly Dictionary<string, object?> specials = new();

    public TemplateFormat(Tokenizer tokenizer, string source, string bos, string eos)
    {
        template = new ChatTemplate(source);
        specials["bos_token"] = bos;
        specials["eos_token"] = eos;
        _ = tokenizer;
    }

    public string Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt) =>
        template.Render(turns.Select(t => new ChatMessage(t.Role, t.Content)).ToList(), addGenerationPrompt, specials);
}
