// Feed-forward halves of the decoder block: the SwiGLU MLP (dense layers, shared experts, each routed expert) and
// DeepSeekMoE (V3 §2.1.2): sigmoid/softmax gate, bias-for-selection-only routing with group limiting, experts run
// over the tokens grouped by expert, gradients through the gate weights, the sequence-wise balance loss (α) and
// the per-expert load that drives auxiliary-loss-free balancing.
using System.Numerics.Tensors;
using SharpSeek.Model;
using SharpSeek.Tensors;
using SharpSeek.Training.Kernels;

namespace SharpSeek.Training;

public abstract class FfnLayer
{
    public abstract void Forward(float[] xn, float[] y);
    public abstract void Backward(float[] xn, float[] dy, float[] dxn);
}

/// <summary>SwiGLU weights (gate and up adjacent, so one GEMM computes [g | u]) and its forward/backward over n rows.</summary>
public sealed class MlpWeights(TrainContext c, string p, int d, int f)
{
    public readonly ParamSlice Gate = c.Arena.Add(p + ".gate_proj.weight", [f, d]);
    public readonly ParamSlice Up = c.Arena.Add(p + ".up_proj.weight", [f, d]);
    public readonly ParamSlice Down = c.Arena.Add(p + ".down_proj.weight", [d, f]);
    public int F => f;

    /// <summary>x [n, D] → gu [n, 2F], h [n, F] (saved), y [n, D] (overwritten).</summary>
    public void Forward(ReadOnlySpan<float> x, float[] gu, int guOff, float[] h, int hOff, Span<float> y, int n)
    {
        if (n == 0) return;
        Dense.Forward(x[..(n * d)], c.Fused(Gate, Up), default, gu.AsSpan(guOff, n * 2 * f), n, 2 * f, d);
        Activations.SwiGluForward(gu, guOff, h, hOff, n, f);
        Dense.Forward(h.AsSpan(hOff, n * f), c.W(Down), default, y[..(n * d)], n, d, f);
    }

    /// <summary>dy [n, D] → dx [n, D] (overwritten or added); scratch dh [n, F], dgu [n, 2F].</summary>
    public void Backward(ReadOnlySpan<float> x, float[] gu, int guOff, float[] h, int hOff, ReadOnlySpan<float> dy, Span<float> dx, int n,
        float[] dh, float[] dgu, bool accumulate)
    {
        if (n == 0) return;
        Dense.BackwardWeight(dy[..(n * d)], h.AsSpan(hOff, n * f), c.GW(Down), default, n, d, f);
        Dense.BackwardInput(dy[..(n * d)], c.W(Down), dh.AsSpan(0, n * f), n, d, f, accumulate: false);
        Activations.SwiGluBackward(dh, 0, gu, guOff, dgu, 0, n, f);
        Dense.BackwardWeight(dgu.AsSpan(0, n * 2 * f), x[..(n * d)], c.GFused(Gate, Up), default, n, 2 * f, d);
        Dense.BackwardInput(dgu.AsSpan(0, n * 2 * f), c.Fused(Gate, Up), dx[..(n * d)], n, 2 * f, d, accumulate);
    }
}

public sealed class MlpLayer(TrainContext c, string p, int d, int f) : FfnLayer
{
    readonly MlpWeights w = new(c, p, d, f);
    float[]? gu, h, dh, dgu;           // gu [BT, 2F], h [BT, F]
    public ParamSlice OutProjection => w.Down;

    public override void Forward(float[] xn, float[] y)
    {
        int N = c.BT;
        Buf.Ensure(ref gu, (long)N * 2 * f); Buf.Ensure(ref h, (long)N * f);
        w.Forward(xn, gu, 0, h, 0, y, N);
    }

    public override void Backward(float[] xn, float[] dy, float[] dxn)
    {
        int N = c.BT;
        Buf.Ensure(ref dh, (long)N * f); Buf.Ensure(ref dgu, (long)N * 2 * f);
        w.Backward(xn, gu!, 0, h!, 0, dy, dxn, N, dh, dgu, accumulate: false);
    }
}

/// <summary>DeepSeekMoE: y = shared(x) + Σ_{e ∈ topk} w_e · expert_e(x). Routing follows SharpSeek.Model.Gate exactly.</summary>
public sealed class MoeLayer : FfnLayer
{
    readonly TrainContext c;
    readonly DeepseekV3Config cfg;
    public readonly ParamSlice GateWeight;
    public readonly ParamSlice? Bias;                   // e_score_correction_bias (noaux_tc): buffer, not trained
    readonly MlpWeights[] experts;
    readonly MlpWeights? shared;
    readonly int E, k, d, f;
    /// <summary>Tokens routed to each expert, summed since the last ResetLoad (drives the bias update).</summary>
    public readonly long[] Load;
    /// <summary>Sequence-wise balance loss weight α (V3 eq. 17–20); 0 disables it.</summary>
    public float BalanceAlpha { get; set; }
    /// <summary>Last forward's balance loss value (already × α).</summary>
    public double BalanceLoss { get; private set; }
    /// <summary>Multiplies the balance-loss gradient (the micro-step's loss scale, e.g. 1/grad_accum).</summary>
    public float GradScale { get; set; } = 1f;

