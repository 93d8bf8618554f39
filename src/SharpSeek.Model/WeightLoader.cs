// Reads named tensors from a checkpoint as f32 and checks each shape against what the config implies.
// Internal names are the Hugging Face names; other formats (GGUF) map onto them through their name table.
using SharpSeek.Formats;
using SharpSeek.Model.Inference;

namespace SharpSeek.Model;

/// <summary>A checkpoint whose tensors do not fit the config: names the tensor, its shape, the expected shape and the config key.</summary>
public sealed class ShapeMismatchException(string message) : Exception(message);

public sealed class WeightLoader(ITensorSource source, ModelConfig config)
{
    public ITensorSource Source { get; } = source;
    public ModelConfig Config { get; } = config;

    public bool Has(string name) => Source.Contains(name);

    /// <summary>Loads tensor `name` as f32; `keys` names the config keys its shape derives from.</summary>
    public float[] Load(string name, string keys, params int[] shape)
    {
        Check(name, keys, shape);
        return Source.ReadFloat32(name);
    }

    /// <summary>A 2-D weight [rows, cols] in its stored type, for the fast path.</summary>
    public WeightMatrix Matrix(string name, string keys, int rows, int cols)
    {
        Check(name, keys, rows, cols);
        return Source.Matrix(name);
    }

    /// <summary>A 2-D weight [rows, cols] used only in products (q/k/v/o, MLP, experts, lm_head): see ITensorSource.Projection.</summary>
    public WeightMatrix Projection(string name, string keys, int rows, int cols)
    {
        Check(name, keys, rows, cols);
        return Source.Projection(name);
    }

    void Check(string name, string keys, params int[] shape)
    {
        if (!Source.Contains(name))
            throw new CheckpointException(Source.Location, name,
                $"tensor '{name}' not found in {Source.Location}; config ({Config.Source}) implies it with shape [{string.Join(", ", shape)}] from {keys}");
        var actual = Source.Shape(name);
        if (!actual.SequenceEqual(shape.Select(d => (long)d)))
            throw new ShapeMismatchException(
                $"tensor {name} has shape [{string.Join(", ", actual)}], config expects [{string.Join(", ", shape)}]: {keys} mismatch ({Config.Source})");
    }

    public Linear Linear(string prefix, string keys, int outDim, int inDim, bool bias = false) =>
        new(Load(prefix + ".weight", keys, outDim, inDim), outDim, inDim, bias ? Load(prefix + ".bias", keys, outDim) : null);

    public float[] Norm(string prefix, string keys, int dim) => Load(prefix + ".weight", keys, dim);
}
