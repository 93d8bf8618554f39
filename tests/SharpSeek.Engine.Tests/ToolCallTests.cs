// Function calling below the HTTP layer: the two wire formats parse what they render, the streaming splitter
// finds calls in every chunking and never loses text that is not a call, history renders through the model's own
// template (and the built-in R1 format agrees with it), and a model that writes calls ends with tool_calls.
using System.Text.Json;
using SharpSeek.Engine.Text;
using SharpSeek.Tests;
using SharpSeek.Tokenizers;
using Xunit;

namespace SharpSeek.Engine.Tests;

public class ToolCallTests
{
    public static string ToolsTinyDir => Fixtures.Path("models", "tools-tiny");
    static readonly ToolCall Weather = new("call_1", "get_weather", "{\"city\":\"Paris\",\"days\":[1,2]}");
    static readonly ToolCall Time = new("call_2", "get_time", "{}");

    public static IEnumerable<object[]> Formats() => [[DeepSeekToolFormat.Instance], [HermesToolFormat.Instance]];

    static string Calls(ToolCallFormat f, params ToolCall[] calls) => f is DeepSeekToolFormat d
        ? d.CallsBegin + string.Join("\n", calls.Select(f.RenderCall)) + d.CallsEnd
        : string.Join("\n", calls.Select(f.RenderCall));

    static (string Content, List<ToolCall> Calls) SplitAll(ToolCallFormat f, IEnumerable<string> chunks)
    {
        var s = new ToolCallSplitter(f);
        var content = "";
        var calls = new List<ToolCall>();
        foreach (var c in chunks) { var r = s.Push(c); content += r.Content; calls.AddRange(r.Calls); }
        return (content + s.Flush(), calls);
    }

    [Theory, MemberData(nameof(Formats))]
    public void Splitter_finds_the_calls_in_every_two_chunk_split(ToolCallFormat f)
    {
        string text = "Let me look that up. " + Calls(f, Weather, Time);
        for (int cut = 0; cut <= text.Length; cut++)
        {
            var (content, calls) = SplitAll(f, [text[..cut], text[cut..]]);
            Assert.Equal("Let me look that up. ", content);
            Assert.Equal(["get_weather", "get_time"], calls.Select(c => c.Name));
            Assert.Equal(Weather.Arguments, calls[0].Arguments);
            Assert.Equal("{}", calls[1].Arguments);
            Assert.All(calls, c => Assert.StartsWith("call_", c.Id));
        }
    }

    [Theory, MemberData(nameof(Formats))]
    public void Splitter_releases_a_call_as_soon_as_it_is_complete(ToolCallFormat f)
    {
        string text = Calls(f, Weather, Time);
        var s = new ToolCallSplitter(f);
        int first = text.IndexOf(f is DeepSeekToolFormat ? DeepSeekToolFormat.CallEnd : HermesToolFormat.Close, StringComparison.Ordinal)
            + (f is DeepSeekToolFormat ? DeepSeekToolFormat.CallEnd : HermesToolFormat.Close).Length;
        Assert.Empty(s.Push(text[..(first - 1)]).Calls);
        Assert.Single(s.Push(text[(first - 1)..first]).Calls);
    }

    [Theory, MemberData(nameof(Formats))]
    public void Text_that_is_not_a_call_is_kept_as_content(ToolCallFormat f)
    {
        string broken = f.CallsBegin + (f is DeepSeekToolFormat ? DeepSeekToolFormat.CallBegin + "function" + DeepSeekToolFormat.Sep + "x\n```json\n{not json\n```" + DeepSeekToolFormat.CallEnd : "\n{\"nam\": 1}\n" + HermesToolFormat.Close);
        var (content, calls) = SplitAll(f, ["Hi ", broken, " bye"]);
        Assert.Empty(calls);
        Assert.Equal("Hi " + broken + " bye", content);
        // an unfinished call at the end of the stream is text too
        var (content2, calls2) = SplitAll(f, ["Hi " + f.CallsBegin + "{\"name\""]);
        Assert.Empty(calls2);
        Assert.Equal("Hi " + f.CallsBegin + "{\"name\"", content2);
    }

    [Fact]
    public void Plain_text_passes_through_with_only_a_possible_marker_prefix_held()
    {
        var s = new ToolCallSplitter(DeepSeekToolFormat.Instance);
        Assert.Equal("Hello ", s.Push("Hello <｜tool").Content);   // could still become <｜tool▁calls▁begin｜>
        Assert.Equal("<｜toolbox", s.Push("box").Content);
        Assert.Equal("a < b", s.Push("a < b").Content);
        Assert.Equal("", s.Flush());
    }

    [Fact]
    public void Format_follows_the_tokenizer()
    {
        Assert.IsType<DeepSeekToolFormat>(ToolCallFormat.For(Tokenizer.Load(ToolsTinyDir)));
        Assert.IsType<DeepSeekToolFormat>(ToolCallFormat.For(TestModels.Tokenizer));    // R1 template spells the markers
        Assert.IsType<HermesToolFormat>(ToolCallFormat.For(Tokenizer.Load(Fixtures.Path("tokenizers", "qwen3"))));
    }

    [Fact]
    public void History_with_calls_renders_through_the_template_as_the_built_in_format_does()
    {
        var tok = Tokenizer.Load(ToolsTinyDir);
        var template = ChatFormats.For(tok);
        var builtIn = new DeepSeekR1Format();
        List<ChatTurn> turns =
        [
            new("system", "Be useful."), new("user", "Weather in Paris?"),
            new("assistant", "") { ToolCalls = [Weather] },
            new("tool", "sunny") { ToolCallId = "call_1" },
        ];
        foreach (bool gen in new[] { false, true })
            Assert.Equal(builtIn.Render(turns, gen), template.Render(turns, gen));
        var text = template.Render(turns, true);
        Assert.Contains("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n" + Weather.Arguments + "\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>", text);
        Assert.EndsWith("<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>sunny<｜tool▁output▁end｜><｜tool▁outputs▁end｜>", text);
    }

    [Fact]
    public void Tools_are_described_in_the_system_prompt_when_the_template_does_not_list_them()
    {
        using var m = ServingModel.Load(ToolsTinyDir, new EngineOptions { Threads = 1, Scheduler = new SchedulerOptions { ContextLength = 2048 } });
        Assert.False(m.Formatter.RendersTools);
        using var doc = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""");
        var tool = new ToolDefinition("get_weather", "Current weather", doc.RootElement.Clone());
        var p = m.PrepareChat([new ChatTurn("system", "Be useful."), new ChatTurn("user", "Weather?")], [tool]);
        Assert.StartsWith("<｜begin▁of▁sentence｜>Be useful.\n\n## Tools", p.Text);
        Assert.Contains("### get_weather\nDescription: Current weather\nParameters: {\"type\":\"object\"", p.Text);
        Assert.True(p.StartInReasoning);
        var qwen = new TemplateFormat(TestModels.Tokenizer, "{% for t in tools %}{{ t.function.name }}{% endfor %}|{% for m in messages %}{{ m.content }}{% endfor %}", "", "");
        Assert.True(qwen.RendersTools);
        Assert.Equal("get_weather|hi", qwen.Render([new ChatTurn("user", "hi")], false, [tool]));
    }
}
