// JSONL datasets of {"prompt": "...", "answer": ...} rows (answer a string or a number; other fields are ignored).
// A row's verifier compares numerically when the reference answer is a number ("0.5" = "1/2" = ".50"), otherwise by
// text with whitespace collapsed and case ignored; "\boxed{…}" is unwrapped on both sides.
using System.Text.Json;

namespace SharpSeek.Reasoning;

public sealed record ReferenceProblem(string Prompt, string Answer) : Problem("jsonl", Prompt, Answer)
{
    public override string Key => "jsonl:" + Prompt;

    public override bool Check(string answer)
    {
        if (Answers.Number(Answer) is { } reference) return Answers.Number(answer) is { } v && v == reference;
        return Answers.TextKey(answer) is { } key && key == Answers.TextKey(Answer);
    }
}

/// <summary>A malformed dataset: the message names the file and the line.</summary>
public sealed class DatasetException(string message, Exception? inner = null) : FormatException(message, inner);

public static class Dataset
{
    public static List<ReferenceProblem> ReadJsonl(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"dataset {path} does not exist", path);
        using var reader = new StreamReader(path);
        return ReadJsonl(reader, path);
    }

    public static List<ReferenceProblem> ReadJsonl(TextReader reader, string name)
    {
        var rows = new List<ReferenceProblem>();
        int lineNo = 0;
        for (string? line; (line = reader.ReadLine()) is not null;)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{name}:{lineNo}";
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new DatasetException($"{where}: not valid JSON ({e.Message})", e); }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new DatasetException($"{where}: expected an object {{\"prompt\":..,\"answer\":..}}, found {root.ValueKind.ToString().ToLowerInvariant()}");
                if (!root.TryGetProperty("prompt", out var prompt)) throw new DatasetException($"{where}: missing \"prompt\"");
                if (prompt.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(prompt.GetString()))
                    throw new DatasetException($"{where}: \"prompt\" must be a non-empty string");
                if (!root.TryGetProperty("answer", out var answer)) throw new DatasetException($"{where}: missing \"answer\"");
                string answerText = answer.ValueKind switch
                {
                    JsonValueKind.String when !string.IsNullOrWhiteSpace(answer.GetString()) => answer.GetString()!,
                    JsonValueKind.Number => answer.TryGetDecimal(out var d) ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : answer.GetRawText(),
                    _ => throw new DatasetException($"{where}: \"answer\" must be a non-empty string or a number, found {answer.ValueKind.ToString().ToLowerInvariant()}"),
                };
                rows.Add(new ReferenceProblem(prompt.GetString()!, answerText));
            }
        }
        if (rows.Count == 0) throw new DatasetException($"{name}: no rows (expected one {{\"prompt\":..,\"answer\":..}} object per line)");
        return rows;
    }
}
