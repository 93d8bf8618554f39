// JSON Schema → grammar expression (the subset OpenAI structured outputs use, plus $ref recursion).
// Supported: type (one or a list), properties (emitted in schema order; required ones mandatory, optional ones
// skippable), required, additionalProperties (false / true / a schema), items, minItems, maxItems, enum, const,
// minLength, maxLength, anyOf / oneOf (alternatives; oneOf's exclusivity is not enforced), allOf of one schema,
// $ref to any local JSON pointer ("#", "#/$defs/X", "#/definitions/X"). Annotations are ignored. Any other keyword
// is a SchemaException naming it and its path. The grammar may produce fewer documents than the schema allows
// (fixed property order; no extra properties beside listed ones) but never one the schema rejects.
// Without "type", the type is inferred from the keywords present (properties → object, items → array, ...).
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharpSeek.Engine.Constrained;

internal sealed class JsonSchemaGrammar
{
    /// <summary>Largest count (minItems, maxItems, minLength, maxLength) compiled; each unit is a grammar rule.</summary>
    public const int MaxBound = 10_000;

    static readonly HashSet<string> Annotations = ["title", "description", "default", "examples", "format", "$schema", "$id",
        "$comment", "strict", "deprecated", "readOnly", "writeOnly", "contentEncoding", "contentMediaType", "$defs", "definitions"];
    static readonly HashSet<string> Keywords = ["type", "properties", "required", "additionalProperties", "items", "minItems",
        "maxItems", "enum", "const", "minLength", "maxLength", "anyOf", "oneOf", "allOf", "$ref"];
    static readonly string[] AllTypes = ["object", "array", "string", "number", "integer", "boolean", "null"];
    static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    readonly GrammarBuilder _b;
    readonly JsonRules _j;
    readonly JsonElement _root;
    readonly string _prefix;
    readonly Dictionary<string, RuleExpr> _refs = [];
    int _refNesting;

    public JsonSchemaGrammar(GrammarBuilder b, JsonElement root)
    {
        _b = b;
        _j = JsonGrammar.Rules(b);
        _root = root;
        _prefix = $"schema{++b.JsonSchemas}";
    }

    public Expr Root()
    {
        var root = Schema(_root, "$");
        try { _b.Build(root); } // a $ref cycle that consumes nothing is left recursion; report it as a schema error
        catch (GrammarException e) { throw new SchemaException($"the schema recurses through $ref without any JSON structure in between: {e.Message}", "$", "$ref"); }
        return root;
    }

