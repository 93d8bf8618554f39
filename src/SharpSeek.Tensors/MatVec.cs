// y = W·x (+ b) over row-major f32 weights W[rows, cols]: the fp32 reference GEMV every model path uses.
// Quantized and tiled variants belong to the fast-inference work; this file is the oracle they are tested against.
using System.Numerics.Tensors;

namespace SharpSeek.Tensors;

public static partial class Ops
{
    /// <summary>y[r] = Σ_c w[r·cols + c]·x[c] + bias[r]. w: [rows, cols], x: [cols], y: [rows].</summary>
    public static void MatVec(ReadOnlySpan<float> w, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> bias = default)
    {
        int rows = y.Length, cols = x.Length;
        CheckMatVec(w, rows, cols, bias);
        for (int r = 0; r < rows; r++)
            y[r] = TensorPrimitives.Dot(w.Slice(r * cols, cols), x) + (bias.IsEmpty ? 0f : bias[r]);
    }

    /// <summary>Scalar reference of <see cref="MatVec"/>: sequential sums, no SIMD.</summary>
    public static void MatVecReference(ReadOnlySpan<float> w, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> bias = default)
    {
        int rows = y.Length, cols = x.Length;
        CheckMatVec(w, rows, cols, bias);
        for (int r = 0; r < rows; r++)
        {
            float sum = 0;
            for (int c = 0; c < cols; c++) sum += w[r * cols + c] * x[c];
            y[r] = sum + (bias.IsEmpty ? 0f : bias[r]);
        }
    }

    /// <summary>y[c] = Σ_r x[r]·w[r·cols + c]: the transposed product (x: [rows], y: [cols]).</summary>
    public static void MatTVec(ReadOnlySpan<float> w, ReadOnlySpan<float> x, Span<float> y)
    {
        int rows = x.Length, cols = y.Length;
        CheckMatVec(w, rows, cols, default);
        y.Clear();
        for (int r = 0; r < rows; r++)
            TensorPrimitives.MultiplyAdd(w.Slice(r * cols, cols), x[r], y, y);
    }

    static void CheckMatVec(ReadOnlySpan<float> w, int rows, int cols, ReadOnlySpan<float> bias)
    {
        if ((long)rows * cols != w.Length)
            throw new ArgumentException($"weight has {w.Length} elements, expected rows {rows} × cols {cols}");
        if (!bias.IsEmpty && bias.Length != rows)
            throw new ArgumentException($"bias has {bias.Length} elements, expected {rows}");
    }
}
