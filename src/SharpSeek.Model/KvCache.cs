// Per-layer key/value rows for incremental decoding, allocated once for a fixed capacity (tokens).
// What a row holds depends on the attention: naive MLA k [H·qk_head_dim] / v [H·v_head_dim]; absorbed MLA the
// normalized latent [kv_lora_rank] / rope key [qk_rope_head_dim]; GQA k / v [kv_heads·head_dim].
using System.Runtime.InteropServices;

namespace SharpSeek.Model;

public sealed class KvCache
{
    public float[][] Keys { get; }
    public float[][] Values { get; }
    public int[] KeyWidth { get; }
    public int[] ValueWidth { get; }
    public int Capacity { get; }
    /// <summary>Tokens already stored (the position of the next token).</summary>
    public int Length { get; set; }

    public KvCache(int capacity, int[] keyWidth, int[] valueWidth)
    {
        Capacity = capacity;
        KeyWidth = keyWidth;
        ValueWidth = valueWidth;
        Keys = keyWidth.Select(w => new float[(long)capacity * w]).ToArray();
        Values = valueWidth.Select(w => new float[(long)capacity * w]).ToArray();
    }

    public Span<float> Key(int layer, int pos) => Keys[layer].AsSpan(pos * KeyWidth[layer], KeyWidth[layer]);
    public Span<float> Value(int layer, int pos) => Values[layer].AsSpan(pos * ValueWidth[layer], ValueWidth[layer]);

    /// <summary>Bytes held per cached token across all layers (f32).</summary>
    public long BytesPerToken => 4L * (KeyWidth.Sum() + ValueWidth.Sum());

    /// <summary>"f32 32/8,32/8": key/value floats per token of each layer slot. Rows copy only between equal layouts.</summary>
    public string Layout => "f32 " + string.Join(',', KeyWidth.Select((k, l) => $"{k}/{ValueWidth[l]}"));

    /// <summary>Copies rows [start, start+count) out, layer by layer: keys [count × key width] then values [count × value width] (f32 bytes).</summary>
    public void CopyRowsTo(int start, int count, Span<byte> dst)
    {
        if (start < 0 || count < 0 || start + count > Length || dst.Length != count * BytesPerToken)
            throw new ArgumentException($"rows [{start}, {start + count}) of {Length} cached into {dst.Length} bytes ({BytesPerToken} per token)");
        for (int p = 0; p < 2 * KeyWidth.Length; p++)
        {
            var (plane, row) = Plane(p);
            MemoryMarshal.AsBytes(plane.AsSpan(start * row, count * row)).CopyTo(dst);
            dst = dst[(count * row * 4)..];
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
            var (plane, row) = Plane(p);
            src[..(count * row * 4)].CopyTo(MemoryMarshal.AsBytes(plane.AsSpan(start * row)));
            src = src[(count * row * 4)..];
        }
        Length = start + count;
    }

    /// <summary>Plane p = layer p/2's keys (even p) or values (odd p), with its floats per token.</summary>
    (float[] Plane, int Row) Plane(int p) => p % 2 == 0 ? (Keys[p / 2], KeyWidth[p / 2]) : (Values[p / 2], ValueWidth[p / 2]);

    public void Reset() => Length = 0;
}
