// Training kernels: the linear layer's three matmuls (Dense → Tensors' Gemm) against the naive reference with
// bias and accumulate (the GEMM itself: tests/SharpSeek.Tensors.Tests/GemmTests), and finite-difference checks
// of each backward (RMSNorm, RoPE, attention, SwiGLU, cross-entropy, matmul).
using SharpSeek.Tensors;
using SharpSeek.Training.Kernels;

namespace SharpSeek.Training.Tests;

public class KernelTests
{
    static float[] Rand(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 5, 3)]
    [InlineData(33, 47, 300)]
    [InlineData(97, 130, 257)]
    [InlineData(200, 64, 520)]
    public void LinearMatchesReference(int M, int N, int K)
    {
        var x = Rand(M * K, 1); var w = Rand(N * K, 2); var dy = Rand(M * N, 3);
        var bias = Rand(N, 4);
        foreach (bool parallel in new[] { false, true })
        {
            // forward y = x·wᵀ + b
            var y = new float[M * N]; var yr = new float[M * N];
            Dense.Forward(x, w, bias, y, M, N, K, parallel: parallel);
            Gemm.Reference(x, K, 1, w, 1, K, yr, N, M, N, K, false);
            for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) yr[i * N + j] += bias[j];
            Close(yr, y, K);
            // dx += dy·w  (accumulate onto ones)
            var dx = Enumerable.Repeat(1f, M * K).ToArray(); var dxr = Enumerable.Repeat(1f, M * K).ToArray();
            Dense.BackwardInput(dy, w, dx, M, N, K, parallel: parallel);
            Gemm.Reference(dy, N, 1, w, K, 1, dxr, K, M, K, N, true);
            Close(dxr, dx, N);
            // dw += dyᵀ·x, db += Σ dy
            var dw = new float[N * K]; var dwr = new float[N * K]; var db = new float[N];
            Dense.BackwardWeight(dy, x, dw, db, M, N, K, parallel: parallel);
            Gemm.Reference(dy, 1, N, x, K, 1, dwr, K, N, K, M, false);
            Close(dwr, dw, M);
            for (int j = 0; j < N; j++) { double s = 0; for (int i = 0; i < M; i++) s += dy[i * N + j]; Assert.True(Math.Abs(s - db[j]) < 1e-4 * M); }
        }
    }

    static void Close(float[] expect, float[] got, int depth)
    {
        double tol = 2e-6 * depth + 1e-5;
        for (int i = 0; i < expect.Length; i++)
            Assert.True(Math.Abs(expect[i] - got[i]) <= tol, $"[{i}] {got[i]} vs {expect[i]}");
    }

    // L(θ) = Σ out(θ)·R; compare the analytic dL/dθ with central differences.
    static void FiniteDifference(float[] theta, Func<float[]> forward, float[] analytic, float[] R, double h = 1e-2, double tol = 2e-2)
    {
        double L(float[] o) { double s = 0; for (int i = 0; i < o.Length; i++) s += (double)o[i] * R[i]; return s; }
        double max = analytic.Max(Math.Abs) + 1e-3;
        var rng = new Random(9);
        for (int n = 0; n < Math.Min(theta.Length, 40); n++)
        {
            int i = theta.Length <= 40 ? n : rng.Next(theta.Length);
            float keep = theta[i];
            theta[i] = keep + (float)h; double up = L(forward());
            theta[i] = keep - (float)h; double dn = L(forward());
            theta[i] = keep;
            double fd = (up - dn) / (2 * h);
            Assert.True(Math.Abs(fd - analytic[i]) <= tol * max, $"θ[{i}]: finite difference {fd:G6}, backward {analytic[i]:G6}");
        }
    }

    [Fact]
    public void RmsNormBackward()
    {
        int N = 5, C = 24;
        var x = Rand(N * C, 1); var w = Rand(C, 2); var R = Rand(N * C, 3);
        var y = new float[N * C]; var rstd = new float[N];
        float[] Fwd() { Norm.RmsForward(x, C, 0, w, y, C, 0, rstd, N, C, 1e-6f); return y; }
        Fwd();
        var dx = new float[N * C]; var dw = new float[C];
        Norm.RmsBackward(R, C, 0, x, C, 0, w, 0, rstd, dx, C, 0, dw, 0, N, C);
        FiniteDifference(x, Fwd, dx, R, 1e-3);
        FiniteDifference(w, Fwd, dw, R, 1e-3);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RopeBackwardIsTheTransposedRotation(bool interleaved)
    {
        int N = 4, H = 2, d = 8;
        var x = Rand(N * H * d, 1); var R = Rand(N * H * d, 2);
        var pos = new[] { 0, 3, 7, 11 };
        var cos = new float[12 * d / 2]; var sin = new float[12 * d / 2];
        for (int p = 0; p < 12; p++) for (int j = 0; j < d / 2; j++) { double a = p * Math.Pow(1e4, -2.0 * j / d); cos[p * d / 2 + j] = (float)Math.Cos(a) * 1.1f; sin[p * d / 2 + j] = (float)Math.Sin(a) * 1.1f; }
        float[] Fwd() { var y = (float[])x.Clone(); Rope.Apply(y, H * d, 0, H, d, d, N, pos, cos, sin, interleaved, false); return y; }
        var g = (float[])R.Clone();
        Rope.Apply(g, H * d, 0, H, d, d, N, pos, cos, sin, interleaved, inverse: true);
        FiniteDifference(x, Fwd, g, R, 1e-2, 1e-3);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    public void AttentionBackward(int group, bool docMask)
    {
        int B = 2, T = 70, H = 2, d = 8, KV = H / group;   // T > 64 spans two query blocks
        int ld = (H + 2 * KV) * d, N = B * T;
        var qkv = Rand(N * ld, 1, 0.8f); var R = Rand(N * H * d, 2);
        int[]? ds = null;
        if (docMask) { ds = new int[N]; for (int i = 0; i < N; i++) ds[i] = i % T >= 30 ? 30 : 0; }
        HeadView Q(float[] b) => new(b, ld, 0, 1, d);
        HeadView K(float[] b) => new(b, ld, H * d, group, d);
        HeadView Vv(float[] b) => new(b, ld, (H + KV) * d, group, d);
        var o = new float[N * H * d]; var lse = new float[N * H];
        float[] Fwd() { Kernels.Attention.Forward(B, T, H, Q(qkv), K(qkv), Vv(qkv), new(o, H * d, 0, 1, d), lse, 0.35f, ds); return o; }
        Fwd();
        var g = new float[N * ld];
        Kernels.Attention.Backward(B, T, H, Q(qkv), K(qkv), Vv(qkv), new(o, H * d, 0, 1, d), new(R, H * d, 0, 1, d), lse, 0.35f, ds, Q(g), K(g), Vv(g));
        FiniteDifference(qkv, Fwd, g, R, 1e-2, 2e-2);
    }

    [Fact]
    public void SwiGluBackward()
    {
        int N = 3, F = 10;
        var gu = Rand(N * 2 * F, 1, 3f); var R = Rand(N * F, 2);
        var h = new float[N * F];
        float[] Fwd() { Activations.SwiGluForward(gu, 0, h, 0, N, F); return h; }
        var dgu = new float[N * 2 * F];
        Activations.SwiGluBackward(R, 0, gu, 0, dgu, 0, N, F);
        FiniteDifference(gu, Fwd, dgu, R, 1e-3);
    }

    [Fact]
    public void CrossEntropyGradient()
    {
        int N = 4, V = 11;
        var z = Rand(N * V, 1, 4f);
        var targets = new[] { 3, -1, 0, 10 };
        var g = (float[])z.Clone();
        double loss = CrossEntropy.ForwardBackward(g, N, V, targets, 0, 1, 1f);
        for (int i = 0; i < z.Length; i++)
        {
            var zp = (float[])z.Clone(); zp[i] += 1e-2f;
            var zm = (float[])z.Clone(); zm[i] -= 1e-2f;
            double fd = (CrossEntropy.ForwardBackward(zp, N, V, targets, 0, 1, 1f) - CrossEntropy.ForwardBackward(zm, N, V, targets, 0, 1, 1f)) / 2e-2;
            Assert.True(Math.Abs(fd - g[i]) < 2e-3, $"logit {i}: fd {fd}, backward {g[i]}");
        }
        Assert.True(loss > 0);
        Assert.All(g.AsSpan(V, V).ToArray(), v => Assert.Equal(0f, v));   // ignored row
    }
}
