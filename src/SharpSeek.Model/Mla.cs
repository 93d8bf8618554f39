// Multi-head Latent Attention (DeepSeek-V2 paper §2.1, V3 §2.1.1).
//   q    = wq(x) or wq_b(q_norm(wq_a(x)))          → per head [q_nope (qk_nope_head_dim) | q_pe (qk_rope_head_dim)]
//   kv   = wkv_a(x)                                 → [c_kv (kv_lora_rank) | k_pe (qk_rope_head_dim)], c_kv ← kv_norm(c_kv)
//   wkv_b(c_kv)                                     → per head [k_nope | v (v_head_dim)]; k_pe is shared by all heads
//   softmax scale = qk_head_dim^-0.5 · mscale² (YaRN)
// Naive mode caches per-head k and v. Absorbed mode caches only c_kv and k_pe and folds wkv_b into the query
// (q_nope·W_kᵀ) and the output (W_v·(p·c_kv)); the two are the same function (tests check one against the other).
using SharpSeek.Tensors;

namespace SharpSeek.Model;

public enum MlaMode { Naive, Absorbed }

public sealed class Mla : Attention
{
    readonly DeepseekV3Config c;
    readonly Linear? wq, wqA, wqB, wkvA, wkvB, wo;
    readonly float[]? qNorm;
    readonly float[] kvNorm;
    readonly RopeTable rope;
    readonly float scale;
    public MlaMode Mode { get; }

    public Mla(WeightLoader w, DeepseekV3Config c, string prefix, RopeTable rope, MlaMode mode)
    {
        this.c = c;
        this.rope = rope;
        Mode = mode;
        int d = c.HiddenSize, h = c.NumAttentionHeads, r = c.KvLoraRank;
        if (c.QLoraRank is int qr)
        {
            wqA = w.Linear(prefix + ".q_a_proj", "q_lora_rank, hidden_size", qr, d);
            qNorm = w.Norm(prefix + ".q_a_layernorm", "q_lora_rank", qr);
            wqB = w.Linear(prefix + ".q_b_proj", "num_attention_heads × (qk_nope_head_dim + qk_rope_head_dim), q_lora_rank", h * c.QkHeadDim, qr);
        }
        else wq = w.Linear(prefix + ".q_proj", "num_attention_heads × (qk_nope_head_dim + qk_rope_head_dim), hidden_size", h * c.QkHeadDim, d);
        wkvA = w.Linear(prefix + ".kv_a_proj_with_mqa", "kv_lora_rank + qk_rope_head_dim, hidden_size", r + c.QkRopeHeadDim, d);
        kvNorm = w.Norm(prefix + ".kv_a_layernorm", "kv_lora_rank", r);
        wkvB = w.Linear(prefix + ".kv_b_proj", "num_attention_heads × (qk_nope_head_dim + v_head_dim), kv_lora_rank", h * (c.QkNopeHeadDim + c.VHeadDim), r);
        wo = w.Linear(prefix + ".o_proj", "hidden_size, num_attention_heads × v_head_dim", d, h * c.VHeadDim);
        scale = SoftmaxScale(c);
    }

    /// <summary>qk_head_dim^-0.5, times mscale² when YaRN with mscale_all_dim is configured (HF modeling_deepseek).</summary>
    public static float SoftmaxScale(DeepseekV3Config c)
    {
        double s = 1.0 / Math.Sqrt(c.QkHeadDim);
        if (c.RopeScaling is { Kind: "yarn", MscaleAllDim: > 0 } rs)
        {
            double m = RopeTable.YarnMscale(rs.Factor, rs.MscaleAllDim);
            s *= m * m;
        }
        return (float)s;
    }

    int H => c.NumAttentionHeads;
    public override int KeyWidth => Mode == MlaMode.Naive ? H * c.QkHeadDim : c.KvLoraRank;
    public override int ValueWidth => Mode == MlaMode.Naive ? H * c.VHeadDim : c.QkRopeHeadDim;

    public override long ParameterCount =>
        (wq?.ParameterCount ?? 0) + (wqA?.ParameterCount ?? 0) + (qNorm?.LongLength ?? 0) + (wqB?.ParameterCount ?? 0)
        + wkvA!.ParameterCount + kvNorm.LongLength + wkvB!.ParameterCount + wo!.ParameterCount;

