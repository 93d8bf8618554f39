// Top-k selection by value (ties broken by lower index, as torch.topk does on CPU in practice).
namespace SharpSeek.Tensors;

public static partial class Ops
{
    /// <summary>Writes the indices of the k largest values of x into idx (descending by value). O(n·k), for small k.</summary>
    public static void TopK(ReadOnlySpan<float> x, Span<int> idx)
    {
        int k = idx.Length;
        if (k > x.Length) throw new ArgumentException($"TopK: k {k} > n {x.Length}");
        for (int j = 0; j < k; j++)
        {
            int best = -1;
            for (int i = 0; i < x.Length; i++)
            {
                if (idx[..j].Contains(i)) continue;
                if (best < 0 || x[i] > x[best]) best = i;
            }
            idx[j] = best;
        }
    }
}
