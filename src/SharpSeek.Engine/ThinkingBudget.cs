// Reasoning effort (OpenAI's reasoning_effort, Microsoft.Extensions.AI's ReasoningEffort) as thinking budgets in
// tokens. Minimal/none skips the reasoning (the prompt closes it); high sets no limit beyond max_tokens.
namespace SharpSeek.Engine;

public static class ThinkingBudget
{
    public static readonly IReadOnlyDictionary<string, int?> ForEffort = new Dictionary<string, int?>
    {
        ["none"] = 0, ["minimal"] = 0, ["low"] = 512, ["medium"] = 2048, ["high"] = null,
    };
}