    // saved: s [BT, E] scores; idx/wts [BT, k]; order [BT·k] rows grouped by expert (value = token·k + slot);
    // start [E+1]; X [BT·k, D] gathered inputs; GU [BT·k, 2F]; Hh [BT·k, F]; Y [BT·k, D] expert outputs; shared gu/h
    float[]? s, wts, X, GU, Hh, Y, sgu, sh, dY, dX, dh, dgu, dlogit, dsBal;
    int[]? idx, order, start, rowOf;

    public MoeLayer(TrainContext c, DeepseekV3Config cfg, string p)
    {
        this.c = c; this.cfg = cfg;
        E = cfg.NRoutedExperts; k = cfg.NumExpertsPerTok; d = cfg.HiddenSize; f = cfg.MoeIntermediateSize;
        GateWeight = c.Arena.Add(p + ".gate.weight", [E, d]);
        if (cfg.TopkMethod == "noaux_tc") Bias = c.Arena.Add(p + ".gate.e_score_correction_bias", [E], trainable: false);
        experts = new MlpWeights[E];
        for (int e = 0; e < E; e++) experts[e] = new MlpWeights(c, $"{p}.experts.{e}", d, f);
        if (cfg.NSharedExperts > 0) shared = new MlpWeights(c, p + ".shared_experts", d, cfg.NSharedExperts * f);
        Load = new long[E];
    }

    public IEnumerable<ParamSlice> OutProjections => experts.Select(x => x.Down).Concat(shared is null ? [] : [shared.Down]);
    public int[] LastRouting(int token) => idx!.AsSpan(token * k, k).ToArray();

    public override void Forward(float[] xn, float[] y)
    {
        int N = c.BT, Nk = N * k;
        Buf.Ensure(ref s, (long)N * E); Buf.Ensure(ref wts, Nk);
        if (idx is null || idx.Length < Nk) { idx = new int[Nk]; order = new int[Nk]; rowOf = new int[Nk]; }
        start ??= new int[E + 1];
        Dense.Forward(xn.AsSpan(0, N * d), c.W(GateWeight), default, s.AsSpan(0, N * E), N, E, d);
        var sb = s; var ib = idx; var wb = wts;
        WorkerPool.Shared.ForEach((N + 15) / 16, ch =>
        {
            Span<float> choice = stackalloc float[E];
            for (int t = ch * 16, end = Math.Min(N, t + 16); t < end; t++) Route(sb.AsSpan(t * E, E), choice, ib.AsSpan(t * k, k), wb.AsSpan(t * k, k));
        });
        // group (token, slot) pairs by expert, tokens in order (deterministic)
        var cnt = new int[E];
        for (int i = 0; i < Nk; i++) cnt[idx[i]]++;
        start[0] = 0;
        for (int e = 0; e < E; e++) { start[e + 1] = start[e] + cnt[e]; if (c.Training) Load[e] += cnt[e]; }
        var fill = start.AsSpan(0, E).ToArray();
        for (int i = 0; i < Nk; i++) { int row = fill[idx[i]]++; order![row] = i; rowOf![i] = row; }

        Buf.Ensure(ref X, (long)Nk * d); Buf.Ensure(ref GU, (long)Nk * 2 * f); Buf.Ensure(ref Hh, (long)Nk * f); Buf.Ensure(ref Y, (long)Nk * d);
        var Xb = X; var ob = order!;
        WorkerPool.Shared.ForEach((Nk + 63) / 64, ch =>
        {
            for (int row = ch * 64, end = Math.Min(Nk, row + 64); row < end; row++)
                xn.AsSpan(ob[row] / k * d, d).CopyTo(Xb.AsSpan(row * d, d));
        });
        for (int e = 0; e < E; e++)
        {
            int r0 = start[e], n = start[e + 1] - r0;
            experts[e].Forward(X.AsSpan(r0 * d), GU, r0 * 2 * f, Hh, r0 * f, Y.AsSpan(r0 * d), n);
        }
        if (shared is not null)
        {
            int sf = shared.F;
            Buf.Ensure(ref sgu, (long)N * 2 * sf); Buf.Ensure(ref sh, (long)N * sf);
            shared.Forward(xn, sgu, 0, sh, 0, y, N);
        }
        else y.AsSpan(0, N * d).Clear();
        var Yb = Y; var rb = rowOf!;
        WorkerPool.Shared.ForEach((N + 31) / 32, ch =>
        {
            for (int t = ch * 32, end = Math.Min(N, t + 32); t < end; t++)
                for (int j = 0; j < k; j++)
                    TensorPrimitives.MultiplyAdd(Yb.AsSpan(rb[t * k + j] * d, d), wb[t * k + j], y.AsSpan(t * d, d), y.AsSpan(t * d, d));
        });
        BalanceLoss = BalanceAlpha > 0 ? SeqBalance(computeGrad: false) : 0;
    }

