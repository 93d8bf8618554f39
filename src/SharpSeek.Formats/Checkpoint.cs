// A checkpoint on disk: a Hugging Face folder (model.safetensors; or model.safetensors.index.json + shards;
// or one *.safetensors), a .safetensors file, or an index file. Every file is memory-mapped and validated
// on Open; tensors are read as raw bytes (no copy) or converted to f32, with FP8 e4m3 weights dequantized
// by their `<name>_scale_inv` 128×128 block scales as DeepSeek-V3 does (Dtypes.DequantFp8Blocks).
using SharpSeek.Tensors;

namespace SharpSeek.Formats;

public sealed unsafe class Checkpoint : IDisposable
{
    public const int Fp8BlockSize = 128;
    public const string ScaleSuffix = "_scale_inv";
    const int ChunkElements = 1 << 20;   // f32 conversion works through the map in chunks (tensors may exceed 2 GiB)

    readonly List<SafetensorsFile> files;
    readonly Dictionary<string, SafetensorsFile> owners = new(StringComparer.Ordinal);

    public string Directory { get; }
    public string? ConfigPath { get; }
    public IReadOnlyList<SafetensorsFile> Files => files;
    public IEnumerable<string> Names => owners.Keys;
    public int Count => owners.Count;

    Checkpoint(string directory, List<SafetensorsFile> files)
    {
        Directory = directory;
        this.files = files;
        string config = Path.Combine(directory, "config.json");
        ConfigPath = File.Exists(config) ? config : null;
        foreach (var file in files)
            foreach (var name in file.Tensors.Keys)
                if (!owners.TryAdd(name, file))
                    throw CheckpointException.At(file.Path, name,
                        $"tensor '{name}' is also in {Path.GetFileName(owners[name].Path)}; a tensor must be in one shard only");
    }

    public static Checkpoint Open(string path)
    {
        if (System.IO.Directory.Exists(path)) return OpenFolder(Path.GetFullPath(path));
        if (!File.Exists(path)) throw CheckpointException.At(path, null, "no such file or folder");
        string full = Path.GetFullPath(path);
        if (full.EndsWith(".index.json", StringComparison.Ordinal)) return OpenIndex(full);
        if (full.EndsWith(".safetensors", StringComparison.Ordinal)) return OpenFiles(Path.GetDirectoryName(full)!, [full]);
        throw CheckpointException.At(path, null, "is not a .safetensors file, a model.safetensors.index.json, or a model folder");
    }

