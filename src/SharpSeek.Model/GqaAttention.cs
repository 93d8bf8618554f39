// Grouped-query attention of the dense families (HF Qwen2 / Llama): q, k, v projections (+ bias for Qwen2),
// rotate-half RoPE, head h reads kv head h / (num_attention_heads / num_key_value_heads), scale head_dim^-0.5.
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Model;

public sealed class GqaAttention : Attention
{
    readonly Linear wq, wk, wv, wo;
    readonly RopeTable rope;
    readonly int heads, kvHeads, headDim, hidden;
    readonly float scale;

    public GqaAttention(WeightLoader w, LlamaConfig c, string prefix, RopeTable rope)
    {
        heads = c.NumAttentionHeads; kvHeads = c.KvHeads; headDim = c.AttentionHeadDim; hidden = c.HiddenSize;
        bool bias = c.QkvBias;
        wq = w.Linear(prefix + ".q_proj", "num_attention_heads × head_dim, hidden_size", heads * headDim, hidden, bias);
        wk = w.Linear(prefix + ".k_proj", "num_key_value_heads × head_dim, hidden_size", kvHeads * headDim, hidden, bias);
        wv = w.Linear(prefix + ".v_proj", "num_key_value_heads × head_dim, hidden_size", kvHeads * headDim, hidden, bias);
        wo = w.Linear(prefix + ".o_proj", "hidden_size, num_attention_heads × head_dim", hidden, heads * headDim);
        this.rope = rope;
        scale = 1f / MathF.Sqrt(headDim);
    }

    public override int KeyWidth => kvHeads * headDim;
    public override int ValueWidth => kvHeads * headDim;
    public override long ParameterCount => wq.ParameterCount + wk.ParameterCount + wv.ParameterCount + wo.ParameterCount;

    public override void Forward(ReadOnlySpan<float> x, int tokens, int start, KvCache cache, int layer, Span<float> y)
    {
        var q = new float[tokens * heads * headDim];        // [T, H, head_dim]
        var cos = new float[headDim / 2];
        var sin = new float[headDim / 2];
        for (int t = 0; t < tokens; t++)
        {
            int pos = start + t;
            var xt = x.Slice(t * hidden, hidden);
            var qt = q.AsSpan(t * heads * headDim, heads * headDim);
            var k = cache.Key(layer, pos);
            wq.Forward(xt, qt);
            wk.Forward(xt, k);
            wv.Forward(xt, cache.Value(layer, pos));
            rope.CosSin(pos, cos, sin);
            for (int h = 0; h < heads; h++) Ops.RopeHalf(qt.Slice(h * headDim, headDim), cos, sin);
            for (int h = 0; h < kvHeads; h++) Ops.RopeHalf(k.Slice(h * headDim, headDim), cos, sin);
        }

        var o = new float[heads * headDim];
        int group = heads / kvHeads;
        for (int t = 0; t < tokens; t++)
        {
            int len = start + t + 1;
            var p = new float[len];
            o.AsSpan().Clear();
            for (int h = 0; h < heads; h++)
            {
                var qh = q.AsSpan((t * heads + h) * headDim, headDim);
                int kvh = h / group;
                for (int s = 0; s < len; s++)
                    p[s] = TensorPrimitives.Dot(qh, cache.Key(layer, s).Slice(kvh * headDim, headDim)) * scale;
                Ops.Softmax(p, p);
                var oh = o.AsSpan(h * headDim, headDim);
                for (int s = 0; s < len; s++)
                    TensorPrimitives.MultiplyAdd(cache.Value(layer, s).Slice(kvh * headDim, headDim), p[s], oh, oh);
            }
            wo.Forward(o, y.Slice(t * hidden, hidden));
        }
    }
}
