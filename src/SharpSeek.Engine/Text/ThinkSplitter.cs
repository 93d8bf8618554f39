// Separates R1-style reasoning from the answer in a stream of text chunks: text between <think> and </think>
// is reasoning, the rest is content. Tags may arrive split across chunks ("</th" + "ink>"): a chunk's tail that
// could still become a tag is held back until the next chunk decides it. R1's template ends the prompt with
// "<think>\n", so generation may start inside the reasoning (startInReasoning); otherwise a <think> at the very
// start of the output (after whitespace) opens it. Only one reasoning block is recognised, as R1 emits.
namespace SharpSeek.Engine.Text;

public readonly record struct SplitText(string Reasoning, string Content)
{
    public bool IsEmpty => Reasoning.Length == 0 && Content.Length == 0;
}

public sealed class ThinkSplitter
{
    public const string Open = "<think>", Close = "</think>";

    enum State { Start, Reasoning, Content }
    State state;
    string pending = "";
    bool reasoningStarted;           // leading newlines of the reasoning are dropped (R1 writes "<think>\n")
    bool contentStarted;             // leading whitespace of the answer is dropped ("</think>\n\n")

    public ThinkSplitter(bool startInReasoning) => state = startInReasoning ? State.Reasoning : State.Start;

    /// <summary>True while text goes to reasoning (also before a possible opening tag has been seen).</summary>
    public bool InReasoning => state == State.Reasoning;

    public SplitText Push(string chunk)
    {
        string text = pending + chunk;
        pending = "";
        string reasoning = "", content = "";
        while (text.Length > 0)
        {
            switch (state)
            {
                case State.Start:
                {
                    string trimmed = text.TrimStart();
                    if (trimmed.Length == 0) { pending = text; return Emit(reasoning, content); }
                    if (trimmed.StartsWith(Open, StringComparison.Ordinal)) { state = State.Reasoning; text = trimmed[Open.Length..]; continue; }
                    if (Open.StartsWith(trimmed, StringComparison.Ordinal)) { pending = text; return Emit(reasoning, content); }
                    state = State.Content;
                    continue;
                }
                case State.Reasoning:
                {
                    int i = text.IndexOf(Close, StringComparison.Ordinal);
                    if (i >= 0) { reasoning += text[..i]; text = text[(i + Close.Length)..]; state = State.Content; continue; }
                    int hold = PartialSuffix(text, Close);
                    reasoning += text[..^hold];
                    pending = text[^hold..];
                    return Emit(reasoning, content);
                }
                default:
                    content += text;
                    text = "";
                    break;
            }
        }
        return Emit(reasoning, content);
    }

    /// <summary>End of stream: whatever is held back is released as it stands.</summary>
    public SplitText Flush()
    {
        string rest = pending;
        pending = "";
        return state == State.Reasoning ? Emit(rest, "") : Emit("", rest);
    }

    SplitText Emit(string reasoning, string content)
    {
        if (!reasoningStarted && reasoning.Length > 0)
        {
            reasoning = reasoning.TrimStart('\n');
            reasoningStarted = reasoning.Length > 0;
        }
        if (!contentStarted && content.Length > 0)
        {
            content = content.TrimStart();
            contentStarted = content.Length > 0;
        }
        return new SplitText(reasoning, content);
    }

    /// <summary>Length of the longest suffix of text that is a proper prefix of tag.</summary>
    internal static int PartialSuffix(string text, string tag)
    {
        for (int n = Math.Min(tag.Length - 1, text.Length); n > 0; n--)
            if (string.CompareOrdinal(text, text.Length - n, tag, 0, n) == 0) return n;
        return 0;
    }
}
