// Turns the typed errors of the lower layers into one clear line on stderr and exit code 1 (never a stack trace).
using SharpSeek.Formats;
using SharpSeek.Model;
using SharpSeek.Tokenizers;

namespace SharpSeek.Cli.Verbs;

public static class CliErrors
{
    public static int Run(Func<int> action)
    {
        try { return action(); }
        catch (Exception e) when (e is CheckpointException or ConfigException or ShapeMismatchException
                                    or ArgumentException or InvalidOperationException or IOException or FormatException
                                    or UnauthorizedAccessException or System.Text.Json.JsonException or TokenizerException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    /// <summary>"1,2, 3" → [1, 2, 3]; a clear error for anything else.</summary>
    public static int[] ParseIds(string text)
    {
        var parts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out ids[i]) || ids[i] < 0)
                throw new ArgumentException($"--ids: '{parts[i]}' is not a non-negative integer token id");
        if (ids.Length == 0) throw new ArgumentException("--ids: give at least one token id, e.g. --ids 1,2,3");
        return ids;
    }
}
