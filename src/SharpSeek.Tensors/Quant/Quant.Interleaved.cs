// Q4_0 interleaved by groups of 4 rows, a layout change made once at load (as llama.cpp's CPU "repack" does) so the
// 4-row tile kernel streams its weights from one place. Decode through the tile (4 rows share each activation load,
// their sums merged into one vector) measured faster than one row at a time only when the 4 rows are one stream.
//   group g = rows 4g..4g+3, block b (72 bytes at (g·nb + b)·72):  f16 d[4] | qs row 4g (16 B) | qs 4g+1 | 4g+2 | 4g+3
// The nibbles and scales are the rows' own, unchanged; a group takes the bytes of its 4 rows, so the matrix keeps
// its size and the address of group g is that of row 4g in the plain layout.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

/// <summary>A JIT-time constant: whether the Q4_0 tile reads the interleaved layout.</summary>
internal interface IQ4Layout { static abstract bool Interleaved { get; } }
internal struct RowMajor : IQ4Layout { public static bool Interleaved => false; }
internal struct Interleaved4 : IQ4Layout { public static bool Interleaved => true; }

public static partial class Quant
{
    /// <summary>Rows per interleaved group.</summary>
    public const int InterleaveRows = TileW;

    /// <summary>Whether interleaving Q4_0 at load pays on this machine (the tile kernels need AVX2).</summary>
    public static bool InterleavesQ4_0 => Clamp(Path) >= KernelPath.V256;

    /// <summary>
    /// Q4_0 rows [rows, cols] → the interleaved layout (same size). False (dst untouched) when rows is not a multiple
    /// of 4 or a block scale is not finite (the kernel widens scales without Inf/NaN handling).
    /// </summary>
    public static unsafe bool TryInterleaveQ4_0(ReadOnlySpan<byte> src, int rows, int cols, Span<byte> dst)
    {
        long rowBytes = RowBytes(GgmlType.Q4_0, cols);
        if (src.Length != rows * rowBytes || dst.Length != src.Length) throw new ArgumentException($"Q4_0 [{rows}, {cols}] takes {rows * rowBytes} bytes; got {src.Length} → {dst.Length}");
        if (rows % TileW != 0) return false;
        int nb = cols / QK;
        for (long i = 0; i < src.Length; i += 18)
            if ((BitConverter.ToUInt16(src.Slice((int)i, 2)) & 0x7C00) == 0x7C00) return false;
        for (int g = 0; g < rows / TileW; g++)
            for (int b = 0; b < nb; b++)
            {
                var to = dst.Slice((int)(((long)g * nb + b) * 72), 72);
                for (int r = 0; r < TileW; r++)
                {
                    var from = src.Slice((int)((g * TileW + r) * rowBytes + b * 18L), 18);
                    from[..2].CopyTo(to[(2 * r)..]);
                    from[2..].CopyTo(to[(8 + 16 * r)..]);
                }
            }
        return true;
    }

    /// <summary>Row r of an interleaved Q4_0 matrix in the plain layout (RowBytes(Q4_0, cols) bytes).</summary>
    public static void DeinterleaveRowQ4_0(ReadOnlySpan<byte> w, int cols, int r, Span<byte> row)
    {
        int nb = cols / QK, g = r / TileW, k = r % TileW;
        for (int b = 0; b < nb; b++)
        {
            var from = w.Slice((int)(((long)g * nb + b) * 72), 72);
            from.Slice(2 * k, 2).CopyTo(row[(b * 18)..]);
            from.Slice(8 + 16 * k, 16).CopyTo(row[(b * 18 + 2)..]);
        }
    }

    /// <summary>y[i, r] = Σ_c W[r, c]·x[i, c] for W in the interleaved Q4_0 layout (see the file header).</summary>
    public static void MatMulInterleavedQ4_0(ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int n, Span<float> y,
        WorkerPool? pool = null) => MatMul(GgmlType.Q4_0, w, rows, cols, x, n, y, pool, Path, interleaved: true);

    /// <summary>The oracle (and the path below AVX2): each row back in the plain layout, then the scalar Dot.</summary>
    static unsafe void MatMulInterleavedRef(ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        int rowBytes = checked((int)RowBytes(GgmlType.Q4_0, cols)), xBytes = checked((int)RowBytes(GgmlType.Q8_0, cols));
        var row = new byte[rowBytes];
        var xq = new byte[(long)xBytes * n];
        fixed (float* px = x)
        fixed (byte* pq = xq)
        fixed (byte* pr = row)
        {
            for (int i = 0; i < n; i++) QuantizeActivations(GgmlType.Q8_0, px + (long)i * cols, pq + (long)i * xBytes, cols);
            for (int r = 0; r < rows; r++)
            {
                DeinterleaveRowQ4_0(w, cols, r, row);
                for (int i = 0; i < n; i++) y[i * rows + r] = DotKernel(GgmlType.Q4_0, pr, pq + (long)i * xBytes, cols, KernelPath.Scalar);
            }
        }
    }

    /// <summary>Four consecutive f16 at p → f32 (exact for finite values: magnitude shifted into place, rescaled by 2^112).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector128<float> F16x4(byte* p)
    {
        var h = Sse41.ConvertToVector128Int32((ushort*)p);
        var mag = Sse2.ShiftLeftLogical(h & Vector128.Create(0x7FFF), 13).AsSingle() * Vector128.Create(BitConverter.Int32BitsToSingle((127 + 112) << 23));
        return (mag.AsInt32() | Sse2.ShiftLeftLogical(h & Vector128.Create(0x8000), 16)).AsSingle();
    }
}
