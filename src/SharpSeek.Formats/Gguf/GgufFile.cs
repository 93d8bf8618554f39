// A GGUF (v2/v3) file, memory-mapped read-only. Layout (little-endian):
//   "GGUF" | u32 version | u64 n_tensors | u64 n_kv | n_kv × (string key, u32 type, value)
//   | n_tensors × (string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset) | pad to alignment | data
// where string = u64 length + UTF-8 bytes, an array = u32 element type + u64 count + elements, and tensor offsets
// are relative to the data section, which starts at the first multiple of general.alignment (default 32).
// ne[0] is the innermost (contiguous) dimension, so Shape (row-major, as PyTorch writes it) is ne reversed.
// Everything is validated in Open against the file's size before anything is allocated: a file that opens has
// every tensor in range, aligned, non-overlapping and of a known type. Any damage is a CheckpointException.
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Gguf;

/// <summary>One tensor: ggml dims (ne0 first), type, absolute byte offset and length in the file.</summary>
public sealed record GgufTensorInfo(string Name, GgmlType Type, long[] Dims, long Offset, long Length)
{
    /// <summary>Row-major shape (outermost first), as Hugging Face / PyTorch write it: Dims reversed.</summary>
    public long[] Shape => Dims.Reverse().ToArray();
    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);
    public string TypeName => GgufTypes.Name(Type);
    public override string ToString() => $"{Name} {TypeName} ne={{{string.Join(", ", Dims)}}}";
}

