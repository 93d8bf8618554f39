// Attention of the fast path over a batch of rows. MLA runs in the absorbed form: the cache holds the normalized
// latent c_kv and the rope key only; q_nope is folded through W_k (kept transposed per head, f32, a layout change
// made once at load) and the output through W_v (rows of kv_b_proj, stored type). GQA is the dense families'.
// Decode work is split across the pool by (row, head block) items (MLA) or (row, kv head) items (GQA), each a pair
// of small GEMMs over the cached positions; a prompt chunk of one sequence by heads.
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Inference;

public sealed partial class InferenceModel
{
    [ThreadStatic] static float[]? t_scores, t_row, t_vec, t_q, t_k, t_o;

    /// <summary>
    /// One head of causal attention for a prompt chunk of one sequence, as two GEMMs: S = q·kᵀ [n, len], row i
    /// (position p0 + i) softmaxed over keys 0..p0+i, o = S·v [n, dv] with v given transposed. q: [n, dk], k: [len, dk],
    /// vT: [dv, len]. Single-threaded (callers spread heads over the pool). Same sums as the per-key loop, in GEMM order.
    /// </summary>
    static void CausalHeadAttention(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> vT, Span<float> o,
        int n, int len, int dk, int dv, int p0, float scale)
    {
        var scores = ThreadBuffer(ref t_scores, n * len).AsSpan(0, n * len);
        Gemm.Multiply(q, k, scores, n, len, dk);
        for (int i = 0; i < n; i++)
        {
            var row = scores.Slice(i * len, len);
            ScaledSoftmax(row[..(p0 + i + 1)], scale);
            row[(p0 + i + 1)..].Clear();
        }
        Gemm.Multiply(scores, vT, o, n, dv, len);
    }

    /// <summary>s ← softmax(s · scale), in place.</summary>
    static void ScaledSoftmax(Span<float> s, float scale)
    {
        TensorPrimitives.Multiply(s, scale, s);
        Ops.Softmax(s, s);
    }

    /// <summary>All rows continue one sequence and there are enough of them for the GEMM form to pay.</summary>
    static bool OneSequenceChunk(ReadOnlySpan<BatchRow> rows, int minRows)
    {
        if (minRows <= 0 || rows.Length < minRows) return false;
        foreach (var r in rows) if (!ReferenceEquals(r.Sequence, rows[0].Sequence)) return false;
        return true;
    }

    /// <summary>Head blocks per row for decode attention: all heads together once there are rows enough to share out,
    /// else the largest divisor of the head count up to 4 (a function of n and heads only, never of the thread count).</summary>
    static int HeadBlocks(int n, int heads)
    {
        if (n >= 4) return 1;
        for (int b = 4; b > 1; b--) if (heads % b == 0) return b;
        return 1;
    }

    static float[] ThreadBuffer(ref float[]? buffer, int size)
    {
        if (buffer is null || buffer.Length < size) buffer = new float[Math.Max(size, Math.Max(256, 2 * (buffer?.Length ?? 0)))];   // grows by doubling
        return buffer;
    }

    sealed class FastMla : FastAttention
    {
        readonly DeepseekV3Config c;
        readonly WeightMatrix? wq, wqA, wqB;
        readonly float[]? qNorm;
        readonly WeightMatrix wkvA, wo, kvB;
        readonly WeightMatrix[] wv;          // per head: [v_head_dim, kv_lora_rank] rows of kv_b_proj
        readonly float[] wkT;                // per head: W_kᵀ [kv_lora_rank, qk_nope_head_dim], f32
        readonly float[] kvNorm;
        readonly float scale;
        // per-call state read by the parallel body
        BatchRow[] rowsCopy = [];
        float[] q = [], heads = [];
        int layer, chunkRows;
        readonly Action<int, int> attendBody, naiveBody;
        float[] latents = [], expanded = [];   // naive prefill: [L, kv_lora_rank] and [L, H·(nope + v)], grown on demand

