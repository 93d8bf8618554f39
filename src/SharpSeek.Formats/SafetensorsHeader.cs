// Parses and validates the JSON header of a safetensors file:
//   { "__metadata__": { "k": "v", … }, "<name>": { "dtype": "BF16", "shape": [r, c], "data_offsets": [b, e] }, … }
// data_offsets are relative to the data section (after the 8-byte length and the header). Every check
// throws CheckpointException naming the file and the tensor or key; arithmetic is on long with explicit
// overflow checks, so hostile numbers cannot wrap. Gaps between tensors are allowed; overlaps are not.
using System.Text.Json;
using System.Text.Unicode;

namespace SharpSeek.Formats;

internal static class SafetensorsHeader
{
    public const long MaxHeaderBytes = 100_000_000;
    const int MaxJsonDepth = 16;
    const string MetadataKey = "__metadata__";

    public sealed record Parsed(Dictionary<string, string> Metadata, Dictionary<string, TensorInfo> Tensors);

    public static Parsed Parse(string file, ReadOnlySpan<byte> json, long dataStart, long dataLength)
    {
        if (!Utf8.IsValid(json))
            throw CheckpointException.At(file, "header", "header is not valid UTF-8; the file is corrupt or not a safetensors file");

        using var doc = ParseJson(file, json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw CheckpointException.At(file, "header", $"header must be a JSON object, found {Describe(root)}");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        bool sawMetadata = false;
        foreach (var entry in root.EnumerateObject())
        {
            if (entry.Name == MetadataKey)
            {
                if (sawMetadata) throw CheckpointException.At(file, MetadataKey, "header has \"__metadata__\" twice");
                sawMetadata = true;
                ReadMetadata(file, entry.Value, metadata);
                continue;
            }
            if (tensors.ContainsKey(entry.Name))
                throw CheckpointException.At(file, entry.Name, $"tensor '{entry.Name}' appears twice in the header");
            tensors.Add(entry.Name, ReadTensor(file, entry.Name, entry.Value, dataStart, dataLength));
        }
        CheckNoOverlap(file, tensors.Values, dataStart);
        return new Parsed(metadata, tensors);
    }

    static JsonDocument ParseJson(string file, ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxJsonDepth });
        try
        {
            var doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read())   // anything but trailing whitespace after the object is an error
            {
                doc.Dispose();
                throw CheckpointException.At(file, "header", $"header has extra JSON after the object (at byte {reader.TokenStartIndex})");
            }
            return doc;
        }
        catch (JsonException e)
        {
            throw CheckpointException.At(file, "header", $"header is not valid JSON: {e.Message}", e);
        }
    }

    static void ReadMetadata(string file, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw CheckpointException.At(file, MetadataKey, $"\"__metadata__\" must be an object of strings, found {Describe(value)}");
        foreach (var kv in value.EnumerateObject())
        {
            if (kv.Value.ValueKind != JsonValueKind.String)
                throw CheckpointException.At(file, MetadataKey,
                    $"\"__metadata__\" value for \"{kv.Name}\" must be a string, found {Describe(kv.Value)}");
            if (!metadata.TryAdd(kv.Name, kv.Value.GetString()!))
                throw CheckpointException.At(file, MetadataKey, $"\"__metadata__\" has the key \"{kv.Name}\" twice");
        }
    }

    static TensorInfo ReadTensor(string file, string name, JsonElement value, long dataStart, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw CheckpointException.At(file, name, $"tensor '{name}' must be an object with dtype, shape and data_offsets, found {Describe(value)}");

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in value.EnumerateObject())
        {
            if (p.Name is not ("dtype" or "shape" or "data_offsets")) continue;   // other keys are ignored, as the Rust crate does
            if (!fields.TryAdd(p.Name, p.Value))
                throw CheckpointException.At(file, name, $"tensor '{name}' has \"{p.Name}\" twice");
        }
        if (!fields.TryGetValue("dtype", out var dt)) throw Missing(file, name, "dtype");
        if (!fields.TryGetValue("shape", out var sh)) throw Missing(file, name, "shape");
        if (!fields.TryGetValue("data_offsets", out var of)) throw Missing(file, name, "data_offsets");

        if (dt.ValueKind != JsonValueKind.String)
            throw CheckpointException.At(file, name, $"tensor '{name}' dtype must be a string, found {Describe(dt)}");
        string dtypeName = dt.GetString()!;
        if (!DTypes.TryParse(dtypeName, out var dtype))
            throw CheckpointException.At(file, name, $"tensor '{name}' has unknown dtype \"{dtypeName}\" (supported: {DTypes.SupportedNames})");

        long[] shape = ReadNonNegativeInts(file, name, "shape", sh);
        long[] offsets = ReadNonNegativeInts(file, name, "data_offsets", of);
        if (offsets.Length != 2)
            throw CheckpointException.At(file, name, $"tensor '{name}' data_offsets must be [begin, end], found {offsets.Length} numbers");
        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw CheckpointException.At(file, name, $"tensor '{name}' data_offsets [{begin}, {end}] begin after they end");
        if (end > dataLength)
            throw CheckpointException.At(file, name,
                $"tensor '{name}' data_offsets [{begin}, {end}] exceed the data section ({dataLength} bytes); the file is truncated or the header is wrong");

        long length = end - begin;
        if (!TryByteCount(shape, dtype.ElementSize(), out long expected) || expected != length)
            throw CheckpointException.At(file, name,
                $"tensor '{name}' shape {TensorInfo.FormatShape(shape)} of {dtype} needs " +
                (expected < 0 ? "more bytes than a file can hold" : $"{expected} bytes") +
                $", but data_offsets [{begin}, {end}] hold {length} bytes");

        return new TensorInfo(name, dtype, shape, file, dataStart + begin, length);
    }

    static CheckpointException Missing(string file, string name, string key) =>
        CheckpointException.At(file, name, $"tensor '{name}' is missing \"{key}\"");

    static long[] ReadNonNegativeInts(string file, string name, string key, JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array)
            throw CheckpointException.At(file, name, $"tensor '{name}' {key} must be an array of integers, found {Describe(array)}");
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
                throw CheckpointException.At(file, name,
                    $"tensor '{name}' {key}[{i}] must be a non-negative integer, found {Describe(item)}");
            values[i++] = v;
        }
        return values;
    }

    // Product of dims × element size without overflow; false (bytes = -1) if it does not fit in a long.
    static bool TryByteCount(long[] shape, int elementSize, out long bytes)
    {
        bytes = elementSize;
        if (Array.IndexOf(shape, 0L) >= 0) { bytes = 0; return true; }
        foreach (long d in shape)
        {
            if (bytes > long.MaxValue / d) { bytes = -1; return false; }
            bytes *= d;
        }
        return true;
    }

    static void CheckNoOverlap(string file, IEnumerable<TensorInfo> tensors, long dataStart)
    {
        TensorInfo? previous = null;
        foreach (var t in tensors.Where(t => t.Length > 0).OrderBy(t => t.Offset).ThenBy(t => t.Length))
        {
            if (previous != null && t.Offset < previous.Offset + previous.Length)
                throw CheckpointException.At(file, t.Name,
                    $"tensors '{previous.Name}' {Range(previous, dataStart)} and '{t.Name}' {Range(t, dataStart)} overlap");
            previous = t;
        }
    }

    static string Range(TensorInfo t, long dataStart) => $"data_offsets [{t.Offset - dataStart}, {t.Offset - dataStart + t.Length}]";

    static string Describe(JsonElement e)
    {
        string text = e.GetRawText();
        if (text.Length > 40) text = text[..40] + "…";
        return e.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ => text,
        };
    }
}