    Expr Schema(JsonElement s, string path)
    {
        if (s.ValueKind == JsonValueKind.True) return _j.Value;
        if (s.ValueKind == JsonValueKind.False) throw new SchemaException($"the schema at {path} is false: no value matches it", path, null);
        if (s.ValueKind != JsonValueKind.Object) throw new SchemaException($"the schema at {path} must be an object or a boolean, not {Kind(s)}", path, null);
        foreach (var p in s.EnumerateObject())
            if (!Keywords.Contains(p.Name) && !Annotations.Contains(p.Name))
                throw new SchemaException($"JSON Schema keyword '{p.Name}' at {path} is not supported", path, p.Name);

        if (s.TryGetProperty("$ref", out var r))
        {
            Alone(s, "$ref", path);
            if (r.ValueKind != JsonValueKind.String) throw new SchemaException($"'$ref' at {path} must be a string", path, "$ref");
            return Ref(r.GetString()!, path);
        }
        foreach (var key in (string[])["anyOf", "oneOf"])
            if (s.TryGetProperty(key, out var alts))
            {
                Alone(s, key, path);
                var list = Schemas(alts, key, path);
                return Expr.Choice(list.Select((a, i) => Schema(a, $"{path}.{key}[{i}]")).ToArray());
            }
        if (s.TryGetProperty("allOf", out var all))
        {
            Alone(s, "allOf", path);
            var list = Schemas(all, "allOf", path);
            if (list.Count != 1) throw new SchemaException($"'allOf' at {path} has {list.Count} schemas; only a single one is supported", path, "allOf");
            return Schema(list[0], $"{path}.allOf[0]");
        }

        var types = Types(s, path);
        if (s.TryGetProperty("const", out var c)) return Values([c], types, "const", path);
        if (s.TryGetProperty("enum", out var e))
        {
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0) throw new SchemaException($"'enum' at {path} must be a non-empty array", path, "enum");
            return Values([.. e.EnumerateArray()], types, "enum", path);
        }
        if (types.Contains("number")) types.Remove("integer");
        return Expr.Choice(types.Select(t => t switch
        {
            "object" => Object(s, path),
            "array" => Array(s, path),
            "string" => String(s, path),
            "number" => _j.Number,
            "integer" => _j.Integer,
            "boolean" => Expr.Choice(Expr.Literal("true"), Expr.Literal("false")),
            _ => Expr.Literal("null"),
        }).ToArray());
    }

    List<string> Types(JsonElement s, string path)
    {
        if (!s.TryGetProperty("type", out var t))
        {
            var inferred = new List<string>();
            if (Has(s, "properties", "required", "additionalProperties")) inferred.Add("object");
            if (Has(s, "items", "minItems", "maxItems")) inferred.Add("array");
            if (Has(s, "minLength", "maxLength")) inferred.Add("string");
            return inferred.Count > 0 ? inferred : [.. AllTypes];
        }
        var names = t.ValueKind == JsonValueKind.String ? [t]
            : t.ValueKind == JsonValueKind.Array && t.GetArrayLength() > 0 ? t.EnumerateArray().ToList()
            : throw new SchemaException($"'type' at {path} must be a type name or a non-empty array of them", path, "type");
        var types = new List<string>();
        foreach (var n in names)
        {
            if (n.ValueKind != JsonValueKind.String || !AllTypes.Contains(n.GetString()))
                throw new SchemaException($"'type' at {path}: {n.GetRawText()} is not one of {string.Join(", ", AllTypes)}", path, "type");
            if (!types.Contains(n.GetString()!)) types.Add(n.GetString()!);
        }
        return types;
    }

    // const / enum: each allowed value written as compact JSON
    Expr Values(List<JsonElement> values, List<string> types, string keyword, string path)
    {
        var kept = values.Where(v => types.Contains(TypeOf(v)) || (TypeOf(v) == "integer" && types.Contains("number"))).ToList();
        if (kept.Count == 0) throw new SchemaException($"no '{keyword}' value at {path} has the type {string.Join(" or ", types)}", path, keyword);
        return Expr.Choice(kept.Select(v => (Expr)new LiteralExpr(CompactJson(v))).ToArray());
    }

    Expr Object(JsonElement s, string path)
    {
        var props = new List<(string Name, JsonElement Schema)>();
        if (s.TryGetProperty("properties", out var p))
        {
            if (p.ValueKind != JsonValueKind.Object) throw new SchemaException($"'properties' at {path} must be an object", path, "properties");
            foreach (var x in p.EnumerateObject()) props.Add((x.Name, x.Value));
        }
        var required = new List<string>();
        if (s.TryGetProperty("required", out var req))
        {
            if (req.ValueKind != JsonValueKind.Array || req.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                throw new SchemaException($"'required' at {path} must be an array of property names", path, "required");
            required = req.EnumerateArray().Select(x => x.GetString()!).Distinct().ToList();
        }
        JsonElement? extra = null;                 // additionalProperties: null = allowed (any value)
        bool closed = false;
        if (s.TryGetProperty("additionalProperties", out var ap))
        {
            if (ap.ValueKind == JsonValueKind.False) closed = true;
            else if (ap.ValueKind == JsonValueKind.Object) extra = ap;
            else if (ap.ValueKind != JsonValueKind.True)
                throw new SchemaException($"'additionalProperties' at {path} must be a boolean or a schema", path, "additionalProperties");
        }

        var members = new List<(Expr Member, bool Required)>();
        foreach (var (name, schema) in props)
        {
            bool isRequired = required.Contains(name);
            if (schema.ValueKind == JsonValueKind.False && !isRequired) continue; // may never appear: never emitted
            members.Add((Member(name, Schema(schema, Child(Child(path, "properties"), name))), isRequired));
        }
        foreach (var name in required.Where(n => props.All(x => x.Name != n)))
        {
            if (closed) throw new SchemaException($"required property '{name}' at {path} is not in 'properties' and additionalProperties is false", path, "required");
            var value = extra is { } x ? Schema(x, $"{path}.additionalProperties") : _j.Value;
            members.Add((Member(name, value), true));
        }
        if (members.Count == 0)
            return closed ? Expr.Seq(Expr.Literal("{"), _j.Ws, Expr.Literal("}"))
                : extra is { } x ? _j.ObjectOf(_j.String, Schema(x, $"{path}.additionalProperties"))
                : _j.Object;

        // first[i]: members i.. when none has been written yet; rest[i]: members i.. after one (so each starts with a comma)
        Expr first = Expr.Empty, rest = Expr.Empty;
        for (int i = members.Count - 1; i >= 0; i--)
        {
            var (member, isRequired) = members[i];
            var withComma = Expr.Seq(Expr.Literal(","), _j.Ws, member, rest);
            var nextFirst = Expr.Seq(member, rest);
            rest = _b.Rule($"{_prefix}{path}.rest{i}", isRequired ? withComma : Expr.Choice(withComma, rest));
            first = _b.Rule($"{_prefix}{path}.first{i}", isRequired ? nextFirst : Expr.Choice(nextFirst, first));
        }
        return Expr.Seq(Expr.Literal("{"), _j.Ws, first, Expr.Literal("}"));
    }

    Expr Member(string name, Expr value)
    {
        var key = new LiteralExpr(CompactJson(JsonSerializer.SerializeToElement(name)));
        return Expr.Seq(key, _j.Ws, Expr.Literal(":"), _j.Ws, value, _j.Ws);
    }

    Expr Array(JsonElement s, string path)
    {
        Expr item = _j.Value;
        int min = Count(s, "minItems", 0, path), max = Count(s, "maxItems", -1, path);
        if (s.TryGetProperty("items", out var items))
        {
            if (items.ValueKind == JsonValueKind.Array) throw new SchemaException($"'items' at {path} is an array (tuple validation), which is not supported", path, "items");
            if (items.ValueKind == JsonValueKind.False) max = 0;
            else item = Schema(items, $"{path}.items");
        }
        if (max >= 0 && max < min) throw new SchemaException($"maxItems {max} < minItems {min} at {path}", path, "maxItems");
        return _j.ArrayOf(item, min, max);
    }

    Expr String(JsonElement s, string path)
    {
        int min = Count(s, "minLength", 0, path), max = Count(s, "maxLength", -1, path);
        if (max >= 0 && max < min) throw new SchemaException($"maxLength {max} < minLength {min} at {path}", path, "maxLength");
        return min == 0 && max < 0 ? _j.String : _j.StringOf(min, max);
    }

    Expr Ref(string reference, string path)
    {
        const int MaxRefNesting = 256;               // $refs being compiled inside each other (bounds the recursion)
        if (_refs.TryGetValue(reference, out var rule)) return rule;
        if (_refNesting == MaxRefNesting) throw new SchemaException($"$ref '{reference}' at {path} nests more than {MaxRefNesting} $refs deep", path, "$ref");
        var (target, targetPath) = Resolve(reference, path);
        rule = _b.Rule($"{_prefix}{reference}");
        _refs[reference] = rule;                    // before its body: the body may refer to it
        _refNesting++;
        _b.Define(rule, Schema(target, targetPath));
        _refNesting--;
        return rule;
    }

    // a local reference: "#" or "#/" followed by a JSON pointer (RFC 6901) into the root schema
    (JsonElement, string) Resolve(string reference, string path)
    {
        if (reference != "#" && !reference.StartsWith("#/"))
            throw new SchemaException($"$ref '{reference}' at {path} is not a local reference (\"#/$defs/Name\")", path, "$ref");
        var node = _root;
        var nodePath = "$";
        foreach (var raw in reference == "#" ? [] : reference[2..].Split('/'))
        {
            var seg = raw.Replace("~1", "/").Replace("~0", "~");
            if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(seg, out var child)) { node = child; nodePath = Child(nodePath, seg); }
            else if (node.ValueKind == JsonValueKind.Array && int.TryParse(seg, out int i) && i >= 0 && i < node.GetArrayLength()) { node = node[i]; nodePath += $"[{i}]"; }
            else throw new SchemaException($"$ref '{reference}' at {path} does not resolve: {nodePath} has no '{seg}'", path, "$ref");
        }
        return (node, nodePath);
    }

    // ---------------------------------------------------------------- helpers

    static int Count(JsonElement s, string key, int absent, string path)
    {
        if (!s.TryGetProperty(key, out var v)) return absent;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out var d) || d < 0 || d != decimal.Truncate(d))
            throw new SchemaException($"'{key}' at {path} must be a non-negative integer", path, key);
        if (d > MaxBound) throw new SchemaException($"'{key}' {d} at {path} is above the supported limit {MaxBound}", path, key);
        return (int)d;
    }

    static List<JsonElement> Schemas(JsonElement list, string key, string path) =>
        list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0 ? list.EnumerateArray().ToList()
        : throw new SchemaException($"'{key}' at {path} must be a non-empty array of schemas", path, key);

    // $ref / anyOf / oneOf / allOf: any sibling that constrains the value is an error (annotations are fine)
    static void Alone(JsonElement s, string keyword, string path)
    {
        foreach (var p in s.EnumerateObject())
            if (p.Name != keyword && !Annotations.Contains(p.Name))
                throw new SchemaException($"'{p.Name}' beside '{keyword}' at {path} is not supported (move it into the referenced or listed schemas)", path, p.Name);
    }

    static bool Has(JsonElement s, params string[] keys) => keys.Any(k => s.TryGetProperty(k, out _));

    static string TypeOf(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => IsIntegral(v) ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    static bool IsIntegral(JsonElement v) => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d) && d == Math.Floor(d);

    static string Kind(JsonElement v) => v.ValueKind.ToString().ToLowerInvariant();

    static byte[] CompactJson(JsonElement v)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Compact)) v.WriteTo(w);
        return ms.ToArray();
    }

    static string Child(string path, string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or '$') && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_' || ch == '$')
            ? $"{path}.{name}" : $"{path}['{name.Replace("'", "\\'")}']";
}
