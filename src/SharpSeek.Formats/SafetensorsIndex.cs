// model.safetensors.index.json of a sharded Hugging Face checkpoint:
//   { "metadata": { "total_size": … }, "weight_map": { "<tensor>": "model-00001-of-00002.safetensors", … } }
// Parsed into tensor → shard file name, with shard names checked to be plain files beside the index.
using System.Text.Json;

namespace SharpSeek.Formats;

internal static class SafetensorsIndex
{
    public const string FileName = "model.safetensors.index.json";
    const long MaxIndexBytes = 100_000_000;

    // tensor name → shard file name, in file order.
    public static List<KeyValuePair<string, string>> ReadWeightMap(string indexPath)
    {
        byte[] bytes = ReadBounded(indexPath);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw CheckpointException.At(indexPath, null, $"not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw CheckpointException.At(indexPath, null, "must be a JSON object with a \"weight_map\"");
            if (!doc.RootElement.TryGetProperty("weight_map", out var weightMap))
                throw CheckpointException.At(indexPath, "weight_map", "has no \"weight_map\"");
            if (weightMap.ValueKind != JsonValueKind.Object)
                throw CheckpointException.At(indexPath, "weight_map", "\"weight_map\" must be an object of tensor name → shard file");

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var entries = new List<KeyValuePair<string, string>>();
            foreach (var entry in weightMap.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw CheckpointException.At(indexPath, entry.Name, $"weight_map entry for '{entry.Name}' must be a file name string");
                if (!seen.Add(entry.Name))
                    throw CheckpointException.At(indexPath, entry.Name, $"weight_map lists '{entry.Name}' twice");
                string shard = entry.Value.GetString()!;
                if (!IsPlainFileName(shard))
                    throw CheckpointException.At(indexPath, entry.Name,
                        $"weight_map puts '{entry.Name}' in \"{shard}\", which is not a file name beside the index");
                entries.Add(new(entry.Name, shard));
            }
            return entries;
        }
    }

    static byte[] ReadBounded(string path)
    {
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxIndexBytes)
                throw CheckpointException.At(path, null, $"is {length} bytes, over the {MaxIndexBytes}-byte limit for an index");
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CheckpointException.At(path, null, $"cannot read: {e.Message}", e);
        }
    }

    static bool IsPlainFileName(string name) =>
        name.Length > 0 && name == Path.GetFileName(name) && name != "." && name != ".." &&
        name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;
}
