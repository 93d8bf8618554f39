// Per-layer key/value rows for incremental decoding, allocated once for a fixed capacity (tokens).
// What a row holds depends on the attention: naive MLA k [H·qk_head_dim] / v [H·v_head_dim]; absorbed MLA the
// normalized latent [kv_lora_rank] / rope key [qk_rope_head_dim]; GQA k / v [kv_heads·head_dim].
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

    public void Reset() => Length = 0;
}
