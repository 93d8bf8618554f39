// Q4_0 and Q8_0 interleaved by groups of rows, a layout change made once at load (as llama.cpp's CPU "repack"
// does) so the tile kernels stream their weights from one place. Decode through a tile measured faster than one row
// at a time only when the group's rows are one stream. With B the block's bytes (Q4_0 18, Q8_0 34), Q = B − 2 its
// quant bytes, group g = rows 16g..16g+15 (InterleaveRows), block b at (g·nb + b)·16B:
//   f16 d[16] | Q/4 vectors of 64 bytes, vector k = qs[4k..4k+3] of rows 16g, 16g+1, …, 16g+15
// so one i32 lane of a vector is one row (Q4_0: its low nibbles are values 4k..4k+3, its high nibbles 16+4k..16+4k+3;
// Q8_0: values 4k..4k+3), and a 4-byte broadcast of the activations meets all 16 rows of a Vector512 (TileQ4_0x16)
// or the 8 of either half (rows 16g + 8h.., scales at +16h, vector k's half at +32 + 64k + 32h: TileQ4_0x8,
// TileQ8_0x8) with no merge of lanes afterwards.
// The quants and scales are the rows' own, unchanged; a group takes the bytes of its rows, so the matrix keeps its
// size and the address of group g is that of row 16g in the plain layout. When rows is not a multiple of 16 the last
// rows % 16 rows stay plain after the groups (an LM head of 151,669 rows), served one Dot per row.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

public static partial class Quant
{
    /// <summary>Rows per interleaved group (the file header).</summary>
    public const int InterleaveRows = 16;

    /// <summary>Rows per interleaved group of type t: 16 for Q4_0/Q8_0, 32 for F16/BF16 (their k-major panels).</summary>
    public static int InterleaveGroup(GgmlType t) => t is GgmlType.F16 or GgmlType.BF16 ? HalfPanel : InterleaveRows;

    /// <summary>Whether weights of this type are worth interleaving at load on this machine (the tiles need AVX2).
    /// Q8_0 rows over 4,096 columns too: in isolation their one-row Dot streams faster (0.74–0.89× interleaved at
    /// 1536 × 8960), but in the model interleaving them measured 15.0 against 12.2 tok/s (Qwen Q8_0 decode, t1).
    /// F16 and BF16 too (k-major panels of 32 rows: Quant.Interleaved.Half.cs).</summary>
    public static bool Interleaves(GgmlType t) => t is GgmlType.Q4_0 or GgmlType.Q8_0 or GgmlType.F16 or GgmlType.BF16 && Clamp(Path) >= KernelPath.V256;

    static int InterleavedBlockBytes(GgmlType t) => t is GgmlType.Q4_0 or GgmlType.Q8_0 ? BlockBytes(t)
        : throw new ArgumentException($"{t} has no interleaved layout (Q4_0, Q8_0, F16 and BF16 do)");

    /// <summary>
    /// Q4_0/Q8_0 rows [rows, cols] → the interleaved layout (same size; the last rows % 4 rows plain). False (dst
    /// untouched) when a block scale is not finite (the kernels widen scales without Inf/NaN handling).
    /// </summary>
    public static unsafe bool TryInterleave(GgmlType t, ReadOnlySpan<byte> src, int rows, int cols, Span<byte> dst)
    {
        if (t is GgmlType.F16 or GgmlType.BF16) return TryInterleaveHalf(t, src, rows, cols, dst);
        int bb = InterleavedBlockBytes(t), gr = InterleaveRows, gb = gr * bb, q = bb - 2;
        long rowBytes = RowBytes(t, cols);
        if (src.Length != rows * rowBytes || dst.Length != src.Length) throw new ArgumentException($"{t} [{rows}, {cols}] takes {rows * rowBytes} bytes; got {src.Length} → {dst.Length}");
        int nb = cols / QK;
        fixed (byte* ps = src, pd = dst)
        {
            for (long i = 0; i < src.Length; i += bb)
                if ((*(ushort*)(ps + i) & 0x7C00) == 0x7C00) return false;
            long grouped = (long)(rows / gr) * gr * rowBytes;
            Buffer.MemoryCopy(ps + grouped, pd + grouped, src.Length - grouped, src.Length - grouped);   // the plain tail
            for (int g = 0; g < rows / gr; g++)
            {
                byte* rows0 = ps + (long)g * gr * rowBytes;
                byte* to = pd + (long)g * nb * gb;
                for (int b = 0; b < nb; b++, to += gb)
                    for (int r = 0; r < gr; r++)
                    {
                        byte* from = rows0 + r * rowBytes + (long)b * bb;
                        *(ushort*)(to + 2 * r) = *(ushort*)from;
                        for (int k = 0; k < q / 4; k++) *(uint*)(to + 2 * gr + 4 * gr * k + 4 * r) = *(uint*)(from + 2 + 4 * k);
                    }
            }
        }
        return true;
    }

