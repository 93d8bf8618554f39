// Separates tool calls from the answer in a stream of text chunks (after the <think> split): text before the
// format's opening marker is content; from the marker on, text is held until a call is complete and then
// released as a ToolCall. A tail that could still become the marker is held back, as ThinkSplitter does for tags.
// Text that does not parse as calls is never lost: it is released as content.
namespace SharpSeek.Engine.Text;

public readonly record struct ToolSplit(string Content, IReadOnlyList<ToolCall> Calls);

public sealed class ToolCallSplitter(ToolCallFormat format)
{
    string pending = "";
    bool inCalls, ended;
    readonly List<ToolCall> all = [];

    /// <summary>Every call parsed so far.</summary>
    public IReadOnlyList<ToolCall> Calls => all;

    /// <summary>The output has just written the opening marker, with nothing after it yet.</summary>
    public bool JustOpened => inCalls && !ended && all.Count == 0 && pending == format.CallsBegin;

    public ToolSplit Push(string chunk)
    {
        string text = pending + chunk;
        pending = "";
        if (ended) return new(text, []);
        string content = "";
        if (!inCalls)
        {
            int i = text.IndexOf(format.CallsBegin, StringComparison.Ordinal);
            if (i < 0)
            {
                int hold = ThinkSplitter.PartialSuffix(text, format.CallsBegin);
                pending = text[^hold..];
                return new(text[..^hold], []);
            }
            content = text[..i];
            text = text[i..];                          // the parser reads the marker too
            inCalls = true;
        }
        var calls = new List<ToolCall>();
        int pos = 0;
        while (true)
        {
            var step = format.Next(text, pos);
            if (step.Status == ParseStatus.Call) { calls.Add(step.Call!); pos += step.Consumed; continue; }
            if (step.Status == ParseStatus.NeedMore) { pending = text[pos..]; break; }
            ended = true;
            if (step.Status == ParseStatus.Ended) content += text[(pos + step.Consumed)..];
            else content += text[pos..];               // not calls after all
            break;
        }
        all.AddRange(calls);
        return new(content, calls);
    }

    /// <summary>End of stream: an unfinished call is released as text.</summary>
    public string Flush()
    {
        string rest = pending;
        pending = "";
        return inCalls && !ended && rest.Trim().Length == 0 ? "" : rest;
    }
}
