// One sequence's KV cache for the fast path: per layer, `capacity` rows of key and value floats, f32 or f16.
// Absorbed MLA rows are [c_kv (kv_lora_rank)] and [k_pe (qk_rope_head_dim)]; GQA rows are [kv_heads × head_dim].
using System.Runtime.InteropServices;

namespace SharpSeek.Model.Inference;

public sealed class SequenceState
{
    public int Capacity { get; }
    /// <summary>Tokens cached so far (the position of the next token).</summary>
    public int Length { get; set; }
    /// <summary>Positions the MTP block has cached (speculative decoding); its rows live in the last layer slot.</summary>
    public int MtpLength { get; set; }
    public bool F16 { get; }
    internal readonly float[][] Keys32 = [], Values32 = [];
    internal readonly Half[][] Keys16 = [], Values16 = [];
    internal readonly int[] KeyWidth, ValueWidth;

    internal SequenceState(int capacity, int[] keyWidth, int[] valueWidth, bool f16)
    {
        Capacity = capacity; KeyWidth = keyWidth; ValueWidth = valueWidth; F16 = f16;
        if (f16)
        {
            Keys16 = keyWidth.Select(w => new Half[(long)capacity * w]).ToArray();
            Values16 = valueWidth.Select(w => new Half[(long)capacity * w]).ToArray();
        }
        else
        {
            Keys32 = keyWidth.Select(w => new float[(long)capacity * w]).ToArray();
            Values32 = valueWidth.Select(w => new float[(long)capacity * w]).ToArray();
        }
    }

    /// <summary>Bytes cached per token over all layers.</summary>
    public long BytesPerToken => (F16 ? 2L : 4L) * (KeyWidth.Sum() + ValueWidth.Sum());

    /// <summary>"f16 32/8,32/8": element type, then key/value elements per token of each layer slot. Rows copy only between equal layouts.</summary>
    public string Layout => $"{(F16 ? "f16" : "f32")} {string.Join(',', KeyWidth.Select((k, l) => $"{k}/{ValueWidth[l]}"))}";

    /// <summary>Copies rows [start, start+count) out, layer by layer: keys [count × key width] then values [count × value width].</summary>
    public void CopyRowsTo(int start, int count, Span<byte> dst)
    {
        if (start < 0 || count < 0 || start + count > Length || dst.Length != count * BytesPerToken)
            throw new ArgumentException($"rows [{start}, {start + count}) of {Length} cached into {dst.Length} bytes ({BytesPerToken} per token)");
        for (int p = 0; p < 2 * KeyWidth.Length; p++)
        {
            var plane = Plane(p, out int row);
            plane.Slice(start * row, count * row).CopyTo(dst);
            dst = dst[(count * row)..];
        }
    }

    /// <summary>Writes rows from <see cref="CopyRowsTo"/>'s layout at positions start.. and sets Length to their end.</summary>
    public void CopyRowsFrom(int start, ReadOnlySpan<byte> src)
    {
        int count = (int)(src.Length / BytesPerToken);
        if (start < 0 || start > Length || src.Length != count * BytesPerToken || start + count > Capacity)
            throw new ArgumentException($"{src.Length} bytes ({BytesPerToken} per token) do not fit at row {start} of a {Capacity}-row cache holding {Length}");
        for (int p = 0; p < 2 * KeyWidth.Length; p++)
        {
            var plane = Plane(p, out int row);
            src[..(count * row)].CopyTo(plane.Slice(start * row));
            src = src[(count * row)..];
        }
        Length = start + count;
    }

    /// <summary>Plane p = layer p/2's keys (even p) or values (odd p) as bytes; row = bytes per token.</summary>
    Span<byte> Plane(int p, out int row)
    {
        int l = p / 2;
        bool key = p % 2 == 0;
        row = (key ? KeyWidth[l] : ValueWidth[l]) * (F16 ? 2 : 4);
        return F16 ? MemoryMarshal.AsBytes((key ? Keys16 : Values16)[l].AsSpan()) : MemoryMarshal.AsBytes((key ? Keys32 : Values32)[l].AsSpan());
    }

    internal void StoreKey(int layer, int pos, ReadOnlySpan<float> row) => Store(F16 ? null : Keys32[layer], F16 ? Keys16[layer] : null, KeyWidth[layer], pos, row);
    internal void StoreValue(int layer, int pos, ReadOnlySpan<float> row) => Store(F16 ? null : Values32[layer], F16 ? Values16[layer] : null, ValueWidth[layer], pos, row);

    /// <summary>The cached key / value row as f32 (f16 caches are widened into tmp).</summary>
    internal ReadOnlySpan<float> KeyRow(int layer, int pos, Span<float> tmp) => KeyRows(layer, pos, 1, tmp);
    internal ReadOnlySpan<float> ValueRow(int layer, int pos, Span<float> tmp) => ValueRows(layer, pos, 1, tmp);

    /// <summary>Rows [start, start + count) of a layer's keys (values) as f32 [count, width]: a view of an f32 cache, or
    /// an f16 cache widened into tmp (at least count × width).</summary>
    internal ReadOnlySpan<float> KeyRows(int layer, int start, int count, Span<float> tmp) => Load(F16 ? null : Keys32[layer], F16 ? Keys16[layer] : null, KeyWidth[layer], start, count, tmp);
    internal ReadOnlySpan<float> ValueRows(int layer, int start, int count, Span<float> tmp) => Load(F16 ? null : Values32[layer], F16 ? Values16[layer] : null, ValueWidth[layer], start, count, tmp);

    static ReadOnlySpan<float> Load(float[]? f32, Half[]? f16, int width, int start, int count, Span<float> tmp)
    {
        if (f32 is not null) return f32.AsSpan(start * width, count * width);
        System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(f16.AsSpan(start * width, count * width), tmp[..(count * width)]);
        return tmp[..(count * width)];
    }

    static void Store(float[]? f32, Half[]? f16, int width, int pos, ReadOnlySpan<float> row)
    {
        if (f32 is not null) row.CopyTo(f32.AsSpan(pos * width, width));
        else System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(row, f16.AsSpan(pos * width, width));
    }
}