    /// <summary>Row r of an interleaved [rows, cols] matrix in the plain layout (RowBytes(t, cols) bytes).</summary>
    public static void DeinterleaveRow(GgmlType t, ReadOnlySpan<byte> w, int rows, int cols, int r, Span<byte> row)
    {
        if (t is GgmlType.F16 or GgmlType.BF16) { DeinterleaveRowHalf(w, rows, cols, r, row); return; }
        int bb = InterleavedBlockBytes(t), gr = InterleaveRows, gb = gr * bb, nb = cols / QK, g = r / gr, k = r % gr;
        if (r >= rows / gr * gr)   // the plain tail
        {
            long rowBytes = RowBytes(t, cols);
            w.Slice((int)(r * rowBytes), (int)rowBytes).CopyTo(row);
            return;
        }
        for (int b = 0; b < nb; b++)
        {
            var from = w.Slice((int)(((long)g * nb + b) * gb), gb);
            from.Slice(2 * k, 2).CopyTo(row[(b * bb)..]);
            for (int v = 0; v < (bb - 2) / 4; v++) from.Slice(2 * gr + 4 * gr * v + 4 * k, 4).CopyTo(row[(b * bb + 2 + 4 * v)..]);
        }
    }

    /// <summary>y[i, r] = Σ_c W[r, c]·x[i, c] for W in the interleaved layout (see the file header).</summary>
    public static void MatMulInterleaved(GgmlType t, ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int n, Span<float> y,
        WorkerPool? pool = null) => MatMul(t, w, rows, cols, x, n, y, pool, Path, interleaved: true);

    /// <summary>The oracle (and the path below AVX2): each row back in the plain layout, then the scalar Dot.</summary>
    static unsafe void MatMulInterleavedRef(GgmlType t, ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int n, Span<float> y,
        KernelPath halfPath = KernelPath.Scalar)
    {
        bool half = t is GgmlType.F16 or GgmlType.BF16;   // f32 activations as they are
        int rowBytes = checked((int)RowBytes(t, cols)), xBytes = half ? 0 : checked((int)RowBytes(GgmlType.Q8_0, cols));
        var row = new byte[rowBytes];
        var xq = new byte[(long)xBytes * n];
        fixed (float* px = x)
        fixed (byte* pq = xq)
        fixed (byte* pr = row)
        {
            if (!half) for (int i = 0; i < n; i++) QuantizeActivations(GgmlType.Q8_0, px + (long)i * cols, pq + (long)i * xBytes, cols);
            for (int r = 0; r < rows; r++)
            {
                DeinterleaveRow(t, w, rows, cols, r, row);
                for (int i = 0; i < n; i++)
                    y[i * rows + r] = half ? DotKernel(t, pr, (byte*)(px + (long)i * cols), cols, halfPath)   // below V256 as the plain rows go
                        : DotKernel(t, pr, pq + (long)i * xBytes, cols, KernelPath.Scalar);
            }
        }
    }

    /// <summary>Eight consecutive f16 at p → f32 × 2^-112 (exact for finite values: the bits moved into f32 position,
    /// as DotF16Split does); the interleaved tiles take the activation scales × 2^56 and their outputs × 2^56.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> F16x8Scaled(byte* p)
    {
        var h = Avx2.ConvertToVector256Int32((ushort*)p);
        return (Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(h, 16), 3) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle();
    }

    /// <summary>Sixteen consecutive f16 at p → f32 × 2^-112, as <see cref="F16x8Scaled"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector512<float> F16x16Scaled(byte* p)
    {
        var h = Avx512F.ConvertToVector512Int32(Avx.LoadVector256((ushort*)p));
        return (Avx512F.ShiftRightArithmetic(Avx512F.ShiftLeftLogical(h, 16), 3) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();
    }
}
