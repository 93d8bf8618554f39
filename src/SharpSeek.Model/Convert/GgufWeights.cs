// A GGUF model seen through Hugging Face names: the loader asks for "model.layers.1.mlp.experts.5.up_proj.weight"
// and gets f32 in HF's shape and layout. Undone at read time: llama's q/k rope permutation, expert stacking
// (blk.N.ffn_*_exps [E, rows, cols], or the fused ffn_gate_up_exps), and deepseek2's kv_b split into attn_k_b
// (per head transposed) + attn_v_b. Quantized tensors are dequantized by the kernels' Quant.Dequantize.
// As an ITensorSource, Matrix() hands the fast path weights in their stored type pointing into the map; only
// llama's permuted q/k (rows reordered, bytes copied once) and deepseek2's split kv_b (reassembled) are copies.
// Projection() may also give Q4_0/Q8_0/F16/BF16 projections the interleaved layout of the kernels (one copy at load,
// the mapped pages handed back).
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;
using SharpSeek.Model.Inference;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Convert;

public sealed unsafe class GgufWeights : ITensorSource
{
    readonly OwnedBuffers owned = new();
    abstract record Source(long[] HfShape, GgmlType Type);
    sealed record Plain(string Gguf, long[] HfShape, GgmlType Type, int RopeHeads) : Source(HfShape, Type);
    sealed record Expert(string Gguf, int Index, int RowOffset, long[] HfShape, GgmlType Type) : Source(HfShape, Type);
    sealed record SplitKvB(string KB, string VB, int Heads, int Nope, int V, int Rank, GgmlType KType) : Source([Heads * (Nope + V), Rank], KType);

    readonly Dictionary<string, Source> sources = new(StringComparer.Ordinal);

    public GgufFile File { get; }
    public string Location => File.Path;
    public ModelConfig Config { get; }
    public string Architecture { get; }
    /// <summary>HF tensor names, in GGUF file order.</summary>
    public IEnumerable<string> Names => sources.Keys;
    /// <summary>GGUF tensors with no HF counterpart (e.g. rope_freqs, which lives in the config instead).</summary>
    public IReadOnlyList<string> Unmapped { get; }

    GgufWeights(GgufFile file)
    {
        File = file;
        Config = GgufConfig.Read(file);
        Architecture = file.RequireString("general.architecture");
        var unmapped = new List<string>();
        var kb = new Dictionary<int, GgufTensorInfo>();
        var vb = new Dictionary<int, GgufTensorInfo>();
        foreach (var t in file.TensorList)
        {
            if (GgufNames.ToHf(t.Name) is { } hf)
            {
                int ropeHeads = 0;
                if (Architecture == GgufConfig.Llama && GgufNames.SplitLayer(hf, "model.layers.") is { } l)
                    ropeHeads = l.Tail.StartsWith("self_attn.q_proj.", StringComparison.Ordinal) ? Config.NumAttentionHeads
                        : l.Tail.StartsWith("self_attn.k_proj.", StringComparison.Ordinal) ? Config.KvHeads : 0;
                sources[hf] = new Plain(t.Name, t.Shape, t.Type, ropeHeads);
                continue;
            }
            if (GgufNames.SplitLayer(t.Name, "blk.") is not { } g) { unmapped.Add(t.Name); continue; }
            if (g.Tail == GgufNames.KB) { kb[g.Layer] = t; continue; }
            if (g.Tail == GgufNames.VB) { vb[g.Layer] = t; continue; }
            var stacked = GgufNames.Experts.FirstOrDefault(x => x.Gguf == g.Tail);
            if (stacked.Gguf is not null || g.Tail == GgufNames.GateUpExps)
            {
                var s = t.Shape;   // [E, rows, cols]
                if (s.Length != 3) throw Bad(t.Name, $"expert tensor '{t.Name}' has shape {TensorInfo.FormatShape(s)}; expected [experts, rows, cols]");
                bool fused = stacked.Gguf is null;
                if (fused && s[1] % 2 != 0) throw Bad(t.Name, $"fused gate/up experts '{t.Name}' have an odd row count {s[1]}");
                long rows = fused ? s[1] / 2 : s[1];
                long[] hfShape = [rows, s[2]];
                for (int e = 0; e < s[0]; e++)
                {
                    if (fused)
                    {
                        sources[GgufNames.ExpertHf(g.Layer, e, "gate_proj")] = new Expert(t.Name, e, 0, hfShape, t.Type);
                        sources[GgufNames.ExpertHf(g.Layer, e, "up_proj")] = new Expert(t.Name, e, (int)rows, hfShape, t.Type);
                    }
                    else sources[GgufNames.ExpertHf(g.Layer, e, stacked.HfProj)] = new Expert(t.Name, e, 0, hfShape, t.Type);
                }
                continue;
            }
            unmapped.Add(t.Name);
        }
        foreach (var (layer, k) in kb)
        {
            if (!vb.TryGetValue(layer, out var v)) throw Bad(k.Name, $"'{k.Name}' has no matching blk.{layer}.{GgufNames.VB}");
            var ks = k.Shape; var vs = v.Shape;   // k_b [H, rank, nope], v_b [H, v, rank]
            if (ks.Length != 3 || vs.Length != 3 || ks[0] != vs[0] || ks[1] != vs[2])
                throw Bad(k.Name, $"attn_k_b {TensorInfo.FormatShape(ks)} and attn_v_b {TensorInfo.FormatShape(vs)} of layer {layer} do not fit [H, kv_lora, nope] / [H, v, kv_lora]");
            sources[$"model.layers.{layer}.self_attn.kv_b_proj.weight"] = new SplitKvB(k.Name, v.Name, (int)ks[0], (int)ks[2], (int)vs[1], (int)ks[1], k.Type);
        }
        foreach (var (layer, v) in vb)
            if (!kb.ContainsKey(layer)) throw Bad(v.Name, $"'{v.Name}' has no matching blk.{layer}.{GgufNames.KB}");
        Unmapped = unmapped;
    }

