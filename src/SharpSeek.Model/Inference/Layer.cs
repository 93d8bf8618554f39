// One decoder block of the fast path: x += attn(attn_norm(x)); x += ffn(ffn_norm(x)) over a batch of rows.
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Inference;

public sealed partial class InferenceModel
{
    abstract class FastAttention
    {
        public abstract int KeyWidth { get; }
        public abstract int ValueWidth { get; }
        public abstract long WeightBytes { get; }
        /// <summary>xn: [n, hidden] → m.s.Delta [n, hidden]; stores the rows' keys/values into their sequences.</summary>
        public abstract void Forward(InferenceModel m, ReadOnlySpan<BatchRow> rows, int layer, ReadOnlySpan<float> xn, Span<float> y);
    }

    abstract class FastFeedForward
    {
        public abstract long WeightBytes { get; }
        /// <summary>Bytes one token's decode step reads (MoE: shared + gate + num_experts_per_tok experts).</summary>
        public virtual long ActiveBytes => WeightBytes;
        /// <summary>xn: [n, hidden] → y[0, n × hidden) (an array, so parallel bodies can write it).</summary>
        public abstract void Forward(InferenceModel m, int n, ReadOnlySpan<float> xn, float[] y);
    }

    sealed class Layer(FastAttention attention, FastFeedForward ffn, float[] attnNorm, float[] ffnNorm)
    {
        public FastAttention Attention { get; } = attention;
        public long WeightBytes => Attention.WeightBytes + ffn.WeightBytes;
        public long ActiveBytes => Attention.WeightBytes + ffn.ActiveBytes;

        public static Layer Load(WeightLoader w, ModelConfig c, int i)
        {
            string p = $"model.layers.{i}";
            int d = c.HiddenSize;
            FastAttention attn = c is DeepseekV3Config ds ? new FastMla(w, ds, p + ".self_attn") : new FastGqa(w, (LlamaConfig)c, p + ".self_attn");
            FastFeedForward ffn = c is DeepseekV3Config dc && dc.IsMoeLayer(i)
                ? new FastMoe(w, dc, p + ".mlp")
                : new FastMlp(w, p + ".mlp", "intermediate_size, hidden_size", d, c.IntermediateSize);
            return new Layer(attn, ffn, w.Norm(p + ".input_layernorm", "hidden_size", d), w.Norm(p + ".post_attention_layernorm", "hidden_size", d));
        }

        public void Forward(InferenceModel m, ReadOnlySpan<BatchRow> rows, int layer)
        {
            int n = rows.Length, d = m.D;
            var x = m.s.X.AsSpan(0, n * d);
            var xn = m.s.Xn.AsSpan(0, n * d);
            var delta = m.s.Delta.AsSpan(0, n * d);   // the attention's and the FFN's output
            for (int i = 0; i < n; i++) Ops.RmsNorm(x.Slice(i * d, d), attnNorm, m.Eps, xn.Slice(i * d, d));
            Attention.Forward(m, rows, layer, xn, delta);
            TensorPrimitives.Add(x, delta, x);
            for (int i = 0; i < n; i++) Ops.RmsNorm(x.Slice(i * d, d), ffnNorm, m.Eps, xn.Slice(i * d, d));
            ffn.Forward(m, n, xn, m.s.Delta);
            TensorPrimitives.Add(x, delta, x);

        }
    }

    /// <summary>SwiGLU MLP over n rows: three batched matmuls.</summary>
    sealed class FastMlp(WeightLoader w, string prefix, string keys, int dim, int hidden) : FastFeedForward
    {
        readonly WeightMatrix gate = w.Projection(prefix + ".gate_proj.weight", keys, hidden, dim);
        readonly WeightMatrix up = w.Projection(prefix + ".up_proj.weight", keys, hidden, dim);
        readonly WeightMatrix down = w.Projection(prefix + ".down_proj.weight", keys, dim, hidden);
        public int Hidden => hidden;
        public override long WeightBytes => gate.Bytes + up.Bytes + down.Bytes;

        public override void Forward(InferenceModel m, int n, ReadOnlySpan<float> xn, float[] y) => Run(m.Pool, n, xn, y.AsSpan(0, n * dim), m.s.G, m.s.U);

