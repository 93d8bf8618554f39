// Runs an evaluation on any generation engine: the engine is a delegate from user prompts to k completions each.
// Defaults follow R1's protocol: k samples at temperature 0.6, top-p 0.95; pass@1 averaged over them; cons@k.
namespace SharpSeek.Reasoning;

/// <summary>Sampling for a generation call. Temperature 0 = greedy.</summary>
public sealed record SamplingSettings(float Temperature, float TopP, int MaxTokens, int Seed = 0)
{
    /// <summary>R1's evaluation setting: temperature 0.6, top-p 0.95.</summary>
    public static SamplingSettings R1Eval(int maxTokens, int seed = 0) => new(0.6f, 0.95f, maxTokens, seed);
    public static SamplingSettings Greedy(int maxTokens) => new(0, 1, maxTokens);

    public SamplingSettings Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be ≥ 0 (0 = greedy)");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1]");
        if (MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "max tokens must be ≥ 1");
        return this;
    }
}

/// <summary>
/// The engine: for each user prompt (the problem text, before any chat template), k completions (the text the model
/// generated after the rendered prompt).
/// </summary>
public delegate IReadOnlyList<IReadOnlyList<string>> GenerateCompletions(IReadOnlyList<string> prompts, int k, SamplingSettings sampling);

public sealed record ProblemResult(Problem Problem, IReadOnlyList<string> Completions, IReadOnlyList<string?> Answers,
    IReadOnlyList<bool> Correct, IReadOnlyList<bool> WellFormed, string? Majority, bool MajorityCorrect);

/// <summary>N problems × K samples. PassAtK: the share of problems with a correct sample among the K (what sharpening
/// the sampled policy, as RL does, could at most reach at pass@1). MeanResponseLength is in LengthUnit ("tokens" with
/// a token counter, else "chars").</summary>
public sealed record EvalReport(int N, int K, double PassAt1, double ConsAtK, double FormatRate, double MeanResponseLength,
    string LengthUnit, IReadOnlyList<ProblemResult> Problems)
{
    public double PassAtK => N == 0 ? 0 : Problems.Average(r => Metrics.PassAtK(K, r.Correct.Count(c => c), K));
}

public sealed class Evaluator(GenerateCompletions generate, Func<string, int>? countTokens = null)
{
    public EvalReport Run(IReadOnlyList<Problem> problems, int k, SamplingSettings sampling)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be ≥ 1");
        sampling.Validate();
        var completions = generate(problems.Select(p => p.Prompt).ToList(), k, sampling);
        if (completions.Count != problems.Count) throw new InvalidOperationException($"the engine returned {completions.Count} completion lists for {problems.Count} prompts");
        var results = new List<ProblemResult>(problems.Count);
        var lengths = new List<int>();
        for (int i = 0; i < problems.Count; i++)
        {
            var c = completions[i];
            if (c.Count != k) throw new InvalidOperationException($"the engine returned {c.Count} completions for prompt {i}, expected {k}");
            var parsed = c.Select(R1Format.Parse).ToList();
            var answers = parsed.Select(p => p.Answer).ToList();
            var correct = c.Select(text => Rewards.Accuracy(problems[i], text) > 0).ToList();
            var (majority, ok) = Metrics.Consensus(problems[i], answers);
            results.Add(new ProblemResult(problems[i], c, answers, correct, parsed.Select(p => p.WellFormed).ToList(), majority, ok));
            lengths.AddRange(c.Select(text => countTokens?.Invoke(text) ?? text.Length));
        }
        return new EvalReport(
            problems.Count, k,
            Metrics.PassAt1(results.Select(r => r.Correct).ToList()),
            problems.Count == 0 ? 0 : (double)results.Count(r => r.MajorityCorrect) / problems.Count,
            Metrics.Accuracy(results.SelectMany(r => r.WellFormed).ToList()),
            Metrics.MeanLength(lengths),
            countTokens is null ? "chars" : "tokens",
            results);
    }

    /// <summary>Greedy accuracy: one temperature-0 completion per problem.</summary>
    public EvalReport Greedy(IReadOnlyList<Problem> problems, int maxTokens) => Run(problems, 1, SamplingSettings.Greedy(maxTokens));
}