    CheckpointException Bad(string field, string message) => new(File.Path, field, $"{File.Path}: {message}");

    public static GgufWeights Open(string path)
    {
        var file = GgufFile.Open(path);
        try { return new GgufWeights(file); }
        catch { file.Dispose(); throw; }
    }

    public bool Contains(string hfName) => sources.ContainsKey(hfName);

    /// <summary>The tensor's shape as Hugging Face stores it.</summary>
    public long[] Shape(string hfName) => (long[])Get(hfName).HfShape.Clone();

    /// <summary>The ggml type the tensor is stored in.</summary>
    public GgmlType Type(string hfName) => Get(hfName).Type;

    /// <summary>The stored type's name ("F32", "Q4_K", …).</summary>
    public string StoredType(string hfName) => GgufTypes.Name(Get(hfName).Type);

    /// <summary>
    /// A 2-D weight in its stored type: a pointer into the map for plain tensors and experts (one expert's slice of the
    /// stacked tensor); llama q/k rows are put back in HF order (whole rows of blocks, no requantization); kv_b from
    /// attn_k_b/attn_v_b is reassembled (F16/BF16/F32 kept, quantized parts dequantized to F32). Owned copies live until Dispose.
    /// </summary>
    public WeightMatrix Matrix(string hfName)
    {
        var src = Get(hfName);
        if (src.HfShape.Length != 2)
            throw new CheckpointException(File.Path, hfName, $"{File.Path}: tensor '{hfName}' has shape {TensorInfo.FormatShape(src.HfShape)}; a 2-D weight was expected");
        int rows = checked((int)src.HfShape[0]), cols = checked((int)src.HfShape[1]);
        if (!Quant.IsSupported(src.Type))
            throw new CheckpointException(File.Path, hfName, $"{File.Path}: tensor '{hfName}' is {GgufTypes.Name(src.Type)}, which the kernels do not take");
        long rowBytes = GgufTypes.ByteCount(src.Type, cols);
        switch (src)
        {
            case Plain { RopeHeads: 0 } p:
                return new WeightMatrix(p.Type, rows, cols, File.Pointer(p.Gguf));
            case Plain p:
            {
                byte* from = File.Pointer(p.Gguf);
                byte* to = owned.Alloc(rowBytes * rows);
                int hd = rows / p.RopeHeads, half = hd / 2;
                for (int h = 0; h < p.RopeHeads; h++)
                    for (int i = 0; i < half; i++)
                        for (int j = 0; j < 2; j++)
                            Buffer.MemoryCopy(from + (long)(h * hd + 2 * i + j) * rowBytes, to + (long)(h * hd + j * half + i) * rowBytes, rowBytes, rowBytes);
                return new WeightMatrix(p.Type, rows, cols, to);
            }
            case Expert e:
            {
                var info = File.Info(e.Gguf);
                long perExpert = GgufTypes.ByteCount(info.Type, info.Shape[1] * info.Shape[2]);
                return new WeightMatrix(e.Type, rows, cols, File.Pointer(info) + e.Index * perExpert + e.RowOffset * rowBytes);
            }
            default:
            {
                var type = src.Type is GgmlType.F16 or GgmlType.BF16 ? src.Type : GgmlType.F32;
                var values = ReadFloat32(hfName);
                long bytes = GgufTypes.ByteCount(type, values.LongLength);
                byte* to = owned.Alloc(bytes);
                GgmlCodec.Encode(type, values, new Span<byte>(to, checked((int)bytes)));
                return new WeightMatrix(type, rows, cols, to);
            }
        }
    }

