// The training arena as an ITensorSource, so the fast inference path (InferenceModel) can run the weights being
// trained — GRPO rollouts and in-run evaluation — without a trip through a checkpoint file. The source holds its own
// snapshot of the parameters (f32, 64-byte aligned native memory): later optimizer steps do not reach a model built
// from it. HF names, as TrainModel.Tensors writes them (the MTP layer's shared embedding/head copies included).
using System.Runtime.InteropServices;
using SharpSeek.Model;
using SharpSeek.Model.Inference;
using SharpSeek.Tensors;

namespace SharpSeek.Training;

public sealed unsafe class ArenaTensorSource : ITensorSource
{
    readonly Dictionary<string, (long[] Shape, long Offset)> tensors = new(StringComparer.Ordinal);
    float* data;
    readonly long length;

    public ArenaTensorSource(TrainModel model)
    {
        var list = model.Tensors();
        length = list.Sum(t => (long)t.Shape.Aggregate(1L, (a, b) => a * b));
        data = (float*)NativeMemory.AlignedAlloc((nuint)(length * sizeof(float)), 64);
        long offset = 0;
        foreach (var t in list)
        {
            long n = t.Shape.Aggregate(1L, (a, b) => a * b);
            MemoryMarshal.Cast<byte, float>(t.Data.Span).CopyTo(new Span<float>(data + offset, checked((int)n)));
            tensors[t.Name] = (t.Shape, offset);
            offset += n;
        }
    }

    public string Location => "(training arena)";
    public IEnumerable<string> Names => tensors.Keys;
    public bool Contains(string name) => tensors.ContainsKey(name);
    public long[] Shape(string name) => Get(name).Shape;
    public string StoredType(string name) => "F32";

    public float[] ReadFloat32(string name)
    {
        var (shape, offset) = Get(name);
        return new ReadOnlySpan<float>(data + offset, checked((int)shape.Aggregate(1L, (a, b) => a * b))).ToArray();
    }

    public WeightMatrix Matrix(string name)
    {
        var (shape, offset) = Get(name);
        if (shape.Length != 2) throw new ArgumentException($"tensor '{name}' has shape [{string.Join(", ", shape)}]; a 2-D weight was expected");
        return new WeightMatrix(GgmlType.F32, checked((int)shape[0]), checked((int)shape[1]), (byte*)(data + offset));
    }

    (long[] Shape, long Offset) Get(string name) =>
        tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"the training arena has no tensor '{name}'");

    public void Dispose()
    {
        if (data is not null) NativeMemory.AlignedFree(data);
        data = null;
    }

    /// <summary>An inference model over a snapshot of the current weights (it owns and disposes the snapshot).</summary>
    public static InferenceModel Snapshot(TrainModel model, InferenceOptions options) => InferenceModel.FromSource(new ArenaTensorSource(model), model.Config, options);
}
