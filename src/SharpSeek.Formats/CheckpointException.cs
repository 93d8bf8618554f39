// The one error type for unreadable checkpoints: says which file, which field (tensor name or JSON key),
// and what is wrong in words a user can act on. Messages start with the file path.
namespace SharpSeek.Formats;

public class CheckpointException : Exception
{
    public string File { get; }
    public string? Field { get; }

    public CheckpointException(string file, string? field, string message, Exception? inner = null)
        : base(message, inner)
    {
        File = file;
        Field = field;
    }

    // "<file>: <detail>", the usual shape.
    internal static CheckpointException At(string file, string? field, string detail, Exception? inner = null) =>
        new(file, field, $"{file}: {detail}", inner);
}
