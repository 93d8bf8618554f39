// DeepSeek-V3 multi-token prediction module (V3 paper §2.2), stored as layer num_hidden_layers:
//   h'_j = eh_proj([enorm(Emb(t_{j+1})) ; hnorm(h_j)])  → one decoder block → shared_head.norm → shared_head.head.
// Concatenation order (embedding first), h_j = the main model's final-normed hidden state, and the embedding of
// position 0 zeroed all follow vLLM's deepseek_mtp, which runs the released weights; see tools/README.md.
namespace SharpSeek.Model;

public sealed class Mtp(float[] enorm, float[] hnorm, Linear ehProj, Block block, float[] norm, float[] embedding, float[] head, float eps)
{
    public Block Block { get; } = block;
    public float[] Norm { get; } = norm;
    public float[] Embedding { get; } = embedding;
    public float[] Head { get; } = head;

    public static Mtp Load(WeightLoader w, DeepseekV3Config c, int layer, RopeTable rope, MlaMode mode, float[] mainEmbedding, float[] mainHead)
    {
        string p = $"model.layers.{layer}";
        int d = c.HiddenSize, v = c.VocabSize;
        // The release stores its own copies of the shared embedding and head; use them when present.
        var emb = w.Has(p + ".embed_tokens.weight") ? w.Load(p + ".embed_tokens.weight", "vocab_size, hidden_size", v, d) : mainEmbedding;
        var head = w.Has(p + ".shared_head.head.weight") ? w.Load(p + ".shared_head.head.weight", "vocab_size, hidden_size", v, d) : mainHead;
        return new Mtp(
            w.Norm(p + ".enorm", "hidden_size", d),
            w.Norm(p + ".hnorm", "hidden_size", d),
            w.Linear(p + ".eh_proj", "hidden_size, 2 × hidden_size", d, 2 * d),
            Block.Load(w, c, p, rope, mode, layer),
            w.Norm(p + ".shared_head.norm", "hidden_size", d),
            emb, head, (float)c.RmsNormEps);
    }

    /// <summary>nextTokens: [T], hidden: [T, hidden] at positions start.. → x: [T, hidden] = eh_proj([enorm(emb) ; hnorm(h)]).</summary>
    public float[] Combine(ReadOnlySpan<int> nextTokens, ReadOnlySpan<float> hidden, int start)
    {
        int d = enorm.Length, T = nextTokens.Length;
        var x = new float[T * d];
        var cat = new float[2 * d];
        for (int t = 0; t < T; t++)
        {
            if (start + t == 0) cat.AsSpan(0, d).Clear();   // vLLM: inputs_embeds[positions == 0] = 0, so enorm(0) = 0
            else Tensors.Ops.RmsNorm(Embedding.AsSpan(nextTokens[t] * d, d), enorm, eps, cat.AsSpan(0, d));
            Tensors.Ops.RmsNorm(hidden.Slice(t * d, d), hnorm, eps, cat.AsSpan(d, d));
            ehProj.Forward(cat, x.AsSpan(t * d, d));
        }
        return x;
    }

    public long ParameterCount => enorm.Length + hnorm.Length + ehProj.ParameterCount + Block.ParameterCount + Norm.Length;
}
