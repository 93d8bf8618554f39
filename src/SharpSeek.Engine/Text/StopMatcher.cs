// Stop strings over a stream of text chunks: text is released only once it cannot be the start of a stop
// string; on a match the text before it is released and generation ends (the stop string itself is not
// returned, as OpenAI does).
namespace SharpSeek.Engine.Text;

public sealed class StopMatcher(IReadOnlyList<string> stops)
{
    string pending = "";

    public bool Stopped { get; private set; }

    /// <summary>Returns the text that is safe to emit now; sets <see cref="Stopped"/> when a stop string appeared.</summary>
    public string Push(string chunk)
    {
        if (Stopped) return "";
        if (stops.Count == 0) return chunk;
        string text = pending + chunk;
        int first = -1;
        foreach (var s in stops)
        {
            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (first < 0 || i < first)) first = i;
        }
        if (first >= 0) { Stopped = true; pending = ""; return text[..first]; }
        int hold = 0;
        foreach (var s in stops) hold = Math.Max(hold, ThinkSplitter.PartialSuffix(text, s));
        pending = text[^hold..];
        return text[..^hold];
    }

    public string Flush()
    {
        var rest = Stopped ? "" : pending;
        pending = "";
        return rest;
    }
}
