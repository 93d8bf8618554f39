// <think> splitter and stop strings over every way a stream can be chunked.
using SharpSeek.Engine.Text;

namespace SharpSeek.Engine.Tests;

public class TextTests
{
    static (string Reasoning, string Content) Split(IEnumerable<string> chunks, bool startInReasoning)
    {
        var s = new ThinkSplitter(startInReasoning);
        string r = "", c = "";
        foreach (var ch in chunks) { var x = s.Push(ch); r += x.Reasoning; c += x.Content; }
        var f = s.Flush();
        return (r + f.Reasoning, c + f.Content);
    }

    /// <summary>Every split of text into 1-, 2- and 3-character chunks plus each single cut point.</summary>
    static IEnumerable<string[]> Chunkings(string text)
    {
        for (int size = 1; size <= 3; size++)
            yield return Enumerable.Range(0, (text.Length + size - 1) / size).Select(i => text.Substring(i * size, Math.Min(size, text.Length - i * size))).ToArray();
        for (int cut = 0; cut <= text.Length; cut++) yield return [text[..cut], text[cut..]];
    }

    [Theory]
    [InlineData("<think>\nreason here\n</think>\n\nanswer", false, "reason here\n", "answer")]
    [InlineData("reason here</think>answer", true, "reason here", "answer")]
    [InlineData("\nreason </th here</think>\n\nthe answer", true, "reason </th here", "the answer")]
    [InlineData("  <think>r</think>a", false, "r", "a")]
    [InlineData("plain answer, no reasoning", false, "", "plain answer, no reasoning")]
    [InlineData("answer mentioning <think> later", false, "", "answer mentioning <think> later")]
    [InlineData("unterminated reasoning </thin", true, "unterminated reasoning </thin", "")]
    [InlineData("<thin", false, "", "<thin")]
    [InlineData("a</think>b</think>c", true, "a", "b</think>c")]
    public void SplitsReasoningFromAnswerHoweverTheTextIsChunked(string text, bool startInReasoning, string reasoning, string content)
    {
        foreach (var chunks in Chunkings(text))
        {
            var (r, c) = Split(chunks, startInReasoning);
            Assert.True(r == reasoning && c == content, $"chunks [{string.Join("|", chunks)}] gave reasoning '{r}', content '{c}'");
        }
    }

    [Theory]
    [InlineData("hello world. bye", new[] { "." }, "hello world", true)]
    [InlineData("hello world", new[] { "xyz" }, "hello world", false)]
    [InlineData("abcSTOPdef", new[] { "STOP", "cS" }, "ab", true)]
    [InlineData("partial ST", new[] { "STOP" }, "partial ST", false)]
    [InlineData("line\n\nnext", new[] { "\n\n" }, "line", true)]
    public void StopStringsEndTheTextAndAreNotReturned(string text, string[] stops, string expected, bool stopped)
    {
        foreach (var chunks in Chunkings(text))
        {
            var m = new StopMatcher(stops);
            string got = string.Concat(chunks.Select(m.Push)) + m.Flush();
            Assert.True(got == expected && m.Stopped == stopped, $"chunks [{string.Join("|", chunks)}] gave '{got}' stopped={m.Stopped}");
        }
    }

    [Fact]
    public void PartialSuffixFindsTheLongestTagPrefix()
    {
        Assert.Equal(3, ThinkSplitter.PartialSuffix("abc</t", "</think>"));
        Assert.Equal(0, ThinkSplitter.PartialSuffix("abc", "</think>"));
        Assert.Equal(7, ThinkSplitter.PartialSuffix("</think", "</think>"));
    }
}
