// The task names `eval --task`, the cold-start builder and GRPO accept.
namespace SharpSeek.Reasoning.Tasks;

public static class TaskRegistry
{
    static readonly Dictionary<string, Func<ReasoningTask>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["arithmetic"] = () => new ArithmeticTask(),
        ["countdown3"] = () => new CountdownTask(3),
        ["countdown4"] = () => new CountdownTask(4),
        ["linear"] = () => new LinearTask(),
        ["evaluate"] = () => new EvaluateTask(),
        ["lookup"] = () => new LookupTask(),
    };

    public static IReadOnlyList<string> Names => [.. Factories.Keys];

    public static ReasoningTask Get(string name) =>
        Factories.TryGetValue(name, out var make) ? make()
        : throw new ArgumentException($"unknown task '{name}'; known tasks: {string.Join(", ", Factories.Keys)} (or give --data F.jsonl)");
}
