// A JSON Schema the grammar compiler cannot honour: an unsupported keyword or a malformed schema. Path is a JSON
// path into the schema ("$.properties.tags.items"); the server answers it as an OpenAI-style 400 invalid_request_error.
namespace SharpSeek.Engine.Constrained;

public sealed class SchemaException(string message, string path, string? keyword) : Exception(message)
{
    /// <summary>JSON path of the offending schema object, "$" being the root.</summary>
    public string Path { get; } = path;

    /// <summary>The keyword at fault, when one is.</summary>
    public string? Keyword { get; } = keyword;
}
