// The MTP module on the fast path (same semantics as Model/Mtp.cs, vLLM's deepseek_mtp):
// x_j = eh_proj([enorm(Emb(t_{j+1})) ; hnorm(h_j)]), embedding zeroed at position 0, then one block, norm, head.
using SharpSeek.Tensors;

namespace SharpSeek.Model.Inference;

public sealed partial class InferenceModel
{
    sealed class MtpHead(float[] enorm, float[] hnorm, WeightMatrix ehProj, Layer layer, float[] norm, WeightMatrix embedding, WeightMatrix head)
    {
        public Layer Layer { get; } = layer;
        public float[] Norm { get; } = norm;
        public WeightMatrix Head { get; } = head;

        public static MtpHead Load(WeightLoader w, DeepseekV3Config c, int index, WeightMatrix mainOutput)
        {
            string p = $"model.layers.{index}";
            int d = c.HiddenSize, v = c.VocabSize;
            var emb = w.Has(p + ".embed_tokens.weight") ? w.Matrix(p + ".embed_tokens.weight", "vocab_size, hidden_size", v, d) : null;
            var head = w.Has(p + ".shared_head.head.weight") ? w.Projection(p + ".shared_head.head.weight", "vocab_size, hidden_size", v, d) : mainOutput;
            emb ??= w.Matrix("model.embed_tokens.weight", "vocab_size, hidden_size", v, d);
            return new MtpHead(
                w.Norm(p + ".enorm", "hidden_size", d), w.Norm(p + ".hnorm", "hidden_size", d),
                w.Projection(p + ".eh_proj.weight", "hidden_size, 2 × hidden_size", d, 2 * d),
                Layer.Load(w, c, index), w.Norm(p + ".shared_head.norm", "hidden_size", d), emb, head);
        }

        /// <summary>Writes the block input of every row into m.s.X (uses m.s.G as the [n, 2·hidden] concatenation).</summary>
        public void Combine(InferenceModel m, ReadOnlySpan<BatchRow> rows, ReadOnlySpan<float> hidden)
        {
            int d = m.D, n = rows.Length;
            var cat = m.s.Cat.AsSpan(0, n * 2 * d);
            for (int i = 0; i < n; i++)
            {
                var e = cat.Slice(i * 2 * d, d);
                if (rows[i].Position == 0) e.Clear();
                else { embedding.Row(rows[i].Token, e); Ops.RmsNorm(e, enorm, m.Eps, e); }
                Ops.RmsNorm(hidden.Slice(i * d, d), hnorm, m.Eps, cat.Slice(i * 2 * d + d, d));
            }
            ehProj.MatMul(cat, n, m.s.X.AsSpan(0, n * d), m.Pool);
        }
    }
}
