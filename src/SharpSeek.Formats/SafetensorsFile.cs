// One .safetensors file, memory-mapped read-only. Layout: u64 little-endian header length N, N bytes of
// JSON header (SafetensorsHeader), then the data section. Tensor bytes are spans/pointers into the map —
// nothing is copied. The header is validated fully in Open; a file that opens has every tensor in range.
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace SharpSeek.Formats;

public sealed unsafe class SafetensorsFile : IDisposable
{
    readonly MemoryMappedFile map;
    readonly MemoryMappedViewAccessor view;
    byte* basePointer;

    public string Path { get; }
    public long Length { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    SafetensorsFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer,
        SafetensorsHeader.Parsed header)
    {
        Path = path;
        Length = length;
        this.map = map;
        this.view = view;
        this.basePointer = basePointer;
        Metadata = header.Metadata;
        Tensors = header.Tensors;
    }

    public static SafetensorsFile Open(string path)
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
            if (length < 8)
                throw CheckpointException.At(path, "header length",
                    $"file is {length} bytes, shorter than the 8-byte header length; it is truncated or not a safetensors file");
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(p, 8));
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
                throw CheckpointException.At(path, "header length",
                    $"header length {headerLength} is over the {SafetensorsHeader.MaxHeaderBytes}-byte limit; the file is corrupt or not a safetensors file");
            if ((long)headerLength > length - 8)
                throw CheckpointException.At(path, "header length",
                    $"header length {headerLength} runs past the end of the file ({length} bytes); the file is truncated");

            long dataStart = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(path, new ReadOnlySpan<byte>(p + 8, (int)headerLength), dataStart, length - dataStart);
            return new SafetensorsFile(path, length, map, view, p, header);
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

    public bool Contains(string name) => Tensors.ContainsKey(name);

    public TensorInfo Info(string name) =>
        Tensors.TryGetValue(name, out var info) ? info
            : throw CheckpointException.At(Path, name, $"tensor '{name}' not found ({Tensors.Count} tensors in this file)");

    // The tensor's bytes. Tensors over 2 GiB do not fit a span: use Pointer.
    public ReadOnlySpan<byte> Bytes(string name)
    {
        var info = Info(name);
        if (info.Length > int.MaxValue)
            throw CheckpointException.At(Path, name, $"tensor '{name}' is {info.Length} bytes, too large for a span; use Pointer()");
        return new ReadOnlySpan<byte>(Pointer(info), (int)info.Length);
    }

    public byte* Pointer(string name) => Pointer(Info(name));

    internal byte* Pointer(TensorInfo info)
    {
        ObjectDisposedException.ThrowIf(basePointer == null, this);
        return basePointer + info.Offset;
    }

    public void Dispose()
    {
        if (basePointer == null) return;
        basePointer = null;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map.Dispose();
    }

    public override string ToString() => $"{Path} ({Tensors.Count} tensors)";
}
