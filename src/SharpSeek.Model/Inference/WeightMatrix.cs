// A weight matrix [rows, cols] in its stored type (f32, f16, bf16 or a ggml block quant), pointing into a memory
// map or into memory the loader owns. The fast path multiplies with it; it is never expanded to f32. Q4_0/Q8_0
// projections may be held interleaved by groups of 16 rows (Quant.Interleaved.cs), F16/BF16 in k-major panels of 32
// rows (Quant.Interleaved.Half.cs): layouts the loader makes once.
using SharpSeek.Tensors;

namespace SharpSeek.Model.Inference;

public sealed unsafe class WeightMatrix(GgmlType type, int rows, int cols, byte* data, bool interleaved = false)
{
    public GgmlType Type { get; } = type;
    public int Rows { get; } = rows;
    public int Cols { get; } = cols;
    public long RowBytes { get; } = Quant.RowBytes(type, cols);
    public long Bytes => RowBytes * Rows;
    /// <summary>Rows interleaved by groups (Quant.TryInterleave, Quant.InterleaveGroup); Data is then not row-major.</summary>
    public bool Interleaved { get; } = interleaved;
    readonly byte* data = data;

    public ReadOnlySpan<byte> Data => new(data, checked((int)Bytes));

    /// <summary>Rows [first, first + count) as their own matrix (e.g. one head's slice of kv_b); whole groups when interleaved
    /// (or the last rows, plain tail included).</summary>
    public WeightMatrix Slice(int first, int count)
    {
        int g = Quant.InterleaveGroup(Type);
        if (Interleaved && (first % g != 0 || count % g != 0 && first + count != Rows))
            throw new InvalidOperationException($"rows [{first}, {first + count}) cut a group of {g} interleaved rows");
        return new(Type, count, Cols, data + first * RowBytes, Interleaved);
    }

    /// <summary>y[n, rows] = x[n, cols] · Wᵀ; activations quantized once per call, each weight row read once.</summary>
    public void MatMul(ReadOnlySpan<float> x, int n, Span<float> y, WorkerPool? pool)
    {
        if (Interleaved) Quant.MatMulInterleaved(Type, Data, Rows, Cols, x[..(n * Cols)], n, y[..(n * Rows)], pool);
        else Quant.MatMul(Type, Data, Rows, Cols, x[..(n * Cols)], n, y[..(n * Rows)], pool);
    }

    /// <summary>y_k[n, rows_k] = x · W_kᵀ for matrices that read the same x (QKV; gate and up): one call into the pool
    /// when they share type, width and layout (Quant.MatMulShared), else one MatMul each.</summary>
    public static void MatMulShared(ReadOnlySpan<float> x, int n, WorkerPool? pool, WeightMatrix a, Span<float> ya, WeightMatrix b, Span<float> yb,
        WeightMatrix? c = null, Span<float> yc = default)
    {
        bool same = b.Type == a.Type && b.Cols == a.Cols && b.Interleaved == a.Interleaved
            && (c is null || c.Type == a.Type && c.Cols == a.Cols && c.Interleaved == a.Interleaved);
        if (!same)
        {
            a.MatMul(x, n, ya, pool); b.MatMul(x, n, yb, pool); c?.MatMul(x, n, yc, pool);
            return;
        }
        Quant.MatMulShared(a.Type, a.Cols, a.Interleaved, x[..(n * a.Cols)], n, pool, a.Data, a.Rows, ya[..(n * a.Rows)], b.Data, b.Rows, yb[..(n * b.Rows)],
            c is null ? default : c.Data, c?.Rows ?? 0, c is null ? default : yc[..(n * c.Rows)]);
    }

    /// <summary>One row dequantized to f32 (embedding lookup).</summary>
    public void Row(int r, Span<float> dst)
    {
        if (!Interleaved)
        {
            Quant.Dequantize(Type, new ReadOnlySpan<byte>(data + r * RowBytes, (int)RowBytes), dst[..Cols]);
            return;
        }
        Span<byte> row = RowBytes <= 8192 ? stackalloc byte[(int)RowBytes] : new byte[RowBytes];
        Quant.DeinterleaveRow(Type, Data, Rows, Cols, r, row);
        Quant.Dequantize(Type, row, dst[..Cols]);
    }
}
