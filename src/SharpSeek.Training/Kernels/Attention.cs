// Causal softmax attention forward/backward over (B, T) batches, flash-style memory: forward saves only the
// log-sum-exp per (b, h, t); backward recomputes the probabilities. Work runs per (batch, kv head) task over query
// blocks of 64 rows, each block a few small packed GEMMs against keys [0, block end) (the causal half is skipped).
// Heads are read through HeadView: column offset of head h = Base + (h / Div)·Stride in a row-major [B·T, Ld] buffer,
// so fused qkv buffers and GQA (Div = heads per kv head) need no copies. docStart[i] (optional) is the first key
// row a query row i may see inside its sequence (document masking); otherwise 0.
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Training.Kernels;

/// <summary>Head h of row i lives at Buf[i·Ld + Base + (h / Div)·Stride .. + Dim).</summary>
public readonly record struct HeadView(float[] Buf, int Ld, int Base, int Div, int Dim, int Stride)
{
    public HeadView(float[] buf, int ld, int @base, int div, int dim) : this(buf, ld, @base, div, dim, dim) { }
    public int Offset(int h) => Base + h / Div * Stride;
}

public static class Attention
{
    const int QB = 64;

    /// <summary>o: HeadView of [B·T, H·dv] outputs (overwritten); lse: [B, H, T].</summary>
    public static void Forward(int B, int T, int H, HeadView q, HeadView k, HeadView v, HeadView o, float[] lse, float scale, int[]? docStart)
    {
        if (k.Div != v.Div) throw new ArgumentException("k and v must share the head grouping");
        int kvHeads = H / k.Div;
        WorkerPool.Shared.ForEach(B * kvHeads, task =>
        {
            int b = task / kvHeads, g = task % kvHeads;
            int dq = q.Dim, dv = v.Dim;
            var K = Scratch.Get(3, T * dq);
            var V = Scratch.Get(4, T * dv);
            var Q = Scratch.Get(5, T * dq);
            var S = Scratch.Get(6, QB * T);
            var O = Scratch.Get(7, QB * dv);
            int h0 = g * k.Div;
            Gather(k, b, T, h0, K); Gather(v, b, T, h0, V);
            for (int h = h0; h < h0 + k.Div; h++)
            {
                Gather(q, b, T, h, Q);
                for (int r0 = 0; r0 < T; r0 += QB)
                {
                    int bq = Math.Min(QB, T - r0), keys = r0 + bq;
                    Gemm.General(Q.AsSpan(r0 * dq), dq, 1, K, 1, dq, S, keys, bq, keys, dq, false);
                    for (int i = 0; i < bq; i++)
                    {
                        int t = r0 + i, lo = docStart?[b * T + t] ?? 0;
                        var row = S.AsSpan(i * keys, keys);
                        var live = row[lo..(t + 1)];
                        TensorPrimitives.Multiply(live, scale, live);
                        float max = TensorPrimitives.Max(live);
                        TensorPrimitives.Subtract(live, max, live);
                        TensorPrimitives.Exp(live, live);
                        float sum = TensorPrimitives.Sum(live);
                        TensorPrimitives.Multiply(live, 1f / sum, live);
                        row[..lo].Clear(); row[(t + 1)..].Clear();
                        lse[(b * H + h) * T + t] = max + MathF.Log(sum);
                    }
                    Gemm.General(S, keys, 1, V, dv, 1, O, dv, bq, dv, keys, false);
                    for (int i = 0; i < bq; i++)
                        O.AsSpan(i * dv, dv).CopyTo(o.Buf.AsSpan((b * T + r0 + i) * o.Ld + o.Offset(h), dv));
                }
            }
        });
    }

