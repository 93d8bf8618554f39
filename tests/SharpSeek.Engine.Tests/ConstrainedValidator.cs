// A JSON Schema validator for the subset the grammar compiler supports: the oracle the random-walk tests check
// generated documents against (standard semantics: keywords apply to values of their type; oneOf = exactly one).
using System.Text;
using System.Text.Json;

namespace SharpSeek.Engine.Tests;

static class ConstrainedValidator
{
    public static bool Valid(JsonElement v, JsonElement s, JsonElement root)
    {
        if (s.ValueKind == JsonValueKind.True) return true;
        if (s.ValueKind == JsonValueKind.False) return false;
        if (s.TryGetProperty("$ref", out var r)) return Valid(v, Resolve(root, r.GetString()!), root);
        if (s.TryGetProperty("anyOf", out var any) && !any.EnumerateArray().Any(x => Valid(v, x, root))) return false;
        if (s.TryGetProperty("oneOf", out var one) && one.EnumerateArray().Count(x => Valid(v, x, root)) != 1) return false;
        if (s.TryGetProperty("allOf", out var all) && !all.EnumerateArray().All(x => Valid(v, x, root))) return false;
        if (s.TryGetProperty("const", out var c) && !Same(v, c)) return false;
        if (s.TryGetProperty("enum", out var e) && !e.EnumerateArray().Any(x => Same(v, x))) return false;
        if (s.TryGetProperty("type", out var t))
        {
            var types = t.ValueKind == JsonValueKind.String ? [t.GetString()!] : t.EnumerateArray().Select(x => x.GetString()!).ToList();
            if (!types.Any(ty => HasType(v, ty))) return false;
        }
        switch (v.ValueKind)
        {
            case JsonValueKind.Object:
                var props = s.TryGetProperty("properties", out var p) ? p : default;
                if (s.TryGetProperty("required", out var req) && req.EnumerateArray().Any(n => !v.TryGetProperty(n.GetString()!, out _))) return false;
                foreach (var m in v.EnumerateObject())
                {
                    if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty(m.Name, out var ps)) { if (!Valid(m.Value, ps, root)) return false; }
                    else if (s.TryGetProperty("additionalProperties", out var ap) && !Valid(m.Value, ap, root)) return false;
                }
                return true;
            case JsonValueKind.Array:
                int n = v.GetArrayLength();
                if (s.TryGetProperty("minItems", out var mi) && n < mi.GetInt32()) return false;
                if (s.TryGetProperty("maxItems", out var ma) && n > ma.GetInt32()) return false;
                return !s.TryGetProperty("items", out var items) || v.EnumerateArray().All(x => Valid(x, items, root));
            case JsonValueKind.String:
                int len = v.GetString()!.EnumerateRunes().Count();
                if (s.TryGetProperty("minLength", out var ml) && len < ml.GetInt32()) return false;
                return !s.TryGetProperty("maxLength", out var xl) || len <= xl.GetInt32();
            default:
                return true;
        }
    }

    static bool HasType(JsonElement v, string type) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d),
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => throw new ArgumentException(type),
    };

    static bool Same(JsonElement a, JsonElement b) => a.ValueKind == b.ValueKind && a.ValueKind switch
    {
        JsonValueKind.Number => a.GetDouble() == b.GetDouble(),
        JsonValueKind.String => a.GetString() == b.GetString(),
        JsonValueKind.Array => a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(x => Same(x.First, x.Second)),
        JsonValueKind.Object => a.EnumerateObject().Count() == b.EnumerateObject().Count()
                                && a.EnumerateObject().All(m => b.TryGetProperty(m.Name, out var o) && Same(m.Value, o)),
        _ => true,
    };

    static JsonElement Resolve(JsonElement root, string reference)
    {
        var node = root;
        if (reference == "#") return node;
        foreach (var seg in reference[2..].Split('/')) node = node.ValueKind == JsonValueKind.Array ? node[int.Parse(seg)] : node.GetProperty(seg.Replace("~1", "/").Replace("~0", "~"));
        return node;
    }

    /// <summary>Reads every string and property name (throws on invalid UTF-16, e.g. a lone surrogate escape).</summary>
    public static void ReadAllStrings(JsonElement v)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Object: foreach (var m in v.EnumerateObject()) { _ = m.Name; ReadAllStrings(m.Value); } break;
            case JsonValueKind.Array: foreach (var x in v.EnumerateArray()) ReadAllStrings(x); break;
            case JsonValueKind.String: _ = Encoding.UTF8.GetByteCount(v.GetString()!); break;
        }
    }
}
