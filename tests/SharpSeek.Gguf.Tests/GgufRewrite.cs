// Test helper: copies a GGUF with edits (drop keys, set keys, swap tensors) to build the variants other
// writers produce (older/newer llama.cpp layouts, missing keys) from a file we converted.
using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors;

namespace SharpSeek.Gguf.Tests;

sealed class GgufEditor
{
    internal readonly List<KeyValuePair<string, GgufValue>> Metadata = [];
    internal readonly List<(string Name, GgmlType Type, long[] Shape, byte[] Data)> Tensors = [];

    public void Set(string key, string value)
    {
        int i = Metadata.FindIndex(kv => kv.Key == key);
        if (i >= 0) Metadata[i] = new(key, GgufValue.String(value)); else Metadata.Add(new(key, GgufValue.String(value)));
    }

    public void Remove(string tensor) => Tensors.RemoveAll(t => t.Name == tensor);

    /// <summary>Removes `remove` and puts `name` where the first of them was.</summary>
    public void Replace(string[] remove, string name, GgmlType type, long[] shape, float[] values)
    {
        int at = Tensors.FindIndex(t => remove.Contains(t.Name));
        Tensors.RemoveAll(t => remove.Contains(t.Name));
        Tensors.Insert(Math.Max(0, at), (name, type, shape, GgmlCodec.Encode(type, values)));
    }
}

static class GgufRewrite
{
    public static void Copy(string src, string dst, Func<string, bool>? dropKeys = null, Action<GgufEditor, GgufFile>? rewrite = null)
    {
        var e = new GgufEditor();
        int alignment;
        using (var f = GgufFile.Open(src))
        {
            alignment = f.Alignment;
            e.Metadata.AddRange(f.MetadataList.Where(kv => dropKeys?.Invoke(kv.Key) != true));
            foreach (var t in f.TensorList) e.Tensors.Add((t.Name, t.Type, t.Shape, f.Bytes(t.Name).ToArray()));
            rewrite?.Invoke(e, f);
        }
        var w = new GgufWriter { Alignment = alignment };
        foreach (var (k, v) in e.Metadata) w.Set(k, v);
        foreach (var t in e.Tensors) w.AddTensor(t.Name, t.Type, t.Shape, t.Data);
        w.Write(dst);
    }
}