    /// <summary>Matrix, but Q4_0/Q8_0/F16/BF16 held interleaved by groups of 16 rows when the kernels prefer it
    /// (AVX2; OwnedBuffers.Interleaved).</summary>
    public WeightMatrix Projection(string hfName) => owned.Interleaved(Matrix(hfName));

    /// <summary>Whether Projection interleaves (default: yes, unless SHARPSEEK_LAYOUT=plain).</summary>
    public bool Interleave { get => owned.Interleave; set => owned.Interleave = value; }

    /// <summary>The GGUF tensor holding hfName, or null when it is assembled from several (split kv_b).</summary>
    public string? GgufName(string hfName) => Get(hfName) switch { Plain p => p.Gguf, Expert e => e.Gguf, _ => null };

    Source Get(string hfName) => sources.TryGetValue(hfName, out var s) ? s
        : throw new CheckpointException(File.Path, hfName, $"{File.Path}: tensor '{hfName}' not found (no GGUF tensor maps to it; {sources.Count} tensors map)");

    /// <summary>The tensor as f32 in HF layout.</summary>
    public float[] ReadFloat32(string hfName)
    {
        switch (Get(hfName))
        {
            case Plain p:
            {
                var data = File.ReadFloat32(p.Gguf);
                if (p.RopeHeads == 0) return data;
                int rowLength = p.HfShape.Length == 1 ? 1 : (int)p.HfShape[1];
                return GgufNames.UnpermuteRope(data, p.RopeHeads, rowLength);
            }
            case Expert e:
            {
                var info = File.Info(e.Gguf);
                long rows = info.Shape[1], cols = info.Shape[2];
                long perExpert = GgufTypes.ByteCount(info.Type, rows * cols), perRow = GgufTypes.ByteCount(info.Type, cols);
                long count = e.HfShape[0] * cols;
                byte* start = File.Pointer(info) + e.Index * perExpert + e.RowOffset * perRow;
                var result = new float[count];
                GgmlCodec.Decode(info.Type, new ReadOnlySpan<byte>(start, checked((int)GgufTypes.ByteCount(info.Type, count))), result);
                return result;
            }
            case SplitKvB s:
            {
                var k = File.ReadFloat32(s.KB);   // [H, rank, nope]
                var v = File.ReadFloat32(s.VB);   // [H, v, rank]
                int w = s.Nope + s.V;
                var result = new float[s.Heads * w * s.Rank];   // [H, nope + v, rank]
                for (int h = 0; h < s.Heads; h++)
                {
                    for (int i = 0; i < s.Nope; i++)
                        for (int c = 0; c < s.Rank; c++)
                            result[((long)h * w + i) * s.Rank + c] = k[((long)h * s.Rank + c) * s.Nope + i];
                    Array.Copy(v, (long)h * s.V * s.Rank, result, ((long)h * w + s.Nope) * s.Rank, (long)s.V * s.Rank);
                }
                return result;
            }
            default: throw new InvalidOperationException();
        }
    }

    public void Dispose()
    {
        owned.Dispose();
        File.Dispose();
    }
}
