// Writes safetensors files the Hugging Face way, so what we save loads in PyTorch too:
//   u64 header length | JSON header padded with spaces to a multiple of 8 | tensor data, back to back.
// The Rust/Python reader rejects gaps between tensors, so alignment comes from order instead of padding:
// tensors are stably sorted by element size (8-byte types first), which puts every tensor on a multiple
// of its own element size (the data section itself starts 8-aligned). Files appear atomically: written
// to a temp file in the same folder, flushed, then renamed over the target.
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using SharpSeek.Tensors;

namespace SharpSeek.Formats;

public static class SafetensorsWriter
{
    public sealed record Tensor(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Data)
    {
        // f32 data stored as F32, BF16 (round to nearest even) or F16.
        public static Tensor FromFloat32(string name, long[] shape, float[] data, DType target = DType.F32)
        {
            byte[] bytes;
            switch (target)
            {
                case DType.F32:
                    bytes = MemoryMarshal.AsBytes(data.AsSpan()).ToArray();
                    break;
                case DType.BF16:
                    var bf16 = new ushort[data.Length];
                    Dtypes.F32ToBf16(data, bf16);
                    bytes = MemoryMarshal.AsBytes(bf16.AsSpan()).ToArray();
                    break;
                case DType.F16:
                    var f16 = new ushort[data.Length];
                    Dtypes.F32ToF16(data, f16);
                    bytes = MemoryMarshal.AsBytes(f16.AsSpan()).ToArray();
                    break;
                default:
                    throw new ArgumentException($"FromFloat32 stores F32, BF16 or F16, not {target}", nameof(target));
            }
            var tensor = new Tensor(name, target, shape, bytes);
            tensor.Check();
            return tensor;
        }

        internal long ByteCount => Data.Length;

        internal void Check()
        {
            if (string.IsNullOrEmpty(Name) || Name == "__metadata__")
                throw new ArgumentException($"invalid tensor name \"{Name}\"");
            long count = 1;
            foreach (long d in Shape)
            {
                if (d < 0) throw new ArgumentException($"tensor '{Name}' has a negative dimension in {TensorInfo.FormatShape(Shape)}");
                count = checked(count * d);
            }
            long expected = checked(count * DType.ElementSize());
            if (Data.Length != expected)
                throw new ArgumentException(
                    $"tensor '{Name}' shape {TensorInfo.FormatShape(Shape)} of {DType} needs {expected} bytes, data has {Data.Length}");
        }
    }

    public static void Write(string path, IEnumerable<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = Validated(tensors);
        WriteAtomically(path, stream => WriteFile(stream, list, metadata));
    }

    // Shards of at most maxShardBytes of tensor data (a larger tensor gets a shard of its own), named
    // model-0000k-of-0000n.safetensors, plus model.safetensors.index.json. Returns the shard paths.
    public static IReadOnlyList<string> WriteSharded(string directory, IEnumerable<Tensor> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        var list = Validated(tensors);
        var shards = new List<List<Tensor>> { new() };
        long used = 0;
        foreach (var t in list)
        {
            if (shards[^1].Count > 0 && used + t.ByteCount > maxShardBytes) { shards.Add([]); used = 0; }
            shards[^1].Add(t);
            used += t.ByteCount;
        }

        var paths = new List<string>();
        var weightMap = new List<(string Tensor, string File)>();
        for (int k = 0; k < shards.Count; k++)
        {
            string fileName = $"model-{k + 1:D5}-of-{shards.Count:D5}.safetensors";
            string path = Path.Combine(directory, fileName);
            var shard = shards[k];
            WriteAtomically(path, stream => WriteFile(stream, shard, metadata));
            paths.Add(path);
            weightMap.AddRange(shard.Select(t => (t.Name, fileName)));
        }
        long totalSize = list.Sum(t => t.ByteCount);
        WriteAtomically(Path.Combine(directory, "model.safetensors.index.json"), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalSize);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (tensor, file) in weightMap) json.WriteString(tensor, file);
            json.WriteEndObject();
            json.WriteEndObject();
        });
        return paths;
    }

    static List<Tensor> Validated(IEnumerable<Tensor> tensors)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            t.Check();
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor '{t.Name}' is given twice");
        }
        return list;
    }

    static void WriteFile(Stream stream, List<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var ordered = tensors.OrderByDescending(t => t.DType.ElementSize()).ToList();   // stable
        byte[] header = Header(ordered, metadata);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var t in ordered) stream.Write(t.Data.Span);
    }

    // JSON header, padded with spaces to a multiple of 8. "format": "pt" is added to the metadata when
    // absent, because transformers refuses a safetensors file whose metadata lacks it.
    static byte[] Header(List<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            if (metadata == null || !metadata.ContainsKey("format")) json.WriteString("format", "pt");
            foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.SafetensorsName());
                json.WriteStartArray("shape");
                foreach (long d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.ByteCount);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.ByteCount;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    // Write to "<dir>/.<name>.<random>.tmp", flush to disk, then rename over the target.
    static void WriteAtomically(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        System.IO.Directory.CreateDirectory(dir);
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