    // scores row: logits in, scores out (sigmoid or softmax); selection with bias and group limit; weights as Gate.Route.
    void Route(Span<float> scores, Span<float> choice, Span<int> sel, Span<float> w)
    {
        if (cfg.ScoringFunc == "sigmoid") for (int i = 0; i < E; i++) scores[i] = Activations.Sigmoid(scores[i]);
        else SoftmaxInPlace(scores);
        scores.CopyTo(choice);
        if (Bias is not null) TensorPrimitives.Add(choice, c.Arena.Data.AsSpan(Bias.Offset, E), choice);
        if (cfg.TopkMethod != "greedy" && cfg.NGroup > 1)
        {
            int groups = cfg.NGroup, per = E / groups;
            Span<float> gs = stackalloc float[groups];
            Span<int> top2 = stackalloc int[2];
            for (int g = 0; g < groups; g++)
            {
                var part = choice.Slice(g * per, per);
                if (cfg.TopkMethod == "noaux_tc") { SharpSeek.Tensors.Ops.TopK(part, top2); gs[g] = part[top2[0]] + part[top2[1]]; }
                else gs[g] = TensorPrimitives.Max(part);
            }
            Span<int> keep = stackalloc int[cfg.TopkGroup];
            SharpSeek.Tensors.Ops.TopK(gs, keep);
            for (int g = 0; g < groups; g++)
                if (!keep.Contains(g)) choice.Slice(g * per, per).Fill(float.NegativeInfinity);
        }
        SharpSeek.Tensors.Ops.TopK(choice, sel);
        float sum = 0;
        for (int j = 0; j < k; j++) { w[j] = scores[sel[j]]; sum += w[j]; }
        if (Normalize) for (int j = 0; j < k; j++) w[j] /= sum + 1e-20f;
        for (int j = 0; j < k; j++) w[j] *= WeightScale;
    }

    bool Normalize => k > 1 && cfg.NormTopkProb;
    // V3 always scales; V2 (HF modeling_deepseek) scales only when it does not normalise.
    float WeightScale => cfg.IsV3 || !Normalize ? (float)cfg.RoutedScalingFactor : 1f;

    static void SoftmaxInPlace(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        TensorPrimitives.Multiply(x, 1f / TensorPrimitives.Sum(x), x);
    }

    // Sequence-wise balance loss (V3 eq. 17–20): per sequence, f_i = E/(k·T)·#{t: i ∈ topk(t)}, P_i = mean_t s'_{t,i}
    // with s' = s / Σ_j s_j; L = α · mean_b Σ_i f_i P_i. With computeGrad, writes dL/ds into dsBal [BT, E].
    double SeqBalance(bool computeGrad)
    {
        int B = c.B, T = c.T;
        double total = 0;
        if (computeGrad) { Buf.Ensure(ref dsBal, (long)B * T * E); }
        var fi = new double[E];
        for (int b = 0; b < B; b++)
        {
            Array.Clear(fi);
            for (int t = 0; t < T; t++) for (int j = 0; j < k; j++) fi[idx![(b * T + t) * k + j]] += 1;
            for (int e = 0; e < E; e++) fi[e] *= (double)E / (k * T);
            for (int t = 0; t < T; t++)
            {
                var st = s.AsSpan((b * T + t) * E, E);
                double S = 0;
                for (int e = 0; e < E; e++) S += st[e];
                double dot = 0;
                for (int e = 0; e < E; e++) dot += fi[e] * st[e];
                total += dot / S / T;
                if (computeGrad)
                {
                    // g_i = α f_i /(T·B); ds_j = g_j/S − Σ_i g_i s_i / S²
                    double coef = GradScale * BalanceAlpha / ((double)T * B);
                    var ds = dsBal.AsSpan((b * T + t) * E, E);
                    for (int e = 0; e < E; e++) ds[e] = (float)(coef * (fi[e] / S - dot / (S * S)));
                }
            }
        }
        return BalanceAlpha * total / B;
    }