        /// <summary>y [n, dim] = down(silu(gate·x) ⊙ up·x); gBuf, uBuf: scratch of at least n × hidden.</summary>
        public void Run(WorkerPool? pool, int n, ReadOnlySpan<float> x, Span<float> y, float[] gBuf, float[] uBuf)
        {
            var g = gBuf.AsSpan(0, n * hidden);
            var u = uBuf.AsSpan(0, n * hidden);
            WeightMatrix.MatMulShared(x, n, pool, gate, g, up, u);
            if (pool is { Threads: > 1 } && n >= 16)   // prefill: rows split across the pool, not serial
            {
                swiG = gBuf; swiU = uBuf;
                pool.For(n, swiGluRows ??= (start, end) =>
                    Ops.SwiGlu(swiG.AsSpan(start * hidden, (end - start) * hidden), swiU.AsSpan(start * hidden, (end - start) * hidden)));
            }
            else Ops.SwiGlu(g, u);
            down.MatMul(g, n, y, pool);
        }

        float[] swiG = [], swiU = [];   // the current call's scratch, read by the parallel body
        Action<int, int>? swiGluRows;
    }

    /// <summary>DeepSeekMoE over n rows: route every row, group rows by expert, one batched MLP per used expert.</summary>
    sealed class FastMoe : FastFeedForward
    {
        readonly Gate gate;
        readonly FastMlp[] experts;
        readonly FastMlp? shared;
        readonly int topK;

        public FastMoe(WeightLoader w, DeepseekV3Config c, string prefix)
        {
            int d = c.HiddenSize, n = c.NRoutedExperts;
            var gateW = w.Load(prefix + ".gate.weight", "n_routed_experts, hidden_size", n, d);
            float[]? bias = c.TopkMethod == "noaux_tc" ? w.Load(prefix + ".gate.e_score_correction_bias", "n_routed_experts (topk_method noaux_tc)", n) : null;
            gate = new Gate(c, gateW, bias);
            experts = new FastMlp[n];
            for (int e = 0; e < n; e++) experts[e] = new FastMlp(w, $"{prefix}.experts.{e}", "moe_intermediate_size, hidden_size", d, c.MoeIntermediateSize);
            shared = c.NSharedExperts > 0 ? new FastMlp(w, prefix + ".shared_experts", "n_shared_experts × moe_intermediate_size", d, c.NSharedExperts * c.MoeIntermediateSize) : null;
            topK = c.NumExpertsPerTok;
        }

        public override long WeightBytes => experts.Sum(e => e.WeightBytes) + (shared?.WeightBytes ?? 0) + gate.Weight.LongLength * 4;
        public override long ActiveBytes => topK * experts[0].WeightBytes + (shared?.WeightBytes ?? 0) + gate.Weight.LongLength * 4;

        public override void Forward(InferenceModel m, int n, ReadOnlySpan<float> xn, float[] yBuf)
        {
            var y = yBuf.AsSpan(0, n * m.D);
            var s = m.s;
            int d = m.D, k = topK;
            bool byExpert = m.Options.ExpertParallelMinRows > 0 && n >= m.Options.ExpertParallelMinRows && m.Pool.Threads > 1;
            if (byExpert)
            {
                counts = s.ExpertCount; xs = s.Xn; dim = d; rowsOf = s.ExpertRows; idx = s.ExpertIdx; wts = s.ExpertW;
                m.Pool.For(n, routeRows);                  // prefill: rows routed in parallel too
            }
            else
                for (int i = 0; i < n; i++)
                    gate.Route(xn.Slice(i * d, d), s.ExpertIdx.AsSpan(i * k, k), s.ExpertW.AsSpan(i * k, k), s.GateScratch);

            if (shared is not null) shared.Run(m.Pool, n, xn, y, s.G, s.U);
            else y.Clear();

            // counting sort of (row, slot) pairs by expert: ExpertCount[e]..ExpertCount[e+1] index ExpertRows/Slots
            var count = s.ExpertCount.AsSpan();
            count.Clear();
            for (int j = 0; j < n * k; j++) count[s.ExpertIdx[j] + 1]++;
            for (int e = 1; e < count.Length; e++) count[e] += count[e - 1];
            for (int j = 0; j < n * k; j++)
            {
                int e = s.ExpertIdx[j];
                int at = count[e]++;
                s.ExpertRows[at] = j / k;
                s.ExpertSlots[at] = j;
                s.ExpertPos[j] = at;
            }
            // count[e] now holds the end of expert e's range; its start is count[e-1] (0 for e = 0)
            if (byExpert)
            {
                // prefill: whole experts in parallel (each single-threaded), largest first, claimed one at a time
                // (longest-processing-time order); outputs kept per (row, slot) in expert order, then each row sums
                // its slots in ascending expert order — the decode loop's order — with rows split across the pool
                var order = s.ExpertOrder;
                for (int e = 0; e < order.Length; e++)   // insertion sort by rows, descending (stable: ties by index)
                {
                    int b = e;
                    for (; b > 0 && Size(s.ExpertCount, order[b - 1]) < Size(s.ExpertCount, e); b--) order[b] = order[b - 1];
                    order[b] = e;
                }
                Buffer(ref s.ExpertOut, (long)n * k * d);
                outBuf = s.ExpertOut!; expertOrder = order; pos = s.ExpertPos; yOut = yBuf;
                m.Pool.For(experts.Length, runExperts, maxChunks: experts.Length);
                m.Pool.For(n, combineRows);
                return;
            }
            for (int e = 0; e < experts.Length; e++)
            {
                int begin = e == 0 ? 0 : count[e - 1], rowsE = count[e] - begin;
                if (rowsE == 0) continue;
                var xe = s.Xe.AsSpan(0, rowsE * d);
                for (int r = 0; r < rowsE; r++) xn.Slice(s.ExpertRows[begin + r] * d, d).CopyTo(xe.Slice(r * d, d));
                var de = s.De.AsSpan(0, rowsE * d);
                experts[e].Run(m.Pool, rowsE, xe, de, s.Ge, s.Ue);
                for (int r = 0; r < rowsE; r++)
                {
                    int row = s.ExpertRows[begin + r];
                    var yr = y.Slice(row * d, d);
                    TensorPrimitives.MultiplyAdd(de.Slice(r * d, d), s.ExpertW[s.ExpertSlots[begin + r]], yr, yr);
                }
            }
        }

