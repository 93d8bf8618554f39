// Parameters, gradients and AdamW moments in four flat arrays carved into the same named slices (llm.c):
// zeroing grads, clipping, AdamW and checkpointing are each one loop. Names are the Hugging Face tensor names, so
// saving is a table walk. Slices that one fused GEMM reads together (q|k|v, gate|up, …) are laid out adjacently.
namespace SharpSeek.Training;

/// <summary>One named tensor: Shape, [Offset, Offset+Length) in every arena. Trainable false = a buffer (e.g. the
/// aux-loss-free correction bias, moved by the balancing rule, not by AdamW). Decay: AdamW weight decay applies.</summary>
public sealed record ParamSlice(string Name, int[] Shape, int Offset, int Length, bool Trainable, bool Decay);

public sealed class ParameterArena
{
    readonly List<ParamSlice> slices = [];
    readonly Dictionary<string, ParamSlice> byName = new(StringComparer.Ordinal);
    public float[] Data { get; private set; } = [];
    public float[] Grad { get; private set; } = [];
    public float[] M { get; private set; } = [];
    public float[] V { get; private set; } = [];
    public int Count { get; private set; }
    public IReadOnlyList<ParamSlice> Slices => slices;

    /// <summary>Reserves a slice (before Allocate). Weight decay defaults to matrices only (nanoGPT: ≥ 2-D decays).</summary>
    public ParamSlice Add(string name, int[] shape, bool trainable = true, bool? decay = null)
    {
        if (Data.Length > 0) throw new InvalidOperationException("the arena is already allocated");
        long len = 1;
        foreach (var d in shape) len *= d;
        if (Count + len > int.MaxValue) throw new InvalidOperationException($"model too large for one arena ({Count + len} floats)");
        var s = new ParamSlice(name, shape, Count, (int)len, trainable, decay ?? (trainable && shape.Length >= 2));
        if (!byName.TryAdd(name, s)) throw new InvalidOperationException($"parameter '{name}' declared twice");
        slices.Add(s);
        Count += (int)len;
        return s;
    }

    public void Allocate()
    {
        Data = new float[Count]; Grad = new float[Count]; M = new float[Count]; V = new float[Count];
    }

    public ParamSlice this[string name] => byName.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"no parameter '{name}'");
    public bool Contains(string name) => byName.ContainsKey(name);
    public Span<float> P(ParamSlice s) => Data.AsSpan(s.Offset, s.Length);
    public Span<float> G(ParamSlice s) => Grad.AsSpan(s.Offset, s.Length);
    public long TrainableCount => slices.Where(s => s.Trainable).Sum(s => (long)s.Length);
}