public sealed unsafe class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747;            // "GGUF" read as a little-endian u32
    public const int DefaultAlignment = 32;
    public const int MaxDims = 4;                    // GGML_MAX_DIMS
    public const int MaxArrayNesting = 8;
    public const int MaxTensorNameBytes = 1024;      // reading is lenient; llama.cpp itself needs < 64 (GgufWriter enforces that)

    readonly MemoryMappedFile? map;
    readonly MemoryMappedViewAccessor? view;
    byte* basePointer;
    readonly Dictionary<string, GgufValue> metadata;
    readonly Dictionary<string, GgufTensorInfo> tensors;

    public string Path { get; }
    public long Length { get; }
    public uint Version { get; }
    public int Alignment { get; }
    /// <summary>Absolute offset of the data section.</summary>
    public long DataOffset { get; }
    /// <summary>Metadata in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> MetadataList { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata => metadata;
    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> TensorList { get; }
    public IReadOnlyDictionary<string, GgufTensorInfo> Tensors => tensors;

    GgufFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* p, Parsed parsed)
    {
        Path = path; Length = length; this.map = map; this.view = view; basePointer = p;
        Version = parsed.Version; Alignment = parsed.Alignment; DataOffset = parsed.DataOffset;
        MetadataList = parsed.Metadata;
        metadata = parsed.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        TensorList = parsed.Tensors;
        tensors = parsed.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public static GgufFile Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw CheckpointException.At(path, null, $"cannot open: {e.Message}", e);
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* p = null;
        try
        {
            long length = stream.Length;
            if (length < 24)
                throw CheckpointException.At(path, "header", $"file is {length} bytes, shorter than the 24-byte GGUF header; it is truncated or not a GGUF file");
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            var parsed = Parse(path, p, length);
            return new GgufFile(path, length, map, view, p, parsed);
        }
        catch (Exception e)
        {
            if (p != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            if (e is IOException or UnauthorizedAccessException)
                throw CheckpointException.At(path, null, $"cannot map: {e.Message}", e);
            throw;
        }
    }

    // ---------------------------------------------------------------- parsing

    sealed record Parsed(uint Version, int Alignment, long DataOffset,
        List<KeyValuePair<string, GgufValue>> Metadata, List<GgufTensorInfo> Tensors);

    /// <summary>A bounds-checked reader over the mapped header; every overrun names the field being read.</summary>
    sealed class Cursor(string path, byte* p, long length)
    {
        public long Position;
        public long Remaining => length - Position;
        public string Path => path;

        public void Need(long bytes, string field, string what)
        {
            if (bytes < 0 || bytes > Remaining)
                throw CheckpointException.At(path, field,
                    $"truncated: {what} needs {bytes} bytes at offset {Position}, but the file ends at {length}");
        }

        public ReadOnlySpan<byte> Take(long n, string field, string what)
        {
            Need(n, field, what);
            var span = new ReadOnlySpan<byte>(p + Position, checked((int)n));
            Position += n;
            return span;
        }

        public uint U32(string field, string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field, what));
        public ulong U64(string field, string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field, what));

        public string String(string field, string what, long maxBytes = long.MaxValue)
        {
            ulong n = U64(field, what + " length");
            if (n > (ulong)Remaining)
                throw CheckpointException.At(path, field,
                    $"{what} claims {n} bytes at offset {Position}, but only {Remaining} bytes remain in the file; the file is corrupt or truncated");
            if (n > (ulong)maxBytes)
                throw CheckpointException.At(path, field, $"{what} is {n} bytes, over the {maxBytes}-byte limit");
            if (n > int.MaxValue)
                throw CheckpointException.At(path, field, $"{what} is {n} bytes, more than a string holds");
            return Encoding.UTF8.GetString(Take((long)n, field, what));
        }
    }

    static Parsed Parse(string path, byte* p, long length)
    {
        var c = new Cursor(path, p, length);
        uint magic = c.U32("magic", "the magic");
        if (magic != Magic)
        {
            var bytes = new ReadOnlySpan<byte>(p, 4).ToArray();
            string shown = string.Concat(bytes.Select(b => b is >= 32 and < 127 ? ((char)b).ToString() : $"\\x{b:X2}"));
            throw CheckpointException.At(path, "magic", $"bad magic '{shown}', expected 'GGUF'; this is not a GGUF file");
        }
        uint version = c.U32("version", "the version");
        if (version is 2 or 3) { }
        else if (version == 1)
            throw CheckpointException.At(path, "version", "GGUF version 1 is not supported (only 2 and 3); reconvert the model with a current llama.cpp or SharpSeek");
        else if ((version & 0xFFFF) == 0 && version != 0)
            throw CheckpointException.At(path, "version", $"version {version} looks byte-swapped: the file is big-endian, which is not supported");
        else
            throw CheckpointException.At(path, "version", $"unsupported GGUF version {version} (expected 3)");

        ulong nTensors = c.U64("tensor_count", "the tensor count");
        ulong nKv = c.U64("metadata_kv_count", "the metadata count");
        // Each metadata entry takes at least 13 bytes (u64 key length, u32 type, 1-byte value), each tensor info 24
        // (u64 name length, u32 n_dims, u32 type, u64 offset): counts beyond what the file can hold are rejected here.
        if (nKv > (ulong)c.Remaining / 13)
            throw CheckpointException.At(path, "metadata_kv_count", $"metadata count {nKv} is impossible for a {length}-byte file; the header is corrupt");
        if (nTensors > (ulong)c.Remaining / 24)
            throw CheckpointException.At(path, "tensor_count", $"tensor count {nTensors} is impossible for a {length}-byte file; the header is corrupt");

        var kvs = new List<KeyValuePair<string, GgufValue>>((int)nKv);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < nKv; i++)
        {
            string key = c.String($"metadata[{i}]", $"metadata key {i}");
            if (key.Length == 0) throw CheckpointException.At(path, $"metadata[{i}]", $"metadata key {i} is empty");
            if (!keys.Add(key)) throw CheckpointException.At(path, key, $"metadata key '{key}' appears twice");
            uint type = c.U32(key, $"the type of '{key}'");
            if (!GgufTypes.IsValid(type))
                throw CheckpointException.At(path, key, $"metadata '{key}' has unknown value type {type} (valid: 0–12)");
            kvs.Add(new(key, ReadValue(c, key, (GgufValueType)type, 0)));
        }

        int alignment = DefaultAlignment;
        var alignKv = kvs.FirstOrDefault(kv => kv.Key == "general.alignment");
        if (alignKv.Value is { } a)
        {
            if (a.Type != GgufValueType.UInt32)
                throw CheckpointException.At(path, "general.alignment", $"general.alignment must be a uint32, got {a.Type}");
            uint value = (uint)a.Raw;
            if (value == 0 || (value & (value - 1)) != 0 || value > (1u << 30))
                throw CheckpointException.At(path, "general.alignment", $"general.alignment {value} is not a power of two (≤ 2^30)");
            alignment = (int)value;
        }

        var infos = new List<(string Name, GgmlType Type, long[] Dims, ulong Offset, long Bytes)>((int)nTensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < nTensors; i++)
        {
            string name = c.String($"tensor[{i}]", $"tensor name {i}", MaxTensorNameBytes);
            if (name.Length == 0) throw CheckpointException.At(path, $"tensor[{i}]", $"tensor {i} has an empty name");
            if (!names.Add(name)) throw CheckpointException.At(path, name, $"tensor '{name}' appears twice");
            uint nDims = c.U32(name, $"n_dims of '{name}'");
            if (nDims > MaxDims) throw CheckpointException.At(path, name, $"tensor '{name}' has {nDims} dimensions; GGUF allows at most {MaxDims}");
            var dims = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++)
            {
                ulong ne = c.U64(name, $"dimension {d} of '{name}'");
                if (ne > long.MaxValue)
                    throw CheckpointException.At(path, name, $"tensor '{name}' dimension {d} is {ne}, which is negative as int64");
                dims[d] = (long)ne;
                if (dims[d] != 0 && elements > long.MaxValue / dims[d])
                    throw CheckpointException.At(path, name, $"tensor '{name}' element count overflows int64 (ne = {{{string.Join(", ", dims.Take(d + 1))}…}})");
                elements *= dims[d];
            }
            uint typeId = c.U32(name, $"type of '{name}'");
            var type = (GgmlType)typeId;
            if (typeId > int.MaxValue || !GgufTypes.IsKnown(type))
                throw CheckpointException.At(path, name, $"tensor '{name}' has unknown ggml type {typeId}");
            int block = GgufTypes.BlockSize(type);
            if (nDims > 0 && dims[0] % block != 0)
                throw CheckpointException.At(path, name,
                    $"tensor '{name}' of type {GgufTypes.Name(type)} has rows of {dims[0]} elements, not a multiple of its block size {block}");
            long bytes = GgufTypes.ByteCount(type, elements);
            if (bytes < 0) throw CheckpointException.At(path, name, $"tensor '{name}' byte size overflows int64");
            ulong offset = c.U64(name, $"offset of '{name}'");
            if (offset % (ulong)alignment != 0)
                throw CheckpointException.At(path, name, $"tensor '{name}' offset {offset} is not a multiple of the alignment {alignment}");
            infos.Add((name, type, dims, offset, bytes));
        }

        long dataOffset = (c.Position + alignment - 1) / alignment * alignment;
        long dataBytes = Math.Max(0, length - dataOffset);
        var tensors = new List<GgufTensorInfo>(infos.Count);
        foreach (var t in infos)
        {
            if (t.Offset > (ulong)dataBytes || (ulong)t.Bytes > (ulong)dataBytes - t.Offset)
                throw CheckpointException.At(path, t.Name,
                    $"tensor '{t.Name}' ({t.Bytes} bytes at data offset {t.Offset}) runs past the end of the file " +
                    $"(data section is {dataBytes} bytes); the file is truncated or the offset is bad");
            tensors.Add(new GgufTensorInfo(t.Name, t.Type, t.Dims, dataOffset + (long)t.Offset, t.Bytes));
        }
        var byOffset = tensors.Where(t => t.Length > 0).OrderBy(t => t.Offset).ToList();
        for (int i = 1; i < byOffset.Count; i++)
            if (byOffset[i - 1].Offset + byOffset[i - 1].Length > byOffset[i].Offset)
                throw CheckpointException.At(path, byOffset[i].Name,
                    $"tensor '{byOffset[i].Name}' (at {byOffset[i].Offset}) overlaps tensor '{byOffset[i - 1].Name}' " +
                    $"({byOffset[i - 1].Offset}..{byOffset[i - 1].Offset + byOffset[i - 1].Length})");
        return new Parsed(version, alignment, dataOffset, kvs, tensors);
    }

    static GgufValue ReadValue(Cursor c, string key, GgufValueType type, int depth)
    {
        switch (type)
        {
            case GgufValueType.String: return GgufValue.String(c.String(key, $"string value of '{key}'"));
            case GgufValueType.Array:
            {
                if (depth >= MaxArrayNesting)
                    throw CheckpointException.At(c.Path, key, $"metadata '{key}' nests arrays deeper than {MaxArrayNesting}");
                uint elementTypeId = c.U32(key, $"array element type of '{key}'");
                if (!GgufTypes.IsValid(elementTypeId))
                    throw CheckpointException.At(c.Path, key, $"metadata '{key}' is an array of unknown value type {elementTypeId}");
                var elementType = (GgufValueType)elementTypeId;
                ulong count = c.U64(key, $"array length of '{key}'");
                int min = GgufTypes.MinEncodedSize(elementType);
                if (count > (ulong)c.Remaining / (ulong)min || count > int.MaxValue)
                    throw CheckpointException.At(c.Path, key,
                        $"metadata '{key}' claims {count} {elementType} elements (≥ {min} bytes each), but only {c.Remaining} bytes remain; the file is corrupt or truncated");
                return GgufValue.Array(ReadArray(c, key, elementType, (int)count, depth));
            }
            default:
            {
                var bytes = c.Take(GgufTypes.ScalarSize(type), key, $"value of '{key}'");
                return GgufValue.Scalar(type, Scalar(type, bytes, key, c.Path));
            }
        }
    }

    static object Scalar(GgufValueType type, ReadOnlySpan<byte> b, string key, string path) => type switch
    {
        GgufValueType.UInt8 => b[0],
        GgufValueType.Int8 => (sbyte)b[0],
        GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(b),
        GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b),
        GgufValueType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(b),
        GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b),
        GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(b),
        GgufValueType.Bool => b[0] switch
        {
            0 => false, 1 => true,
            var v => throw CheckpointException.At(path, key, $"metadata '{key}' has bool byte {v}; expected 0 or 1"),
        },
        GgufValueType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(b),
        GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b),
        GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(b),
        _ => throw new InvalidOperationException(),
    };

    static GgufArray ReadArray(Cursor c, string key, GgufValueType type, int count, int depth)
    {
        switch (type)
        {
            case GgufValueType.String:
            {
                var items = new string[count];
                for (int i = 0; i < count; i++) items[i] = c.String(key, $"element {i} of '{key}'");
                return new GgufArray(type, items);
            }
            case GgufValueType.Array:
            {
                var items = new GgufArray[count];
                for (int i = 0; i < count; i++) items[i] = ReadValue(c, key, GgufValueType.Array, depth + 1).AsArray();
                return new GgufArray(type, items);
            }
            case GgufValueType.Bool:
            {
                var raw = c.Take(count, key, $"elements of '{key}'");
                var items = new bool[count];
                for (int i = 0; i < count; i++)
                    items[i] = raw[i] switch
                    {
                        0 => false, 1 => true,
                        var v => throw CheckpointException.At(c.Path, key, $"metadata '{key}' element {i} has bool byte {v}; expected 0 or 1"),
                    };
                return new GgufArray(type, items);
            }
            default:
            {
                int size = GgufTypes.ScalarSize(type);
                var raw = c.Take((long)count * size, key, $"elements of '{key}'");
                System.Array items = type switch
                {
                    GgufValueType.UInt8 => raw.ToArray(),
                    GgufValueType.Int8 => MemoryMarshal.Cast<byte, sbyte>(raw).ToArray(),
                    GgufValueType.UInt16 => MemoryMarshal.Cast<byte, ushort>(raw).ToArray(),
                    GgufValueType.Int16 => MemoryMarshal.Cast<byte, short>(raw).ToArray(),
                    GgufValueType.UInt32 => MemoryMarshal.Cast<byte, uint>(raw).ToArray(),
                    GgufValueType.Int32 => MemoryMarshal.Cast<byte, int>(raw).ToArray(),
                    GgufValueType.Float32 => MemoryMarshal.Cast<byte, float>(raw).ToArray(),
                    GgufValueType.UInt64 => MemoryMarshal.Cast<byte, ulong>(raw).ToArray(),
                    GgufValueType.Int64 => MemoryMarshal.Cast<byte, long>(raw).ToArray(),
                    GgufValueType.Float64 => MemoryMarshal.Cast<byte, double>(raw).ToArray(),
                    _ => throw new InvalidOperationException(),
                };
                return new GgufArray(type, items);
            }
        }
    }

    // ---------------------------------------------------------------- metadata helpers

    public bool Has(string key) => metadata.ContainsKey(key);

    public GgufValue? Get(string key) => metadata.GetValueOrDefault(key);

    public string? GetString(string key) => Has(key) ? Typed(key, v => v.AsString(), "a string") : null;
    public long? GetInt(string key) => Has(key) ? Typed(key, v => v.AsInt64(), "an integer") : null;
    public double? GetDouble(string key) => Has(key) ? Typed(key, v => v.AsDouble(), "a number") : null;
    public bool? GetBool(string key) => metadata.TryGetValue(key, out var v) ? v.Raw switch
    {
        bool b => b,
        _ when v.IsInteger => v.AsInt64() != 0,
        _ => throw CheckpointException.At(Path, key, $"metadata '{key}' is {v.Type}; expected a bool"),
    } : null;
    public GgufArray? GetArray(string key) => Has(key) ? Typed(key, x => x.AsArray(), "an array") : null;

    T Typed<T>(string key, Func<GgufValue, T> read, string what)
    {
        var v = metadata[key];
        try { return read(v); }
        catch (InvalidCastException) { throw CheckpointException.At(Path, key, $"metadata '{key}' is {v.Type} ({v}); expected {what}"); }
    }

    public string RequireString(string key) => GetString(key) ?? throw Missing(key);
    public long RequireInt(string key) => GetInt(key) ?? throw Missing(key);
    public double RequireDouble(string key) => GetDouble(key) ?? throw Missing(key);

    CheckpointException Missing(string key) => CheckpointException.At(Path, key, $"metadata '{key}' is missing");

    // ---------------------------------------------------------------- tensor data

    public bool Contains(string name) => tensors.ContainsKey(name);

    public GgufTensorInfo Info(string name) => tensors.TryGetValue(name, out var info) ? info
        : throw CheckpointException.At(Path, name, $"tensor '{name}' not found ({tensors.Count} tensors in this file)");

    public byte* Pointer(string name) => Pointer(Info(name));

    public byte* Pointer(GgufTensorInfo info)
    {
        ObjectDisposedException.ThrowIf(basePointer == null, this);
        return basePointer + info.Offset;
    }

    /// <summary>The tensor's raw bytes (tensors over 2 GiB do not fit a span: use Pointer).</summary>
    public ReadOnlySpan<byte> Bytes(string name)
    {
        var info = Info(name);
        if (info.Length > int.MaxValue)
            throw CheckpointException.At(Path, name, $"tensor '{name}' is {info.Length} bytes, too large for a span; use Pointer()");
        return new ReadOnlySpan<byte>(Pointer(info), (int)info.Length);
    }

    public float[] ReadFloat32(string name)
    {
        var info = Info(name);
        if (info.ElementCount > Array.MaxLength)
            throw CheckpointException.At(Path, name, $"tensor '{name}' has {info.ElementCount} elements, more than a float[] holds");
        var result = new float[info.ElementCount];
        ReadFloat32(name, result);
        return result;
    }

    /// <summary>Decodes the tensor (F32, F16, BF16, F64 or a quantized type the kernels know) into f32, in row-major order.</summary>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var info = Info(name);
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"destination has {destination.Length} floats, tensor '{name}' has {info.ElementCount}", nameof(destination));
        if (!GgmlCodec.CanDecode(info.Type))
            throw CheckpointException.At(Path, name, $"tensor '{name}' is {info.TypeName}; SharpSeek reads {GgmlCodec.DecodableNames}");
        byte* p = Pointer(info);
        int block = GgufTypes.BlockSize(info.Type), blockBytes = GgufTypes.BlockBytes(info.Type);
        long blocks = info.ElementCount / block;
        long chunkBlocks = Math.Max(1, (1 << 24) / block);   // ≤ 16 M elements per call keeps spans small
        for (long b = 0; b < blocks; b += chunkBlocks)
        {
            long n = Math.Min(chunkBlocks, blocks - b);
            GgmlCodec.Decode(info.Type, new ReadOnlySpan<byte>(p + b * blockBytes, (int)(n * blockBytes)),
                destination.Slice((int)(b * block), (int)(n * block)));
        }
    }

    public void Dispose()
    {
        if (basePointer == null) return;
        basePointer = null;
        view!.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map!.Dispose();
    }

    public override string ToString() => $"{Path} (GGUF v{Version}, {tensors.Count} tensors, {metadata.Count} metadata keys)";
}
