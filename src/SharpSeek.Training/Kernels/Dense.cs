// llm.c's three matmuls of a linear layer y = x·Wᵀ + b, named for the call sites; each forwards to the one GEMM
// (SharpSeek.Tensors.Gemm.General) on the shared pool, whose results do not depend on the thread count.
using System.Numerics.Tensors;
using SharpSeek.Tensors;

namespace SharpSeek.Training.Kernels;

public static class Dense
{
    /// <summary>out[M,N] (+)= inp[M,K] · w[N,K]ᵀ (+ bias[N]).</summary>
    public static void Forward(ReadOnlySpan<float> inp, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> output,
        int M, int N, int K, bool accumulate = false, bool parallel = true)
    {
        Check(inp.Length, (long)M * K, "inp"); Check(w.Length, (long)N * K, "w"); Check(output.Length, (long)M * N, "out");
        Gemm.General(inp, K, 1, w, 1, K, output, N, M, N, K, accumulate, Pool(parallel));
        if (bias.IsEmpty) return;
        Check(bias.Length, N, "bias");
        for (int i = 0; i < M; i++) TensorPrimitives.Add(output.Slice(i * N, N), bias, output.Slice(i * N, N));
    }

    /// <summary>dinp[M,K] (+)= dout[M,N] · w[N,K].</summary>
    public static void BackwardInput(ReadOnlySpan<float> dout, ReadOnlySpan<float> w, Span<float> dinp, int M, int N, int K,
        bool accumulate = true, bool parallel = true)
    {
        Check(dout.Length, (long)M * N, "dout"); Check(w.Length, (long)N * K, "w"); Check(dinp.Length, (long)M * K, "dinp");
        Gemm.General(dout, N, 1, w, K, 1, dinp, K, M, K, N, accumulate, Pool(parallel));
    }

    /// <summary>dw[N,K] (+)= dout[M,N]ᵀ · inp[M,K]; dbias[N] += Σ_rows dout when given.</summary>
    public static void BackwardWeight(ReadOnlySpan<float> dout, ReadOnlySpan<float> inp, Span<float> dw, Span<float> dbias,
        int M, int N, int K, bool accumulate = true, bool parallel = true)
    {
        Check(dout.Length, (long)M * N, "dout"); Check(inp.Length, (long)M * K, "inp"); Check(dw.Length, (long)N * K, "dw");
        Gemm.General(dout, 1, N, inp, K, 1, dw, K, N, K, M, accumulate, Pool(parallel));
        if (dbias.IsEmpty) return;
        Check(dbias.Length, N, "dbias");
        for (int i = 0; i < M; i++) TensorPrimitives.Add(dbias, dout.Slice(i * N, N), dbias);
    }

    static WorkerPool? Pool(bool parallel) => parallel ? WorkerPool.Shared : null;

    static void Check(long have, long need, string what)
    {
        if (have < need) throw new ArgumentException($"dense: {what} has {have} floats, needs {need}");
    }
}
