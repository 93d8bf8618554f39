// Greedy decoding with MTP self-speculation (DeepSeek-V3 §2.2 / §5.4.3): the MTP module drafts the token after
// next; one main forward over [next, draft] verifies it. Accepted: two tokens for one main step. Rejected: the
// draft's cache row is dropped (Length rolled back) and decoding continues from the corrected token. The output
// equals plain greedy decoding.
namespace SharpSeek.Model.Inference;

public sealed record SpeculativeStats(int Tokens, int MainSteps, int Drafted, int Accepted)
{
    public double AcceptanceRate => Drafted == 0 ? 0 : (double)Accepted / Drafted;
}

public static class Speculative
{
    /// <summary>Plain greedy decoding on the fast path (the baseline speculative decoding must equal).</summary>
    public static List<int> Greedy(InferenceModel m, IReadOnlyList<int> prompt, int maxTokens, int? eos = null)
    {
        int v = m.Config.VocabSize;
        var seq = m.NewSequence(prompt.Count + maxTokens);
        var logits = new float[v];
        var rows = prompt.Select((t, i) => new BatchRow(t, i, seq, WantLogits: i == prompt.Count - 1)).ToArray();
        m.Forward(rows, logits);
        var output = new List<int>();
        for (int n = 0; n < maxTokens; n++)
        {
            int next = Sampler.Argmax(logits);
            output.Add(next);
            if (next == eos || n == maxTokens - 1) break;
            m.Forward([new BatchRow(next, seq.Length, seq)], logits);
        }
        return output;
    }

    public static (List<int> Tokens, SpeculativeStats Stats) GreedyWithMtp(InferenceModel m, IReadOnlyList<int> prompt, int maxTokens, int? eos = null)
    {
        if (!m.HasMtp) throw new InvalidOperationException("speculative decoding needs a model with an MTP module (num_nextn_predict_layers ≥ 1)");
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty");
        int v = m.Config.VocabSize, d = m.Config.HiddenSize, P = prompt.Count;
        if (P > m.Options.MaxBatch) throw new ArgumentException($"the prompt ({P} tokens) must fit one batch (MaxBatch {m.Options.MaxBatch}) to feed the MTP module");
        var seq = m.NewSequence(P + maxTokens + 1);
        var logits = new float[P * v];
        var hidden = new float[P * d];
        var output = new List<int>();
        int mainSteps = 1, drafted = 0, accepted = 0;

        // prefill: every position's logits and hidden state (the MTP module needs h_j for all j)
        m.Forward(prompt.Select((t, i) => new BatchRow(t, i, seq)).ToArray(), logits, hidden);
        int next = Sampler.Argmax(logits.AsSpan((P - 1) * v, v));
        output.Add(next);
        // MTP entries j = 0..P-1 pair h_j with t_{j+1}; the last one drafts the token after `next`
        var mtpRows = Enumerable.Range(0, P).Select(j => new BatchRow(j + 1 < P ? prompt[j + 1] : next, j, seq, WantLogits: j == P - 1)).ToArray();
        var draftLogits = new float[v];
        m.ForwardMtp(mtpRows, hidden, draftLogits);

        var verifyLogits = new float[2 * v];
        var verifyHidden = new float[2 * d];
        while (output.Count < maxTokens && next != eos)
        {
            int draft = Sampler.Argmax(draftLogits);
            int pos = seq.Length;                           // position of `next`
            m.Forward([new BatchRow(next, pos, seq), new BatchRow(draft, pos + 1, seq)], verifyLogits, verifyHidden);
            mainSteps++; drafted++;
            int after = Sampler.Argmax(verifyLogits.AsSpan(0, v));     // the true token at pos + 1
            if (after == draft)
            {
                accepted++;
                int third = Sampler.Argmax(verifyLogits.AsSpan(v, v));
                output.Add(draft);
                if (output.Count >= maxTokens || draft == eos) break;
                output.Add(third);
                // MTP entries for pos (h, draft) and pos + 1 (h, third); the second drafts the next one
                m.ForwardMtp([new BatchRow(draft, pos, seq, false), new BatchRow(third, pos + 1, seq)], verifyHidden, draftLogits);
                next = third;
            }
            else
            {
                seq.Length = pos + 1;                       // drop the rejected draft's cache row
                output.Add(after);
                m.ForwardMtp([new BatchRow(after, pos, seq)], verifyHidden.AsSpan(0, d), draftLogits);
                next = after;
            }
        }
        if (output.Count > maxTokens) output.RemoveRange(maxTokens, output.Count - maxTokens);
        return (output, new SpeculativeStats(output.Count, mainSteps, drafted, accepted));
    }
}
