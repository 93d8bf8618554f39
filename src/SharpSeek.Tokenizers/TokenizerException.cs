// The one error type of the tokenizer library. Messages name the file and the JSON path at fault, so a user can fix the input.
namespace SharpSeek.Tokenizers;

public class TokenizerException : Exception
{
    /// <summary>JSON path of the offending element (e.g. <c>$.pre_tokenizer.pretokenizers[2].type</c>), when known.</summary>
    public string? JsonPath { get; }

    public TokenizerException(string message, string? jsonPath = null, Exception? inner = null)
        : base(jsonPath is null ? message : $"{jsonPath}: {message}", inner) => JsonPath = jsonPath;
}
