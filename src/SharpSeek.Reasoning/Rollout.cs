// Batched sampling on the fast inference path (InferenceModel) for evaluation and GRPO rollouts until the serving
// engine's scheduler can be used from here (the Engine sits above this project). Up to maxParallel sequences run
// together: their prompts are prefilled in one batched forward, then each step feeds every unfinished sequence's last
// token in one forward. Each completion has its own seeded sampler, so results do not depend on the batching.
using SharpSeek.Model;
using SharpSeek.Model.Inference;
using SharpSeek.Tokenizers;

namespace SharpSeek.Reasoning;

/// <summary>Generated token ids (stop token excluded); Finished = stopped by a stop token rather than the length limit.</summary>
public sealed record RolloutSample(int[] Tokens, bool Finished);

public static class Rollout
{
    /// <summary>
    /// k samples for each prompt: result[prompt][sample]. tokenizerVocab (optional) masks the ids at and above it — the
    /// padding rows of an embedding larger than the tokenizer (Qwen's 151936 vs 151665), which no text decodes to.
    /// </summary>
    public static RolloutSample[][] Generate(InferenceModel model, IReadOnlyList<int[]> prompts, int k, SamplingSettings sampling,
        IReadOnlyCollection<int> stopIds, int maxParallel = 16, int? tokenizerVocab = null)
    {
        sampling.Validate();
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be ≥ 1");
        int context = model.MaxContext, v = model.Config.VocabSize;
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i].Length == 0) throw new ArgumentException($"prompt {i} is empty");
            if (prompts[i].Length >= context)
                throw new ArgumentException($"prompt {i} has {prompts[i].Length} tokens; the model's context is {context} (max_position_embeddings / InferenceOptions.MaxContext), which leaves no room to generate");
        }
        var jobs = (from p in Enumerable.Range(0, prompts.Count) from s in Enumerable.Range(0, k) select (Prompt: p, Sample: s)).ToList();
        var result = prompts.Select(_ => new RolloutSample[k]).ToArray();
        for (int start = 0; start < jobs.Count; start += maxParallel)
        {
            var wave = jobs.Skip(start).Take(maxParallel).ToList();
            int n = wave.Count;
            var seqs = new SequenceState[n];
            var samplers = new Sampler[n];
            var outputs = new List<int>[n];
            var limit = new int[n];
            var done = new bool[n];
            var finished = new bool[n];
            var rows = new List<BatchRow>();
            for (int j = 0; j < n; j++)
            {
                var prompt = prompts[wave[j].Prompt];
                limit[j] = Math.Min(sampling.MaxTokens, context - prompt.Length);
                seqs[j] = model.NewSequence(prompt.Length + limit[j]);
                samplers[j] = new Sampler(new SamplingOptions { Temperature = sampling.Temperature, TopP = sampling.TopP, Seed = unchecked(sampling.Seed * 1_000_003 + start + j) });
                outputs[j] = [];
                for (int t = 0; t < prompt.Length; t++) rows.Add(new BatchRow(prompt[t], t, seqs[j], WantLogits: t == prompt.Length - 1));
            }
            var logits = new float[n * v];
            model.Forward(rows.ToArray(), logits);
            var active = Enumerable.Range(0, n).ToList();            // logits row r belongs to active[r]
            while (active.Count > 0)
            {
                var next = new List<int>();
                rows.Clear();
                for (int r = 0; r < active.Count; r++)
                {
                    int j = active[r];
                    var row = logits.AsSpan(r * v, v);
                    if (tokenizerVocab is int tv && tv < v) row[tv..].Fill(float.NegativeInfinity);
                    int token = samplers[j].Sample(row);
                    if (stopIds.Contains(token)) { done[j] = finished[j] = true; continue; }
                    outputs[j].Add(token);
                    if (outputs[j].Count >= limit[j]) { done[j] = true; continue; }
                    next.Add(j);
                    rows.Add(new BatchRow(token, seqs[j].Length, seqs[j]));
                }
                active = next;
                if (active.Count > 0) model.Forward(rows.ToArray(), logits);
            }
            for (int j = 0; j < n; j++) result[wave[j].Prompt][wave[j].Sample] = new RolloutSample([.. outputs[j]], finished[j]);
        }
        return result;
    }
}

/// <summary>
/// A model + tokenizer as a <see cref="GenerateCompletions"/> engine: user prompt → chat template (R1Format.RenderPrompt)
/// → ids → Rollout → text (special tokens dropped; &lt;think&gt; tags are ordinary added tokens and stay).
/// </summary>
public sealed class ModelGenerator(InferenceModel model, Tokenizer tokenizer, int maxParallel = 16)
{
    // the generated token count of each completion string this generator returned (keyed by the string instance)
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, object> generatedTokens = [];

    public InferenceModel Model => model;
    public Tokenizer Tokenizer => tokenizer;

    public IReadOnlyList<int> StopIds
    {
        get
        {
            var stop = new HashSet<int>();
            if (ModelConfig.FirstId(model.Config.EosTokenId) is int e) stop.Add(e);
            if (tokenizer.EosId is int t) stop.Add(t);
            return [.. stop];
        }
    }

    public int[] EncodePrompt(string user) => tokenizer.Encode(R1Format.RenderPrompt(tokenizer, user), addSpecialTokens: false);

    public IReadOnlyList<IReadOnlyList<string>> Generate(IReadOnlyList<string> prompts, int k, SamplingSettings sampling)
    {
        var ids = prompts.Select(EncodePrompt).ToList();
        var samples = Rollout.Generate(model, ids, k, sampling, StopIds, maxParallel, tokenizer.VocabSize);
        return samples.Select(group => (IReadOnlyList<string>)group.Select(s =>
        {
            var text = new string(tokenizer.Decode(s.Tokens, skipSpecialTokens: true));      // a fresh instance to key on
            generatedTokens.AddOrUpdate(text, s.Tokens.Length);
            return text;
        }).ToList()).ToList();
    }

    /// <summary>Tokens the model generated for a completion this generator returned (the stop token excluded); other text is encoded.</summary>
    public int CountTokens(string text) => generatedTokens.TryGetValue(text, out var n) ? (int)n : tokenizer.Encode(text).Length;
}