    public override void Forward(ReadOnlySpan<float> x, int tokens, int start, KvCache cache, int layer, Span<float> y)
    {
        int d = c.HiddenSize, qkd = c.QkHeadDim, nope = c.QkNopeHeadDim, ropeDim = c.QkRopeHeadDim, r = c.KvLoraRank, vd = c.VHeadDim;
        var q = new float[tokens * H * qkd];                // [T, H, qk_head_dim], rope applied to the q_pe part
        var cos = new float[ropeDim / 2];
        var sin = new float[ropeDim / 2];
        var kv = new float[r + ropeDim];
        var kvb = new float[H * (nope + vd)];
        for (int t = 0; t < tokens; t++)
        {
            int pos = start + t;
            var xt = x.Slice(t * d, d);
            var qt = q.AsSpan(t * H * qkd, H * qkd);
            if (wq is not null) wq.Forward(xt, qt);
            else
            {
                var qa = new float[wqA!.Out];
                wqA.Forward(xt, qa);
                Ops.RmsNorm(qa, qNorm, (float)c.RmsNormEps, qa);
                wqB!.Forward(qa, qt);
            }
            rope.CosSin(pos, cos, sin);
            for (int h = 0; h < H; h++) Ops.RopeInterleaved(qt.Slice(h * qkd + nope, ropeDim), cos, sin);

            wkvA!.Forward(xt, kv);
            var latent = kv.AsSpan(0, r);
            var kPe = kv.AsSpan(r, ropeDim);
            Ops.RmsNorm(latent, kvNorm, (float)c.RmsNormEps, latent);
            Ops.RopeInterleaved(kPe, cos, sin);

            if (Mode == MlaMode.Absorbed)
            {
                latent.CopyTo(cache.Key(layer, pos));
                kPe.CopyTo(cache.Value(layer, pos));
                continue;
            }
            wkvB!.Forward(latent, kvb);
            var k = cache.Key(layer, pos);                 // [H, qk_head_dim] = [k_nope | k_pe]
            var v = cache.Value(layer, pos);               // [H, v_head_dim]
            for (int h = 0; h < H; h++)
            {
                kvb.AsSpan(h * (nope + vd), nope).CopyTo(k.Slice(h * qkd, nope));
                kPe.CopyTo(k.Slice(h * qkd + nope, ropeDim));
                kvb.AsSpan(h * (nope + vd) + nope, vd).CopyTo(v.Slice(h * vd, vd));
            }
        }

        var o = new float[H * vd];                          // [H, v_head_dim] for one token
        for (int t = 0; t < tokens; t++)
        {
            int len = start + t + 1;                        // causal: positions 0..pos
            var qt = q.AsSpan(t * H * qkd, H * qkd);
            if (Mode == MlaMode.Naive) AttendNaive(qt, cache, layer, len, o);
            else AttendAbsorbed(qt, cache, layer, len, o);
            wo!.Forward(o, y.Slice(t * d, d));
        }
    }

    // scores[h, s] = q[h]·k[s, h] · scale; o[h] = Σ_s softmax(scores)[s] · v[s, h]
    void AttendNaive(ReadOnlySpan<float> q, KvCache cache, int layer, int len, Span<float> o)
    {
        int qkd = c.QkHeadDim, vd = c.VHeadDim;
        var p = new float[len];
        o.Clear();
        for (int h = 0; h < H; h++)
        {
            var qh = q.Slice(h * qkd, qkd);
            for (int s = 0; s < len; s++)
                p[s] = System.Numerics.Tensors.TensorPrimitives.Dot(qh, cache.Key(layer, s).Slice(h * qkd, qkd)) * scale;
            Ops.Softmax(p, p);
            var oh = o.Slice(h * vd, vd);
            for (int s = 0; s < len; s++)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(cache.Value(layer, s).Slice(h * vd, vd), p[s], oh, oh);
        }
    }

    // With W_k^h = wkv_b rows [h·(nope+v), +nope) and W_v^h = the next v rows (both [·, kv_lora_rank]):
    //   q_abs[h] = W_k^hᵀ q_nope[h]        (kv_lora_rank)
    //   scores[h, s] = (q_abs[h]·c_kv[s] + q_pe[h]·k_pe[s]) · scale
    //   o[h] = W_v^h · Σ_s p[s] c_kv[s]
    void AttendAbsorbed(ReadOnlySpan<float> q, KvCache cache, int layer, int len, Span<float> o)
    {
        int qkd = c.QkHeadDim, nope = c.QkNopeHeadDim, ropeDim = c.QkRopeHeadDim, r = c.KvLoraRank, vd = c.VHeadDim;
        var wb = wkvB!.Weight.AsSpan();
        var qAbs = new float[r];
        var ctx = new float[r];
        var p = new float[len];
        for (int h = 0; h < H; h++)
        {
            var wk = wb.Slice(h * (nope + vd) * r, nope * r);
            var wv = wb.Slice((h * (nope + vd) + nope) * r, vd * r);
            Ops.MatTVec(wk, q.Slice(h * qkd, nope), qAbs);
            var qPe = q.Slice(h * qkd + nope, ropeDim);
            for (int s = 0; s < len; s++)
                p[s] = (System.Numerics.Tensors.TensorPrimitives.Dot(qAbs, cache.Key(layer, s))
                        + System.Numerics.Tensors.TensorPrimitives.Dot(qPe, cache.Value(layer, s))) * scale;
            Ops.Softmax(p, p);
            ctx.AsSpan().Clear();
            for (int s = 0; s < len; s++)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(cache.Key(layer, s), p[s], ctx, ctx);
            Ops.MatVec(wv, ctx, o.Slice(h * vd, vd));
        }
    }
}
