// The tokenizer's own chat_template. Until the Jinja renderer (SharpSeek.Tokenizers.ChatTemplate) lands, R1-family
// templates are recognised and rendered by DeepSeekR1Format, which reproduces their output exactly.
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine;

public sealed class TemplateFormat : IChatFormatter
{
    readonly IChatFormatter inner;

    public TemplateFormat(Tokenizer tokenizer, string template, string bos, string eos)
    {
        _ = tokenizer;
        if (!template.Contains(DeepSeekR1Format.Assistant, StringComparison.Ordinal))
            throw new NotSupportedException("this tokenizer's chat_template is not DeepSeek's; other templates need the Jinja renderer (SharpSeek.Tokenizers.ChatTemplate)");
        inner = new DeepSeekR1Format(bos, eos, openThink: template.Contains("<think>", StringComparison.Ordinal));
    }

    public string Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt) => inner.Render(turns, addGenerationPrompt);
}