        [ThreadStatic] static float[]? t_xe, t_ge, t_ue, t_gate;
        // per-call state read by the parallel body (the scheduler thread is the only caller)
        int[] counts = [];
        float[] xs = [], outBuf = [];
        int dim;
        int[] rowsOf = [], idx = [];
        float[] wts = [];
        Action<int, int>? routeRowsBody;
        Action<int, int> routeRows => routeRowsBody ??= RouteRows;

        void RouteRows(int start, int end)
        {
            int d = dim, k = topK;
            var scratch = ThreadBuffer(ref t_gate, gate.ScratchSize);
            for (int i = start; i < end; i++) gate.Route(xs.AsSpan(i * d, d), idx.AsSpan(i * k, k), wts.AsSpan(i * k, k), scratch);
        }
        Action<int, int>? runExpertsBody;
        Action<int, int> runExperts => runExpertsBody ??= RunExperts;

        static int Size(int[] ends, int e) => ends[e] - (e == 0 ? 0 : ends[e - 1]);

        int[] expertOrder = [], pos = [];
        float[] yOut = [];
        Action<int, int>? combineRowsBody;
        Action<int, int> combineRows => combineRowsBody ??= CombineRows;

        /// <summary>y[i] += Σ over row i's slots, in ascending expert order, of weight · expert output.</summary>
        void CombineRows(int start, int end)
        {
            int d = dim, k = topK;
            Span<int> slots = stackalloc int[k];
            for (int i = start; i < end; i++)
            {
                for (int q = 0; q < k; q++) slots[q] = i * k + q;
                for (int a = 1; a < k; a++)   // insertion sort of the k slots by expert
                    for (int b = a; b > 0 && idx[slots[b]] < idx[slots[b - 1]]; b--) (slots[b], slots[b - 1]) = (slots[b - 1], slots[b]);
                var yr = yOut.AsSpan(i * d, d);
                foreach (int j in slots) TensorPrimitives.MultiplyAdd(outBuf.AsSpan(pos[j] * d, d), wts[j], yr, yr);
            }
        }

        void RunExperts(int start, int end)
        {
            int d = dim, hidden = experts[0].Hidden;
            for (int at = start; at < end; at++)
            {
                int e = expertOrder[at];
                int begin = e == 0 ? 0 : counts[e - 1], rowsE = counts[e] - begin;
                if (rowsE == 0) continue;
                var xe = ThreadBuffer(ref t_xe, rowsE * d).AsSpan(0, rowsE * d);
                for (int r = 0; r < rowsE; r++) xs.AsSpan(rowsOf[begin + r] * d, d).CopyTo(xe.Slice(r * d, d));
                experts[e].Run(null, rowsE, xe, outBuf.AsSpan(begin * d, rowsE * d),
                    ThreadBuffer(ref t_ge, rowsE * hidden), ThreadBuffer(ref t_ue, rowsE * hidden));
            }
        }

        static Span<float> Buffer(ref float[]? buffer, long size)
        {
            if (buffer is null || buffer.LongLength < size) buffer = new float[size];
            return buffer.AsSpan(0, checked((int)size));
        }
    }
}