        public FastMla(WeightLoader w, DeepseekV3Config c, string prefix)
        {
            this.c = c;
            int d = c.HiddenSize, h = c.NumAttentionHeads, r = c.KvLoraRank, nope = c.QkNopeHeadDim, vd = c.VHeadDim;
            if (c.QLoraRank is int qr)
            {
                wqA = w.Projection(prefix + ".q_a_proj.weight", "q_lora_rank, hidden_size", qr, d);
                qNorm = w.Norm(prefix + ".q_a_layernorm", "q_lora_rank", qr);
                wqB = w.Projection(prefix + ".q_b_proj.weight", "num_attention_heads × qk_head_dim, q_lora_rank", h * c.QkHeadDim, qr);
            }
            else wq = w.Projection(prefix + ".q_proj.weight", "num_attention_heads × qk_head_dim, hidden_size", h * c.QkHeadDim, d);
            wkvA = w.Projection(prefix + ".kv_a_proj_with_mqa.weight", "kv_lora_rank + qk_rope_head_dim, hidden_size", r + c.QkRopeHeadDim, d);
            kvNorm = w.Norm(prefix + ".kv_a_layernorm", "kv_lora_rank", r);
            kvB = w.Matrix(prefix + ".kv_b_proj.weight", "num_attention_heads × (qk_nope_head_dim + v_head_dim), kv_lora_rank", h * (nope + vd), r);
            wo = w.Projection(prefix + ".o_proj.weight", "hidden_size, num_attention_heads × v_head_dim", d, h * vd);
            wv = new WeightMatrix[h];
            wkT = new float[h * r * nope];
            var row = new float[r];
            for (int head = 0; head < h; head++)
            {
                wv[head] = kvB.Slice(head * (nope + vd) + nope, vd);
                for (int i = 0; i < nope; i++)
                {
                    kvB.Row(head * (nope + vd) + i, row);
                    for (int j = 0; j < r; j++) wkT[(head * r + j) * nope + i] = row[j];
                }
            }
            scale = Mla.SoftmaxScale(c);
            attendBody = AttendRange;
            naiveBody = AttendNaiveRange;
        }

        public override int KeyWidth => c.KvLoraRank;
        public override int ValueWidth => c.QkRopeHeadDim;
        public override long WeightBytes => (wq?.Bytes ?? 0) + (wqA?.Bytes ?? 0) + (wqB?.Bytes ?? 0) + wkvA.Bytes + wo.Bytes
            + wv.Sum(m => m.Bytes) + wkT.LongLength * 4;

        public override void Forward(InferenceModel m, ReadOnlySpan<BatchRow> rows, int layer, ReadOnlySpan<float> xn, Span<float> y)
        {
            var s = m.s;
            int n = rows.Length, h = c.NumAttentionHeads, qkd = c.QkHeadDim, nope = c.QkNopeHeadDim, rd = c.QkRopeHeadDim, r = c.KvLoraRank;
            var qs = s.Q.AsSpan(0, n * h * qkd);
            var kv = s.Kv.AsSpan(0, n * (r + rd));
            if (wq is not null) WeightMatrix.MatMulShared(xn, n, m.Pool, wq, qs, wkvA, kv);
            else
            {
                var qa = s.QA.AsSpan(0, n * wqA!.Rows);
                WeightMatrix.MatMulShared(xn, n, m.Pool, wqA, qa, wkvA, kv);
                for (int i = 0; i < n; i++) Ops.RmsNorm(qa.Slice(i * wqA.Rows, wqA.Rows), qNorm, m.Eps, qa.Slice(i * wqA.Rows, wqA.Rows));
                wqB!.MatMul(qa, n, qs, m.Pool);
            }
            for (int i = 0; i < n; i++)
            {
                int pos = rows[i].Position;
                var cos = m.ropeCos.AsSpan(pos * rd / 2, rd / 2);
                var sin = m.ropeSin.AsSpan(pos * rd / 2, rd / 2);
                for (int head = 0; head < h; head++) Ops.RopeInterleaved(qs.Slice((i * h + head) * qkd + nope, rd), cos, sin);
                var latent = kv.Slice(i * (r + rd), r);
                var kPe = kv.Slice(i * (r + rd) + r, rd);
                Ops.RmsNorm(latent, kvNorm, m.Eps, latent);
                Ops.RopeInterleaved(kPe, cos, sin);
                rows[i].Sequence.StoreKey(layer, pos, latent);
                rows[i].Sequence.StoreValue(layer, pos, kPe);
            }

            if (rowsCopy.Length < rows.Length) rowsCopy = new BatchRow[m.Options.MaxBatch];
            rows.CopyTo(rowsCopy);
            q = s.Q; heads = s.Heads; this.layer = layer;
            if (UseNaive(m.Options, rows))
            {
                Expand(m, rows[0].Sequence, rows[^1].Position + 1);
                chunkRows = n;
                m.Pool.For(h, naiveBody);
            }
            else
            {
                blocksPerRow = HeadBlocks(n, h);
                m.Pool.For(n * blocksPerRow, attendBody);
            }
            wo.MatMul(s.Heads.AsSpan(0, n * h * c.VHeadDim), n, y, m.Pool);
        }

