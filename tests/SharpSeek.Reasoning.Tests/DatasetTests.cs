// JSONL datasets: numeric and text comparison, clear errors naming the line.
using SharpSeek.Reasoning;

namespace SharpSeek.Reasoning.Tests;

public class DatasetTests
{
    static List<ReferenceProblem> Read(string text) => Dataset.ReadJsonl(new StringReader(text), "data.jsonl");

    [Fact]
    public void Reads_rows_and_compares_numbers_exactly()
    {
        var rows = Read("{\"prompt\":\"What is 1/2?\",\"answer\":0.5}\n\n{\"prompt\":\"Capital of France?\",\"answer\":\"Paris\",\"id\":7}\n{\"prompt\":\"big\",\"answer\":1e3}\n");
        Assert.Equal(3, rows.Count);
        Assert.True(rows[0].Check("1/2"));
        Assert.True(rows[0].Check(".50"));
        Assert.True(rows[0].Check("\\boxed{0.5}"));
        Assert.False(rows[0].Check("0.51"));
        Assert.False(rows[0].Check("half"));
        Assert.True(rows[1].Check("  paris "));
        Assert.False(rows[1].Check("Lyon"));
        Assert.True(rows[2].Check("1000"));
    }

    [Theory]
    [InlineData("{\"prompt\":\"a\",\"answer\":1}\n{\"prompt\":\"b\"\n", "data.jsonl:2: not valid JSON")]
    [InlineData("{\"prompt\":\"a\"}", "data.jsonl:1: missing \"answer\"")]
    [InlineData("{\"answer\":\"a\"}", "data.jsonl:1: missing \"prompt\"")]
    [InlineData("{\"prompt\":\"\",\"answer\":1}", "data.jsonl:1: \"prompt\" must be a non-empty string")]
    [InlineData("{\"prompt\":\"a\",\"answer\":[1]}", "data.jsonl:1: \"answer\" must be a non-empty string or a number, found array")]
    [InlineData("\n\n[1,2]", "data.jsonl:3: expected an object")]
    [InlineData("\n", "data.jsonl: no rows")]
    public void Malformed_rows_name_the_line(string text, string message)
    {
        var e = Assert.Throws<DatasetException>(() => Read(text));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Dataset.ReadJsonl("/nonexistent/data.jsonl"));
        Assert.Contains("/nonexistent/data.jsonl", e.Message);
    }
}
