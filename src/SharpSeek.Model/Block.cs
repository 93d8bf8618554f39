// A pre-norm decoder block: x += attn(attn_norm(x)); x += ffn(ffn_norm(x)), where ffn is a dense SwiGLU MLP or DeepSeekMoE.
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Model;

public sealed class Block(Attention attention, float[] attnNorm, float[] ffnNorm, Mlp? mlp, Moe? moe, float eps)
{
    public Attention Attention { get; } = attention;
    public Mlp? Mlp { get; } = mlp;
    public Moe? Moe { get; } = moe;

    public static Block Load(WeightLoader w, ModelConfig c, string prefix, RopeTable rope, MlaMode mode, int layer)
    {
        int d = c.HiddenSize;
        Attention attn = c is DeepseekV3Config ds
            ? new Mla(w, ds, prefix + ".self_attn", rope, mode)
            : new GqaAttention(w, (LlamaConfig)c, prefix + ".self_attn", rope);
        var attnNorm = w.Norm(prefix + ".input_layernorm", "hidden_size", d);
        var ffnNorm = w.Norm(prefix + ".post_attention_layernorm", "hidden_size", d);
        if (c is DeepseekV3Config dc && dc.IsMoeLayer(layer))
            return new Block(attn, attnNorm, ffnNorm, null, Moe.Load(w, dc, prefix + ".mlp"), (float)c.RmsNormEps);
        var mlp = Mlp.Load(w, prefix + ".mlp", "intermediate_size, hidden_size", d, c.IntermediateSize);
        return new Block(attn, attnNorm, ffnNorm, mlp, null, (float)c.RmsNormEps);
    }

    /// <summary>x: [T, hidden], updated in place; writes T cache rows of `layer` from position start.</summary>
    public void Forward(Span<float> x, int tokens, int start, KvCache cache, int layer)
    {
        int d = attnNorm.Length;
        var normed = new float[tokens * d];
        var delta = new float[tokens * d];
        for (int t = 0; t < tokens; t++) Ops.RmsNorm(x.Slice(t * d, d), attnNorm, eps, normed.AsSpan(t * d, d));
        Attention.Forward(normed, tokens, start, cache, layer, delta);
        TensorPrimitives.Add(x, delta, x);
        for (int t = 0; t < tokens; t++)
        {
            var xt = x.Slice(t * d, d);
            var nt = normed.AsSpan(t * d, d);
            var dt = delta.AsSpan(t * d, d);
            Ops.RmsNorm(xt, ffnNorm, eps, nt);
            if (Moe is not null) Moe.Forward(nt, dt); else Mlp!.Forward(nt, dt);
            TensorPrimitives.Add(xt, dt, xt);
        }
    }

    public long ParameterCount => Attention.ParameterCount + attnNorm.Length + ffnNorm.Length
        + (Mlp?.ParameterCount ?? 0) + (Moe?.ParameterCount ?? 0);
    public long ActiveParameterCount => Attention.ParameterCount + attnNorm.Length + ffnNorm.Length
        + (Mlp?.ParameterCount ?? 0) + (Moe?.ActiveParameterCount ?? 0);
}