        static bool UseNaive(InferenceOptions o, ReadOnlySpan<BatchRow> rows) =>
            rows.Length > 0 && rows[^1].Position + 1 <= o.NaiveMlaMaxContext && OneSequenceChunk(rows, o.NaiveMlaMinRows);

        // [k_nope | v] of every head for cached positions 0..len-1: one kv_b_proj product over the latents.
        void Expand(InferenceModel m, SequenceState seq, int len)
        {
            int r = c.KvLoraRank, width = c.NumAttentionHeads * (c.QkNopeHeadDim + c.VHeadDim);
            if (latents.Length < len * r) { latents = new float[len * r]; expanded = new float[(long)len * width]; }
            kvB.MatMul(seq.KeyRows(layer, 0, len, latents), len, expanded.AsSpan(0, len * width), m.Pool);   // latents: f16 widening room
        }

        // Naive MLA over the expanded keys/values, one head per item: k_h = [k_nope_h | k_pe] [len, qk_head_dim]
        // against q_h = [q_nope | q_pe] of the chunk's rows, o_h = softmax(q_h·k_hᵀ·scale)·v_h (CausalHeadAttention).
        void AttendNaiveRange(int start, int end)
        {
            int h = c.NumAttentionHeads, qkd = c.QkHeadDim, nope = c.QkNopeHeadDim, rd = c.QkRopeHeadDim, vd = c.VHeadDim, width = h * (nope + vd);
            int n = chunkRows, p0 = rowsCopy[0].Position, len = p0 + n;
            var seq = rowsCopy[0].Sequence;
            var tmp = ThreadBuffer(ref t_row, rd);
            var qh = ThreadBuffer(ref t_q, n * qkd).AsSpan(0, n * qkd);
            var kh = ThreadBuffer(ref t_k, len * qkd + vd * len);
            var k = kh.AsSpan(0, len * qkd);
            var vT = kh.AsSpan(len * qkd, vd * len);
            var o = ThreadBuffer(ref t_o, n * vd).AsSpan(0, n * vd);
            for (int head = start; head < end; head++)
            {
                for (int p = 0; p < len; p++)
                {
                    var e = expanded.AsSpan(p * width + head * (nope + vd), nope + vd);
                    e[..nope].CopyTo(k.Slice(p * qkd, nope));
                    seq.ValueRow(layer, p, tmp).CopyTo(k.Slice(p * qkd + nope, rd));
                    for (int j = 0; j < vd; j++) vT[j * len + p] = e[nope + j];
                }
                for (int i = 0; i < n; i++) q.AsSpan((i * h + head) * qkd, qkd).CopyTo(qh.Slice(i * qkd, qkd));
                CausalHeadAttention(qh, k, vT, o, n, len, qkd, vd, p0, scale);
                for (int i = 0; i < n; i++) o.Slice(i * vd, vd).CopyTo(heads.AsSpan((i * h + head) * vd, vd));
            }
        }

