// Reads named tensors from a checkpoint as f32 and checks each shape against what the config implies.
// Internal names are the Hugging Face names; other formats (GGUF) map onto them through their name table.
using SharpSeek.Formats;

namespace SharpSeek.Model;

/// <summary>A checkpoint whose tensors do not fit the config: names the tensor, its shape, the expected shape and the config key.</summary>
public sealed class ShapeMismatchException(string message) : Exception(message);

public sealed class WeightLoader(Checkpoint checkpoint, ModelConfig config)
{
    public Checkpoint Checkpoint { get; } = checkpoint;
    public ModelConfig Config { get; } = config;

    public bool Has(string name) => Checkpoint.Contains(name);

    /// <summary>Loads tensor `name` as f32; `keys` names the config keys its shape derives from.</summary>
    public float[] Load(string name, string keys, params int[] shape)
    {
        if (!Checkpoint.Contains(name))
            throw new CheckpointException(Checkpoint.Directory, name,
                $"tensor '{name}' not found in {Checkpoint.Directory}; config ({Config.Source}) implies it with shape [{string.Join(", ", shape)}] from {keys}");
        var actual = Checkpoint.Info(name).Shape;
        if (!actual.SequenceEqual(shape.Select(d => (long)d)))
            throw new ShapeMismatchException(
                $"tensor {name} has shape [{string.Join(", ", actual)}], config expects [{string.Join(", ", shape)}]: {keys} mismatch ({Config.Source})");
        return Checkpoint.ReadFloat32(name);
    }

    public Linear Linear(string prefix, string keys, int outDim, int inDim, bool bias = false) =>
        new(Load(prefix + ".weight", keys, outDim, inDim), outDim, inDim, bias ? Load(prefix + ".bias", keys, outDim) : null);

    public float[] Norm(string prefix, string keys, int dim) => Load(prefix + ".weight", keys, dim);
}