    /// <summary>Adds dq, dk, dv (HeadViews with the same grouping as q, k, v) from dout; o and lse from Forward.</summary>
    public static void Backward(int B, int T, int H, HeadView q, HeadView k, HeadView v, HeadView o, HeadView dout, float[] lse, float scale,
        int[]? docStart, HeadView dq, HeadView dk, HeadView dv)
    {
        int kvHeads = H / k.Div;
        WorkerPool.Shared.ForEach(B * kvHeads, task =>
        {
            int b = task / kvHeads, g = task % kvHeads;
            int Dq = q.Dim, Dv = v.Dim;
            var K = Scratch.Get(3, T * Dq);
            var V = Scratch.Get(4, T * Dv);
            var Q = Scratch.Get(5, T * Dq);
            var S = Scratch.Get(6, QB * T);
            var dP = Scratch.Get(7, QB * T);
            var dO = Scratch.Get(8, T * Dv);
            var dK = Scratch.Get(9, T * Dq);
            var dV = Scratch.Get(10, T * Dv);
            var dQ = Scratch.Get(11, QB * Dq);
            var D = Scratch.Get(12, T);
            int h0 = g * k.Div;
            Gather(k, b, T, h0, K); Gather(v, b, T, h0, V);
            dK.AsSpan(0, T * Dq).Clear(); dV.AsSpan(0, T * Dv).Clear();
            for (int h = h0; h < h0 + k.Div; h++)
            {
                Gather(q, b, T, h, Q);
                Gather(dout, b, T, h, dO);
                for (int t = 0; t < T; t++)   // D_t = dO_t · O_t
                    D[t] = TensorPrimitives.Dot(dO.AsSpan(t * Dv, Dv), o.Buf.AsSpan((b * T + t) * o.Ld + o.Offset(h), Dv));
                for (int r0 = 0; r0 < T; r0 += QB)
                {
                    int bq = Math.Min(QB, T - r0), keys = r0 + bq;
                    Gemm.General(Q.AsSpan(r0 * Dq), Dq, 1, K, 1, Dq, S, keys, bq, keys, Dq, false);
                    Gemm.General(dO.AsSpan(r0 * Dv), Dv, 1, V, 1, Dv, dP, keys, bq, keys, Dv, false);
                    for (int i = 0; i < bq; i++)
                    {
                        int t = r0 + i, lo = docStart?[b * T + t] ?? 0;
                        float l = lse[(b * H + h) * T + t];
                        var srow = S.AsSpan(i * keys, keys);
                        var prow = dP.AsSpan(i * keys, keys);
                        var live = srow[lo..(t + 1)];
                        TensorPrimitives.Multiply(live, scale, live);
                        TensorPrimitives.Subtract(live, l, live);
                        TensorPrimitives.Exp(live, live);                       // P
                        srow[..lo].Clear(); srow[(t + 1)..].Clear();
                        var dl = prow[lo..(t + 1)];
                        TensorPrimitives.Subtract(dl, D[t], dl);
                        TensorPrimitives.Multiply(dl, live, dl);
                        TensorPrimitives.Multiply(dl, scale, dl);               // dS (pre-scale units)
                        prow[..lo].Clear(); prow[(t + 1)..].Clear();
                    }
                    // dQ_blk = dS·K ; dK[0:keys] += dSᵀ·Q_blk ; dV[0:keys] += Pᵀ·dO_blk
                    Gemm.General(dP, keys, 1, K, Dq, 1, dQ, Dq, bq, Dq, keys, false);
                    Gemm.General(dP, 1, keys, Q.AsSpan(r0 * Dq), Dq, 1, dK, Dq, keys, Dq, bq, true);
                    Gemm.General(S, 1, keys, dO.AsSpan(r0 * Dv), Dv, 1, dV, Dv, keys, Dv, bq, true);
                    for (int i = 0; i < bq; i++)
                    {
                        var dst = dq.Buf.AsSpan((b * T + r0 + i) * dq.Ld + dq.Offset(h), Dq);
                        TensorPrimitives.Add(dst, dQ.AsSpan(i * Dq, Dq), dst);
                    }
                }
            }
            ScatterAdd(dK, dk, b, T, h0);
            ScatterAdd(dV, dv, b, T, h0);
        });
    }

    static void Gather(HeadView x, int b, int T, int h, float[] dst)
    {
        int off = x.Offset(h);
        for (int t = 0; t < T; t++) x.Buf.AsSpan((b * T + t) * x.Ld + off, x.Dim).CopyTo(dst.AsSpan(t * x.Dim, x.Dim));
    }

    static void ScatterAdd(float[] src, HeadView x, int b, int T, int h)
    {
        int off = x.Offset(h);
        for (int t = 0; t < T; t++)
        {
            var d = x.Buf.AsSpan((b * T + t) * x.Ld + off, x.Dim);
            TensorPrimitives.Add(d, src.AsSpan(t * x.Dim, x.Dim), d);
        }
    }
}
