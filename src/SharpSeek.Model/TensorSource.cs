// Where named weights come from: safetensors checkpoints or GGUF files, always addressed by Hugging Face names.
// The reference path reads f32 copies; the fast path asks for typed matrices that point into the file's map.
using System.Runtime.InteropServices;
using SharpSeek.Formats;
using SharpSeek.Model.Inference;
using SharpSeek.Tensors;

namespace SharpSeek.Model;

public interface ITensorSource : IDisposable
{
    /// <summary>Folder or file the tensors come from (for messages).</summary>
    string Location { get; }
    IEnumerable<string> Names { get; }
    bool Contains(string name);
    /// <summary>Shape in Hugging Face order ([out, in] for a linear weight).</summary>
    long[] Shape(string name);
    /// <summary>The stored element type, e.g. "BF16", "Q4_K".</summary>
    string StoredType(string name);
    float[] ReadFloat32(string name);
    /// <summary>A 2-D weight in a type the fast kernels take, pointing into the file where the stored type allows.</summary>
    WeightMatrix Matrix(string name);
    /// <summary>A 2-D weight only ever multiplied with (never sliced by row or read as raw rows): the source may hold it in
    /// a layout the kernels prefer (Q4_0/Q8_0/F16/BF16 interleaved by groups of 16 rows: OwnedBuffers.Interleaved).</summary>
    WeightMatrix Projection(string name) => Matrix(name);
}

public static class TensorSources
{
    /// <summary>Opens a .gguf file (config from its metadata) or an HF folder / .safetensors file (config.json beside it).</summary>
    public static (ITensorSource Source, ModelConfig Config) Open(string path)
    {
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            var gguf = Convert.GgufWeights.Open(path);
            return (gguf, gguf.Config);
        }
        var checkpoint = Checkpoint.Open(path);
        try
        {
            var config = ModelConfig.Load(checkpoint.ConfigPath
                ?? throw new ConfigException(System.IO.Path.Combine(checkpoint.Directory, "config.json"), null, "config.json not found beside the weights"));
            return (new SafetensorsSource(checkpoint), config);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }
}

/// <summary>safetensors (single, sharded). F32/F16/BF16 map directly; FP8 e4m3 is dequantized to BF16 once at load.</summary>
public sealed unsafe class SafetensorsSource(Checkpoint checkpoint) : ITensorSource
{
    readonly OwnedBuffers owned = new();
    public Checkpoint Checkpoint { get; } = checkpoint;
    public string Location => Checkpoint.Directory;
    public IEnumerable<string> Names => Checkpoint.Names;
    public bool Contains(string name) => Checkpoint.Contains(name);
    public long[] Shape(string name) => Checkpoint.Info(name).Shape;
    public string StoredType(string name) => Checkpoint.Info(name).DType.ToString();
    public float[] ReadFloat32(string name) => Checkpoint.ReadFloat32(name);

    public WeightMatrix Matrix(string name)
    {
        var info = Checkpoint.Info(name);
        if (info.Shape.Length != 2) throw new CheckpointException(Checkpoint.FileOf(name).Path, name, $"tensor '{name}' has shape [{info.ShapeText}]; a 2-D weight was expected");
        int rows = checked((int)info.Shape[0]), cols = checked((int)info.Shape[1]);
        GgmlType? direct = info.DType switch { DType.F32 => GgmlType.F32, DType.F16 => GgmlType.F16, DType.BF16 => GgmlType.BF16, _ => null };
        if (direct is GgmlType t) return new WeightMatrix(t, rows, cols, Checkpoint.Pointer(name));
        // a dtype the kernels do not take (FP8, F64): one layout change to BF16, owned by this source
        var f32 = Checkpoint.ReadFloat32(name);
        var mem = owned.Alloc(f32.LongLength * 2);
        Dtypes.F32ToBf16(f32, new Span<ushort>(mem, f32.Length));
        return new WeightMatrix(GgmlType.BF16, rows, cols, mem);
    }

    /// <summary>Matrix, held interleaved when the kernels prefer it (OwnedBuffers.Interleaved).</summary>
    public WeightMatrix Projection(string name) => owned.Interleaved(Matrix(name));

    /// <summary>Whether Projection interleaves (default: yes, unless SHARPSEEK_LAYOUT=plain).</summary>
    public bool Interleave { get => owned.Interleave; set => owned.Interleave = value; }

    public void Dispose()
    {
        owned.Dispose();
        Checkpoint.Dispose();
    }
}
