// Test helpers: a temp folder that cleans itself up, and raw safetensors bytes built by hand so tests can
// write exactly the malformed header they need.
using System.Buffers.Binary;
using System.Text;
using SharpSeek.Formats;

namespace SharpSeek.Formats.Tests;

sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sharpseek-tests", Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, byte[] bytes)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

static class Raw
{
    // u64 length prefix + header text (as given, no padding) + data.
    public static byte[] File(string header, byte[] data) => File(Encoding.UTF8.GetBytes(header), data);

    public static byte[] File(string header, int dataBytes) => File(header, new byte[dataBytes]);

    public static byte[] File(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static byte[] WithLengthPrefix(ulong headerLength, byte[] rest)
    {
        var bytes = new byte[8 + rest.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        rest.CopyTo(bytes, 8);
        return bytes;
    }
}

static class Assertions
{
    // The error is a CheckpointException whose message names the file (by name) and, when given, the field.
    public static CheckpointException Throws(string file, string? field, Action action)
    {
        var e = Assert.Throws<CheckpointException>(action);
        Assert.Contains(System.IO.Path.GetFileName(file.TrimEnd('/')), e.Message);
        Assert.Equal(file, e.File);
        if (field != null)
        {
            Assert.Equal(field, e.Field);
            Assert.Contains(field, e.Message);
        }
        return e;
    }
}