        // items = row·B + block of H/B heads (B from the row count alone, so results do not depend on the thread count):
        // S = q_abs·c_kvᵀ + q_pe·k_peᵀ [hb, len] over the row's cached positions 0..pos (two GEMMs reading the
        // cache once per block), softmax(S·scale), ctx = P·c_kv [hb, r], o_h = W_v,h · ctx_h.
        void AttendRange(int start, int end)
        {
            int h = c.NumAttentionHeads, qkd = c.QkHeadDim, nope = c.QkNopeHeadDim, rd = c.QkRopeHeadDim, r = c.KvLoraRank, vd = c.VHeadDim;
            int blocks = blocksPerRow, hb = h / blocks;
            var qAbs = ThreadBuffer(ref t_vec, 2 * hb * r).AsSpan(0, hb * r);
            var ctx = t_vec.AsSpan(hb * r, hb * r);
            for (int item = start; item < end; item++)
            {
                int i = item / blocks, h0 = item % blocks * hb;
                var row = rowsCopy[i];
                var seq = row.Sequence;
                int len = row.Position + 1;
                var lat = seq.KeyRows(layer, 0, len, seq.F16 ? ThreadBuffer(ref t_k, len * r) : default);
                var kPe = seq.ValueRows(layer, 0, len, seq.F16 ? ThreadBuffer(ref t_o, len * rd) : default);
                var scores = ThreadBuffer(ref t_scores, hb * seq.Capacity).AsSpan(0, hb * len);
                for (int j = 0; j < hb; j++)
                    Ops.MatVec(wkT.AsSpan((h0 + j) * r * nope, r * nope), q.AsSpan((i * h + h0 + j) * qkd, nope), qAbs.Slice(j * r, r));
                Gemm.General(qAbs, r, 1, lat, 1, r, scores, len, hb, len, r, accumulate: false);
                Gemm.General(q.AsSpan((i * h + h0) * qkd + nope), qkd, 1, kPe, 1, rd, scores, len, hb, len, rd, accumulate: true);
                for (int j = 0; j < hb; j++) ScaledSoftmax(scores.Slice(j * len, len), scale);
                Gemm.General(scores, len, 1, lat, r, 1, ctx, r, hb, r, len, accumulate: false);
                for (int j = 0; j < hb; j++)
                    Quant.MatVec(wv[h0 + j].Type, wv[h0 + j].Data, vd, r, ctx.Slice(j * r, r), heads.AsSpan((i * h + h0 + j) * vd, vd));
            }
        }
        int blocksPerRow = 1;
    }

    sealed class FastGqa : FastAttention
    {
        readonly WeightMatrix wq, wk, wv, wo;
        readonly float[]? bq, bk, bv;
        readonly int heads, kvHeads, headDim;
        readonly float scale;
        BatchRow[] rowsCopy = [];
        float[] q = [], outHeads = [];
        int layer;
        readonly Action<int, int> attendBody;

        public FastGqa(WeightLoader w, LlamaConfig c, string prefix)
        {
            heads = c.NumAttentionHeads; kvHeads = c.KvHeads; headDim = c.AttentionHeadDim;
            int d = c.HiddenSize;
            wq = w.Projection(prefix + ".q_proj.weight", "num_attention_heads × head_dim, hidden_size", heads * headDim, d);
            wk = w.Projection(prefix + ".k_proj.weight", "num_key_value_heads × head_dim, hidden_size", kvHeads * headDim, d);
            wv = w.Projection(prefix + ".v_proj.weight", "num_key_value_heads × head_dim, hidden_size", kvHeads * headDim, d);
            wo = w.Projection(prefix + ".o_proj.weight", "hidden_size, num_attention_heads × head_dim", d, heads * headDim);
            if (c.QkvBias)
            {
                bq = w.Load(prefix + ".q_proj.bias", "num_attention_heads × head_dim", heads * headDim);
                bk = w.Load(prefix + ".k_proj.bias", "num_key_value_heads × head_dim", kvHeads * headDim);
                bv = w.Load(prefix + ".v_proj.bias", "num_key_value_heads × head_dim", kvHeads * headDim);
            }
            scale = 1f / MathF.Sqrt(headDim);
            attendBody = AttendRange;
            prefillBody = AttendChunkRange;
        }

        readonly Action<int, int> prefillBody;
        int chunkRows;

        // One head per item over a prompt chunk of one sequence: k and vᵀ of its kv head gathered from the cache.
        void AttendChunkRange(int start, int end)
        {
            int n = chunkRows, p0 = rowsCopy[0].Position, len = p0 + n, group = heads / kvHeads, kw = kvHeads * headDim, qw = heads * headDim;
            var seq = rowsCopy[0].Sequence;
            var tmp = ThreadBuffer(ref t_row, kw);
            var qh = ThreadBuffer(ref t_q, n * headDim).AsSpan(0, n * headDim);
            var kv = ThreadBuffer(ref t_k, 2 * len * headDim);
            var k = kv.AsSpan(0, len * headDim);
            var vT = kv.AsSpan(len * headDim, len * headDim);
            var o = ThreadBuffer(ref t_o, n * headDim).AsSpan(0, n * headDim);
            int loaded = -1;
            for (int h = start; h < end; h++)
            {
                int kvh = h / group;
                if (kvh != loaded)
                {
                    for (int p = 0; p < len; p++)
                    {
                        seq.KeyRow(layer, p, tmp).Slice(kvh * headDim, headDim).CopyTo(k.Slice(p * headDim, headDim));
                        var v = seq.ValueRow(layer, p, tmp).Slice(kvh * headDim, headDim);
                        for (int j = 0; j < headDim; j++) vT[j * len + p] = v[j];
                    }
                    loaded = kvh;
                }
                for (int i = 0; i < n; i++) q.AsSpan(i * qw + h * headDim, headDim).CopyTo(qh.Slice(i * headDim, headDim));
                CausalHeadAttention(qh, k, vT, o, n, len, headDim, headDim, p0, scale);
                for (int i = 0; i < n; i++) o.Slice(i * headDim, headDim).CopyTo(outHeads.AsSpan((i * heads + h) * headDim, headDim));
            }
        }