    public override void Backward(float[] xn, float[] dy, float[] dxn)
    {
        int N = c.BT, Nk = N * k;
        Buf.Ensure(ref dY, (long)Nk * d); Buf.Ensure(ref dX, (long)Nk * d); Buf.Ensure(ref dlogit, (long)N * E);
        int fmax = Math.Max(f, shared?.F ?? 0);
        Buf.Ensure(ref dh, (long)Math.Max(Nk, N) * fmax); Buf.Ensure(ref dgu, (long)Math.Max(Nk, N) * 2 * fmax);
        if (shared is not null) shared.Backward(xn, sgu!, 0, sh!, 0, dy, dxn, N, dh, dgu, accumulate: false);
        else dxn.AsSpan(0, N * d).Clear();

        // dw[t, j] = dy[t]·Y[row]; dY[row] = w·dy[t]
        var dw = new float[Nk];
        var Yb = Y!; var dYb = dY; var rb = rowOf!; var wb = wts!;
        WorkerPool.Shared.ForEach((N + 31) / 32, ch =>
        {
            for (int t = ch * 32, end = Math.Min(N, t + 32); t < end; t++)
                for (int j = 0; j < k; j++)
                {
                    int row = rb[t * k + j];
                    var dyt = dy.AsSpan(t * d, d);
                    dw[t * k + j] = TensorPrimitives.Dot(dyt, Yb.AsSpan(row * d, d));
                    TensorPrimitives.Multiply(dyt, wb[t * k + j], dYb.AsSpan(row * d, d));
                }
        });
        for (int e = 0; e < E; e++)
        {
            int r0 = start![e], n = start[e + 1] - r0;
            experts[e].Backward(X.AsSpan(r0 * d), GU!, r0 * 2 * f, Hh!, r0 * f, dY.AsSpan(r0 * d), dX.AsSpan(r0 * d), n, dh, dgu, accumulate: false);
        }
        // scatter expert input grads back to tokens: token t's k rows, added in slot order (deterministic)
        var dXb = dX;
        WorkerPool.Shared.ForEach((N + 31) / 32, ch =>
        {
            for (int t = ch * 32, end = Math.Min(N, t + 32); t < end; t++)
                for (int j = 0; j < k; j++)
                    TensorPrimitives.Add(dxn.AsSpan(t * d, d), dXb.AsSpan(rb[t * k + j] * d, d), dxn.AsSpan(t * d, d));
        });

        // gate: dw → ds (selected experts; through normalisation) (+ balance loss) → dlogit → dW_gate, dxn
        if (BalanceAlpha > 0) SeqBalance(computeGrad: true);
        float scaleW = WeightScale;
        bool norm = Normalize;
        var sb = s!; var ib = idx!; var dl = dlogit; var bal = BalanceAlpha > 0 ? dsBal : null;
        WorkerPool.Shared.ForEach((N + 15) / 16, ch =>
        {
            Span<float> ds = stackalloc float[E];
            for (int t = ch * 16, end = Math.Min(N, t + 16); t < end; t++)
            {
                var st = sb.AsSpan(t * E, E);
                if (bal is not null) bal.AsSpan(t * E, E).CopyTo(ds); else ds.Clear();
                if (norm)
                {
                    float Z = 1e-20f, acc = 0;
                    for (int j = 0; j < k; j++) Z += st[ib[t * k + j]];
                    for (int j = 0; j < k; j++) acc += dw[t * k + j] * st[ib[t * k + j]];
                    for (int j = 0; j < k; j++) ds[ib[t * k + j]] += scaleW * (dw[t * k + j] / Z - acc / (Z * Z));
                }
                else for (int j = 0; j < k; j++) ds[ib[t * k + j]] += scaleW * dw[t * k + j];
                var dlt = dl.AsSpan(t * E, E);
                if (cfg.ScoringFunc == "sigmoid") for (int e = 0; e < E; e++) dlt[e] = ds[e] * st[e] * (1 - st[e]);
                else
                {
                    float dot = TensorPrimitives.Dot(ds, st);
                    for (int e = 0; e < E; e++) dlt[e] = st[e] * (ds[e] - dot);
                }
            }
        });
        Dense.BackwardWeight(dlogit.AsSpan(0, N * E), xn.AsSpan(0, N * d), c.GW(GateWeight), default, N, E, d);
        Dense.BackwardInput(dlogit.AsSpan(0, N * E), c.W(GateWeight), dxn.AsSpan(0, N * d), N, E, d, accumulate: true);
    }

    public void ResetLoad() => Array.Clear(Load);

    /// <summary>Auxiliary-loss-free balancing (V3 §2.1.2): b_i −= γ if expert i is overloaded, += γ if underloaded.</summary>
    public void UpdateBias(float gamma)
    {
        if (Bias is null) return;
        double mean = Load.Sum() / (double)E;
        var b = c.Arena.Data.AsSpan(Bias.Offset, E);
        for (int e = 0; e < E; e++) b[e] += gamma * Math.Sign(mean - Load[e]);
    }
}
