// Prompt + completion token sequences as a training Batch: one sequence per row, padded to the longest, the loss only
// on completion tokens (targets −1 on the prompt and the padding). Shared by SFT and GRPO.
//   ids        = prompt ++ completion               (completion ends with EOS when the turn finished)
//   row input  = ids[0 .. len−2], padded            targets[t] = ids[t+1] for t ≥ promptLength − 1, else −1
//   completion token j sits at row position promptLength − 1 + j
using SharpSeek.Training;

namespace SharpSeek.Reasoning;

/// <summary>A token sequence whose first PromptLength ids are the prompt; the rest is the completion (trained on).</summary>
public sealed record TokenSequence(int[] Ids, int PromptLength)
{
    public int CompletionLength => Ids.Length - PromptLength;
}

public static class SequenceBatch
{
    /// <summary>B = sequences.Count rows of T = longest − 1 positions. Pad inputs are <paramref name="padId"/> (never a target).</summary>
    public static Batch Build(IReadOnlyList<TokenSequence> sequences, int padId = 0)
    {
        if (sequences.Count == 0) throw new ArgumentException("no sequences to batch");
        foreach (var s in sequences)
            if (s.PromptLength < 1 || s.CompletionLength < 1)
                throw new ArgumentException($"a sequence needs ≥ 1 prompt and ≥ 1 completion token (has {s.PromptLength} + {s.CompletionLength})");
        int b = sequences.Count, t = sequences.Max(s => s.Ids.Length) - 1;
        var inputs = new int[b * t];
        var targets = new int[b * t];
        Array.Fill(inputs, padId);
        Array.Fill(targets, -1);
        for (int r = 0; r < b; r++)
        {
            var s = sequences[r];
            for (int i = 0; i < s.Ids.Length - 1; i++)
            {
                inputs[r * t + i] = s.Ids[i];
                if (i >= s.PromptLength - 1) targets[r * t + i] = s.Ids[i + 1];
            }
        }
        return new Batch(b, t, inputs, targets);
    }

    /// <summary>Per-row values [B·T] of completion tokens, concatenated in sequence order [Σ completion lengths].</summary>
    public static void GatherCompletions(Batch batch, IReadOnlyList<TokenSequence> sequences, ReadOnlySpan<float> rows, Span<float> flat)
    {
        int k = 0;
        for (int r = 0; r < sequences.Count; r++)
            for (int j = 0; j < sequences[r].CompletionLength; j++) flat[k++] = rows[r * batch.T + sequences[r].PromptLength - 1 + j];
    }

    /// <summary>The inverse of GatherCompletions: flat completion values back into rows [B·T] (other rows 0).</summary>
    public static void ScatterCompletions(Batch batch, IReadOnlyList<TokenSequence> sequences, ReadOnlySpan<float> flat, Span<float> rows)
    {
        rows[..(batch.B * batch.T)].Clear();
        int k = 0;
        for (int r = 0; r < sequences.Count; r++)
            for (int j = 0; j < sequences[r].CompletionLength; j++) rows[r * batch.T + sequences[r].PromptLength - 1 + j] = flat[k++];
    }
}