        public override int KeyWidth => kvHeads * headDim;
        public override int ValueWidth => kvHeads * headDim;
        public override long WeightBytes => wq.Bytes + wk.Bytes + wv.Bytes + wo.Bytes;

        public override void Forward(InferenceModel m, ReadOnlySpan<BatchRow> rows, int layer, ReadOnlySpan<float> xn, Span<float> y)
        {
            var s = m.s;
            int n = rows.Length, qw = heads * headDim, kw = kvHeads * headDim;
            var qs = s.Q.AsSpan(0, n * qw);
            var ks = s.K.AsSpan(0, n * kw);
            var vs = s.Vv.AsSpan(0, n * kw);
            WeightMatrix.MatMulShared(xn, n, m.Pool, wq, qs, wk, ks, wv, vs);
            for (int i = 0; i < n; i++)
            {
                var qi = qs.Slice(i * qw, qw);
                var ki = ks.Slice(i * kw, kw);
                var vi = vs.Slice(i * kw, kw);
                if (bq is not null) { TensorPrimitives.Add(qi, bq, qi); TensorPrimitives.Add(ki, bk!, ki); TensorPrimitives.Add(vi, bv!, vi); }
                int pos = rows[i].Position, half = headDim / 2;
                var cos = m.ropeCos.AsSpan(pos * half, half);
                var sin = m.ropeSin.AsSpan(pos * half, half);
                for (int h = 0; h < heads; h++) Ops.RopeHalf(qi.Slice(h * headDim, headDim), cos, sin);
                for (int h = 0; h < kvHeads; h++) Ops.RopeHalf(ki.Slice(h * headDim, headDim), cos, sin);
                rows[i].Sequence.StoreKey(layer, pos, ki);
                rows[i].Sequence.StoreValue(layer, pos, vi);
            }
            if (rowsCopy.Length < rows.Length) rowsCopy = new BatchRow[m.Options.MaxBatch];
            rows.CopyTo(rowsCopy);
            q = s.Q; outHeads = s.Heads; this.layer = layer;
            if (OneSequenceChunk(rows, m.Options.ChunkAttentionMinRows))
            {
                chunkRows = n;
                m.Pool.For(heads, prefillBody);        // a prompt chunk: per head, two GEMMs over the cached keys
            }
            else m.Pool.For(n * kvHeads, attendBody);
            wo.MatMul(s.Heads.AsSpan(0, n * qw), n, y, m.Pool);
        }

        // items = row·KV + kv head: S = q_g·kᵀ [group, len] for the group of query heads sharing the kv head, over the
        // row's cached positions 0..pos; o_g = softmax(S·scale)·v [group, head_dim] (two GEMMs reading the cache once).
        void AttendRange(int start, int end)
        {
            int group = heads / kvHeads, kw = kvHeads * headDim;
            for (int item = start; item < end; item++)
            {
                int i = item / kvHeads, kvh = item % kvHeads, h0 = kvh * group;
                var row = rowsCopy[i];
                var seq = row.Sequence;
                int len = row.Position + 1;
                var k = seq.KeyRows(layer, 0, len, seq.F16 ? ThreadBuffer(ref t_k, len * kw) : default);
                var scores = ThreadBuffer(ref t_scores, group * seq.Capacity).AsSpan(0, group * len);
                Gemm.General(q.AsSpan((i * heads + h0) * headDim), headDim, 1, k[(kvh * headDim)..], 1, kw, scores, len, group, len, headDim, accumulate: false);
                for (int j = 0; j < group; j++) ScaledSoftmax(scores.Slice(j * len, len), scale);
                var v = seq.ValueRows(layer, 0, len, seq.F16 ? ThreadBuffer(ref t_o, len * kw) : default);
                Gemm.General(scores, len, 1, v[(kvh * headDim)..], kw, 1, outHeads.AsSpan((i * heads + h0) * headDim), headDim, group, headDim, len, accumulate: false);
            }
        }
    }
}
