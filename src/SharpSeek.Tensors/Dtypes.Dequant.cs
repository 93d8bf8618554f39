// FP8 block dequantization, exactly as DeepSeek-V3's inference/kernel.py weight_dequant:
//   y[i, j] = f32(w[i, j]) · s[i / block, j / block]      (product in f32)
// w: [rows, cols] e4m3fn bytes; s (weight_scale_inv): [ceil(rows/block), ceil(cols/block)] f32, row-major;
// the last block row/column may be ragged (fewer than `block` rows/cols).
using System.Numerics.Tensors;

namespace SharpSeek.Tensors;

public static partial class Dtypes
{
    public static void DequantFp8Blocks(ReadOnlySpan<byte> w, ReadOnlySpan<float> scaleInv, int rows, int cols,
        Span<float> dst, int block = 128)
    {
        var (blockRows, blockCols) = CheckDequantArgs(w.Length, scaleInv.Length, rows, cols, dst.Length, block);
        Fp8E4M3ToF32(w[..(rows * cols)], dst);
        for (int r = 0; r < rows; r++)
        {
            var row = dst.Slice(r * cols, cols);
            var scales = scaleInv.Slice(r / block * blockCols, blockCols);
            for (int b = 0; b < blockCols; b++)
            {
                int c0 = b * block;
                var part = row.Slice(c0, Math.Min(block, cols - c0));
                TensorPrimitives.Multiply(part, scales[b], part);
            }
        }
    }

    // The reference: one element at a time, straight from the formula.
    public static void DequantFp8BlocksScalar(ReadOnlySpan<byte> w, ReadOnlySpan<float> scaleInv, int rows, int cols,
        Span<float> dst, int block = 128)
    {
        var (_, blockCols) = CheckDequantArgs(w.Length, scaleInv.Length, rows, cols, dst.Length, block);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                dst[i * cols + j] = Fp8E4M3ToF32(w[i * cols + j]) * scaleInv[i / block * blockCols + j / block];
    }

    static (int BlockRows, int BlockCols) CheckDequantArgs(int wLength, int scaleLength, int rows, int cols,
        int dstLength, int block)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(block);
        long n = (long)rows * cols;
        if (wLength != n)
            throw new ArgumentException($"w has {wLength} bytes, expected rows·cols = {rows}·{cols} = {n}", "w");
        if (dstLength < n)
            throw new ArgumentException($"dst holds {dstLength} floats, needs rows·cols = {n}", "dst");
        int blockRows = (int)(((long)rows + block - 1) / block), blockCols = (int)(((long)cols + block - 1) / block);
        if (scaleLength != (long)blockRows * blockCols)
            throw new ArgumentException(
                $"scaleInv has {scaleLength} floats, expected [ceil({rows}/{block}), ceil({cols}/{block})] = " +
                $"[{blockRows}, {blockCols}] = {(long)blockRows * blockCols}", "scaleInv");
        return (blockRows, blockCols);
    }
}