    static Checkpoint OpenFolder(string dir)
    {
        string index = Path.Combine(dir, SafetensorsIndex.FileName);
        if (File.Exists(index)) return OpenIndex(index);
        string single = Path.Combine(dir, "model.safetensors");
        if (File.Exists(single)) return OpenFiles(dir, [single]);
        var candidates = System.IO.Directory.GetFiles(dir, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        if (candidates.Length == 1) return OpenFiles(dir, candidates);
        if (candidates.Length == 0)
            throw CheckpointException.At(dir, null, $"has no model.safetensors, {SafetensorsIndex.FileName} or other *.safetensors file");
        throw CheckpointException.At(dir, null,
            $"has {candidates.Length} .safetensors files ({string.Join(", ", candidates.Take(4).Select(Path.GetFileName))}" +
            $"{(candidates.Length > 4 ? ", …" : "")}) but no {SafetensorsIndex.FileName}; pass one file, or add the index");
    }

    static Checkpoint OpenIndex(string indexPath)
    {
        string dir = Path.GetDirectoryName(indexPath)!;
        var weightMap = SafetensorsIndex.ReadWeightMap(indexPath);
        var shardPaths = new List<string>();
        foreach (var (tensor, shard) in weightMap)
        {
            string shardPath = Path.Combine(dir, shard);
            if (shardPaths.Contains(shardPath)) continue;
            if (!File.Exists(shardPath))
                throw CheckpointException.At(indexPath, tensor, $"weight_map puts '{tensor}' in {shard}, which does not exist in {dir}");
            shardPaths.Add(shardPath);
        }

        var checkpoint = OpenFiles(dir, shardPaths);
        try
        {
            foreach (var (tensor, shard) in weightMap)
            {
                string shardPath = Path.Combine(dir, shard);
                if (checkpoint.owners.TryGetValue(tensor, out var owner) && owner.Path == shardPath) continue;
                throw CheckpointException.At(indexPath, tensor,
                    $"weight_map puts '{tensor}' in {shard}, but that shard has no such tensor" +
                    (owner != null ? $" (it is in {Path.GetFileName(owner.Path)})" : ""));
            }
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    static Checkpoint OpenFiles(string dir, IReadOnlyList<string> paths)
    {
        var opened = new List<SafetensorsFile>();
        try
        {
            foreach (var path in paths) opened.Add(SafetensorsFile.Open(path));
            return new Checkpoint(dir, opened);
        }
        catch
        {
            foreach (var file in opened) file.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => owners.ContainsKey(name);

    public TensorInfo Info(string name) =>
        owners.TryGetValue(name, out var file) ? file.Tensors[name]
            : throw CheckpointException.At(Directory, name,
                $"tensor '{name}' not found in {Directory} ({owners.Count} tensors in {files.Count} file{(files.Count == 1 ? "" : "s")})");

    public SafetensorsFile FileOf(string name) { Info(name); return owners[name]; }

    public ReadOnlySpan<byte> Bytes(string name) => FileOf(name).Bytes(name);

    public byte* Pointer(string name) => FileOf(name).Pointer(name);

    // The tensor as a new f32 array (see the span overload for the dtypes handled).
    public float[] ReadFloat32(string name)
    {
        var info = Info(name);
        long count = info.ElementCount;
        if (count > Array.MaxLength)
            throw CheckpointException.At(info.File, name,
                $"tensor '{name}' has {count} elements, more than a float[] holds ({Array.MaxLength}); read it with Pointer()");
        var result = new float[count];
        ReadFloat32(name, result);
        return result;
    }

    // F32 copied; F16, BF16, F64, F8_E5M2 converted; F8_E4M3 dequantized with `<name>_scale_inv`.
    public void ReadFloat32(string name, Span<float> destination)
    {
        var info = Info(name);
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"destination has {destination.Length} floats, tensor '{name}' has {info.ElementCount}", nameof(destination));
        byte* p = Pointer(name);
        switch (info.DType)
        {
            case DType.F32: Chunked<float>(p, destination, static (s, d) => s.CopyTo(d)); break;
            case DType.F16: Chunked<ushort>(p, destination, Dtypes.F16ToF32); break;
            case DType.BF16: Chunked<ushort>(p, destination, Dtypes.Bf16ToF32); break;
            case DType.F64: Chunked<double>(p, destination, static (s, d) => { for (int i = 0; i < s.Length; i++) d[i] = (float)s[i]; }); break;
            case DType.F8_E5M2: Chunked<byte>(p, destination, static (s, d) => { for (int i = 0; i < s.Length; i++) d[i] = Dtypes.F16ToF32((ushort)(s[i] << 8)); }); break;
            case DType.F8_E4M3: DequantFp8(info, p, destination); break;
            default:
                throw CheckpointException.At(info.File, name,
                    $"tensor '{name}' is {info.DType}; ReadFloat32 reads F32, F16, BF16, F64, F8_E5M2 and F8_E4M3 (with its {ScaleSuffix})");
        }
    }

    delegate void SpanConverter<T>(ReadOnlySpan<T> source, Span<float> destination);

    static void Chunked<T>(byte* source, Span<float> destination, SpanConverter<T> convert) where T : unmanaged
    {
        T* s = (T*)source;
        for (int start = 0; start < destination.Length; start += ChunkElements)
        {
            int n = Math.Min(ChunkElements, destination.Length - start);
            convert(new ReadOnlySpan<T>(s + start, n), destination.Slice(start, n));
        }
    }

    // w [rows, cols] e4m3 · scale_inv [ceil(rows/128), ceil(cols/128)] (F32 or BF16) → f32.
    void DequantFp8(TensorInfo weight, byte* w, Span<float> destination)
    {
        string name = weight.Name, scaleName = name + ScaleSuffix;
        if (weight.Shape.Length != 2)
            throw CheckpointException.At(weight.File, name,
                $"FP8 tensor '{name}' has shape {weight.ShapeText}; block dequantization needs a 2-D weight [rows, cols]");
        if (!Contains(scaleName))
            throw CheckpointException.At(weight.File, scaleName,
                $"FP8 tensor '{name}' needs its block scales '{scaleName}', which are not in {Directory}");
        var scale = Info(scaleName);
        if (scale.DType is not (DType.F32 or DType.BF16))
            throw CheckpointException.At(scale.File, scaleName, $"block scales '{scaleName}' are {scale.DType}; expected F32 or BF16");
        if (weight.Shape[0] > int.MaxValue || weight.Shape[1] > int.MaxValue)
            throw CheckpointException.At(weight.File, name, $"FP8 tensor '{name}' has shape {weight.ShapeText}; each dimension must fit an int");
        int rows = (int)weight.Shape[0], cols = (int)weight.Shape[1];   // rows·cols = destination.Length
        long[] expected = [(rows + Fp8BlockSize - 1L) / Fp8BlockSize, (cols + Fp8BlockSize - 1L) / Fp8BlockSize];
        if (!scale.Shape.SequenceEqual(expected))
            throw CheckpointException.At(scale.File, scaleName,
                $"block scales '{scaleName}' have shape {scale.ShapeText}, but weight '{name}' {weight.ShapeText} in " +
                $"{Fp8BlockSize}×{Fp8BlockSize} blocks needs {TensorInfo.FormatShape(expected)}");
        float[] scales = ReadFloat32(scaleName);
        Dtypes.DequantFp8Blocks(new ReadOnlySpan<byte>(w, rows * cols), scales, rows, cols, destination, Fp8BlockSize);
    }

    public void Dispose()
    {
        foreach (var file in files) file.Dispose();
    }

    public override string ToString() => $"{Directory} ({owners.Count} tensors in {files.Count} files)";
}
