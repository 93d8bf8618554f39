// A weight matrix [rows, cols] in its stored type (f32, f16, bf16 or a ggml block quant), pointing into a memory
// map or into memory the loader owns. The fast path multiplies with it; it is never expanded to f32.
using SharpSeek.Tensors;

namespace SharpSeek.Model.Inference;

public sealed unsafe class WeightMatrix(GgmlType type, int rows, int cols, byte* data)
{
    public GgmlType Type { get; } = type;
    public int Rows { get; } = rows;
    public int Cols { get; } = cols;
    public long RowBytes { get; } = Quant.RowBytes(type, cols);
    public long Bytes => RowBytes * Rows;
    readonly byte* data = data;

    public ReadOnlySpan<byte> Data => new(data, checked((int)Bytes));
    /// <summary>Rows [first, first + count) as their own matrix (e.g. one head's slice of kv_b).</summary>
    public WeightMatrix Slice(int first, int count) => new(Type, count, Cols, data + first * RowBytes);

    /// <summary>y[n, rows] = x[n, cols] · Wᵀ; activations quantized once per call, each weight row read once.</summary>
    public void MatMul(ReadOnlySpan<float> x, int n, Span<float> y, WorkerPool? pool) =>
        Quant.MatMul(Type, Data, Rows, Cols, x[..(n * Cols)], n, y[..(n * Rows)], pool);

    /// <summary>One row dequantized to f32 (embedding lookup).</summary>
    public void Row(int r, Span<float> dst) => Quant.Dequantize(Type, new ReadOnlySpan<byte>(data + r * RowBytes, (int)RowBytes), dst[..Cols]);
}
