// Writes GGUF v3 files the way llama.cpp's gguf writer lays them out, so llama.cpp loads what we write:
// header, metadata in insertion order, tensor infos, then each tensor's data at the next multiple of the
// alignment (offsets strictly increasing in info order, as ggml's gguf_init requires). Tensor bytes may be
// produced lazily, one tensor at a time, so converting a large model never holds more than one tensor.
// The file appears atomically: written to a temp file in the same folder, flushed, then renamed.
using System.Buffers.Binary;
using System.Text;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Gguf;

public sealed class GgufWriter
{
    public const int MaxNameBytes = 63;   // GGML_MAX_NAME is 64 including the terminating NUL

    sealed record Pending(string Name, GgmlType Type, long[] Dims, long Bytes, Func<byte[]> Produce);

    readonly List<KeyValuePair<string, GgufValue>> metadata = [];
    readonly List<Pending> tensors = [];
    readonly HashSet<string> tensorNames = new(StringComparer.Ordinal);

    /// <summary>Data alignment; written as general.alignment when not the default 32.</summary>
    public int Alignment { get; init; } = GgufFile.DefaultAlignment;

    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata => metadata;
    public int TensorCount => tensors.Count;

    /// <summary>Sets a metadata key (replacing an earlier value in place, keeping its position).</summary>
    public GgufWriter Set(string key, GgufValue value)
    {
        if (string.IsNullOrEmpty(key)) throw new ArgumentException("metadata key is empty", nameof(key));
        int i = metadata.FindIndex(kv => kv.Key == key);
        if (i >= 0) metadata[i] = new(key, value);
        else metadata.Add(new(key, value));
        return this;
    }

    public GgufWriter Set(string key, string value) => Set(key, GgufValue.String(value));
    public GgufWriter Set(string key, uint value) => Set(key, GgufValue.U32(value));
    public GgufWriter Set(string key, float value) => Set(key, GgufValue.F32(value));
    public GgufWriter Set(string key, bool value) => Set(key, GgufValue.Bool(value));

    public bool Remove(string key) => metadata.RemoveAll(kv => kv.Key == key) > 0;

    /// <summary>Adds a tensor of row-major `shape` (outermost first, as PyTorch writes it) with its encoded bytes.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] shape, byte[] data)
    {
        long expected = CheckTensor(name, type, shape);
        if (data.LongLength != expected)
            throw new ArgumentException($"tensor '{name}' {GgufTypes.Name(type)} [{string.Join(", ", shape)}] needs {expected} bytes, data has {data.LongLength}");
        tensors.Add(new(name, type, shape.Reverse().ToArray(), expected, () => data));
        return this;
    }

    /// <summary>Adds a tensor whose bytes are produced when the file is written (called once, in order).</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] shape, Func<byte[]> produce)
    {
        long expected = CheckTensor(name, type, shape);
        tensors.Add(new(name, type, shape.Reverse().ToArray(), expected, produce));
        return this;
    }

    /// <summary>Adds f32 values of row-major `shape`, encoded as `type` when written.</summary>
    public GgufWriter AddFloat32(string name, GgmlType type, long[] shape, Func<float[]> values) =>
        AddTensor(name, type, shape, () => GgmlCodec.Encode(type, values()));

    long CheckTensor(string name, GgmlType type, long[] shape)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("tensor name is empty");
        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
            throw new ArgumentException($"tensor name '{name}' is over {MaxNameBytes} bytes; llama.cpp cannot load it");
        if (!tensorNames.Add(name)) throw new ArgumentException($"tensor '{name}' is added twice");
        if (!GgufTypes.IsKnown(type)) throw new ArgumentException($"tensor '{name}' has unknown ggml type {(int)type}");
        if (shape.Length is 0 or > GgufFile.MaxDims)
            throw new ArgumentException($"tensor '{name}' has {shape.Length} dimensions; GGUF takes 1 to {GgufFile.MaxDims}");
        long elements = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}' has a negative dimension in [{string.Join(", ", shape)}]");
            elements = checked(elements * d);
        }
        int block = GgufTypes.BlockSize(type);
        if (shape[^1] % block != 0)
            throw new ArgumentException($"tensor '{name}' rows of {shape[^1]} are not a multiple of the {GgufTypes.Name(type)} block size {block}");
        return GgufTypes.ByteCount(type, elements);
    }

    public void Write(string path)
    {
        if (Alignment <= 0 || (Alignment & (Alignment - 1)) != 0) throw new InvalidOperationException($"alignment {Alignment} is not a power of two");
        var kvs = metadata.Where(kv => kv.Key != "general.alignment").ToList();
        if (Alignment != GgufFile.DefaultAlignment) kvs.Insert(0, new("general.alignment", GgufValue.U32((uint)Alignment)));
        AtomicFile.Write(path, stream => WriteTo(stream, kvs));
    }

    void WriteTo(Stream stream, List<KeyValuePair<string, GgufValue>> kvs)
    {
        var header = new MemoryStream();
        var w = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write((ulong)kvs.Count);
        foreach (var (key, value) in kvs)
        {
            WriteString(w, key);
            w.Write((uint)value.Type);
            WriteValue(w, value.Raw, value.Type);
        }
        long offset = 0;
        var offsets = new long[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            WriteString(w, t.Name);
            w.Write((uint)t.Dims.Length);
            foreach (long d in t.Dims) w.Write((ulong)d);
            w.Write((uint)t.Type);
            offsets[i] = offset;
            w.Write((ulong)offset);
            offset = Align(offset + t.Bytes);
        }
        w.Flush();
        stream.Write(header.GetBuffer(), 0, (int)header.Length);
        Pad(stream, Align(header.Length) - header.Length);

        long written = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            Pad(stream, offsets[i] - written);
            var data = t.Produce();
            if (data.LongLength != t.Bytes)
                throw new InvalidOperationException($"tensor '{t.Name}' produced {data.LongLength} bytes, expected {t.Bytes}");
            stream.Write(data);
            written = offsets[i] + t.Bytes;
        }
        Pad(stream, Align(written) - written);
    }

    long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    static void Pad(Stream s, long n)
    {
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        while (n > 0) { int k = (int)Math.Min(n, zeros.Length); s.Write(zeros[..k]); n -= k; }
    }

    static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    static void WriteValue(BinaryWriter w, object raw, GgufValueType type)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write((byte)raw); break;
            case GgufValueType.Int8: w.Write((sbyte)raw); break;
            case GgufValueType.UInt16: w.Write((ushort)raw); break;
            case GgufValueType.Int16: w.Write((short)raw); break;
            case GgufValueType.UInt32: w.Write((uint)raw); break;
            case GgufValueType.Int32: w.Write((int)raw); break;
            case GgufValueType.Float32: w.Write((float)raw); break;
            case GgufValueType.Bool: w.Write((bool)raw ? (byte)1 : (byte)0); break;
            case GgufValueType.String: WriteString(w, (string)raw); break;
            case GgufValueType.UInt64: w.Write((ulong)raw); break;
            case GgufValueType.Int64: w.Write((long)raw); break;
            case GgufValueType.Float64: w.Write((double)raw); break;
            case GgufValueType.Array:
                var a = (GgufArray)raw;
                w.Write((uint)a.ElementType);
                w.Write((ulong)a.Count);
                foreach (var item in a.Items) WriteValue(w, item!, a.ElementType);
                break;
            default: throw new ArgumentException($"invalid value type {type}");
        }
    }
}

/// <summary>Write to "&lt;dir&gt;/.&lt;name&gt;.&lt;random&gt;.tmp", flush to disk, then rename over the target.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }
}
