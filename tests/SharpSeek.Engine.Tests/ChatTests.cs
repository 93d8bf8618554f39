// Chat: the R1 prompt format, multi-turn sessions (earlier reasoning dropped), /save, the terminal REPL and its
// commands, and SharpSeekChatClient as an IChatClient (reasoning content, usage, DI registration).
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SharpSeek.Engine.Chat;

namespace SharpSeek.Engine.Tests;

public class ChatTests
{
    const string Bos = "<｜begin▁of▁sentence｜>", Eos = "<｜end▁of▁sentence｜>";

    [Fact]
    public void R1FormatMatchesTheTemplate()
    {
        var f = new DeepSeekR1Format();
        var text = f.Render([new ChatTurn("system", "Be brief."), new ChatTurn("user", "Hi"), new ChatTurn("assistant", "<think>\nhmm\n</think>\n\nHello!"), new ChatTurn("user", "2+2?")], true);
        Assert.Equal($"{Bos}Be brief.<｜User｜>Hi<｜Assistant｜>\n\nHello!{Eos}<｜User｜>2+2?<｜Assistant｜><think>\n", text);
    }

    [Fact]
    public void BuiltInR1FormatEqualsTheRenderedTemplate()
    {
        var formatter = ChatFormats.For(TestModels.Tokenizer);
        Assert.IsType<TemplateFormat>(formatter);
        ChatTurn[][] conversations =
        [
            [new("user", "Hi")],
            [new("system", "Be brief."), new("user", "Hi"), new("assistant", "<think>\nhmm\n</think>\n\nHello!"), new("user", "2+2?")],
            [new("user", "a"), new("assistant", "b"), new("user", "c"), new("assistant", "d")],
        ];
        foreach (var c in conversations)
            foreach (var gen in new[] { true, false })
                Assert.Equal(new DeepSeekR1Format().Render(c, gen), formatter.Render(c, gen));
    }

    [Fact]
    public void ChatTinyUsesTheR1TemplateAndItsSpecialTokens()
    {
        using var m = TestModels.Scripted(TestModels.R1Script);
        var formatter = ChatFormats.For(TestModels.Tokenizer);
        var p = new ServingModel("x", m.Model, TestModels.Tokenizer, formatter, [TestModels.Eos]);
        var prompt = p.PrepareChat([new ChatTurn("user", "Hi")]);
        Assert.True(prompt.StartInReasoning);
        var t = TestModels.Tokenizer;
        Assert.Equal([t.TokenToId(Bos)!.Value, t.TokenToId("<｜User｜>")!.Value], prompt.Tokens[..2]);
        Assert.Equal([t.TokenToId("<｜Assistant｜>")!.Value, t.TokenToId("<think>")!.Value], prompt.Tokens[^3..^1]);
        p.Dispose();
    }

    [Fact]
    public async Task SessionKeepsTurnsDropsOldReasoningAndSaves()
    {
        using var m = TestModels.Scripted(TestModels.R1Script);
        var chat = new ChatSession(m) { SystemPrompt = "Be brief." };
        await foreach (var _ in chat.SendAsync("What is 2+2?")) { }
        Assert.Equal(FinishReason.Stop, chat.LastFinish);
        Assert.Equal(2, chat.Turns.Count);
        Assert.Equal(TestModels.Answer, chat.Turns[1].Content);
        Assert.Equal(TestModels.Reasoning + "\n", chat.Turns[1].Reasoning);
        var next = m.Formatter.Render(chat.Conversation("And 3+3?"), true);
        Assert.DoesNotContain("two plus two", next);                  // earlier reasoning is not re-sent
        Assert.Contains("<｜Assistant｜>The answer is 4.<｜end▁of▁sentence｜><｜User｜>And 3+3?", next);

        var file = Path.Combine(Path.GetTempPath(), $"sharpseek-chat-{Guid.NewGuid():N}.json");
        chat.Save(file);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var msgs = doc.RootElement.GetProperty("messages");
        Assert.Equal(["system", "user", "assistant"], msgs.EnumerateArray().Select(x => x.GetProperty("role").GetString()));
        Assert.Equal(TestModels.Reasoning + "\n", msgs[2].GetProperty("reasoning_content").GetString());
        File.Delete(file);
        chat.Reset();
        Assert.Empty(chat.Turns);
    }

    [Fact]
    public async Task SingleTurnSendsEachMessageAloneButKeepsTheHistory()
    {
        using var m = TestModels.Scripted(TestModels.R1Script);
        var chat = new ChatSession(m) { SystemPrompt = "Be brief.", SingleTurn = true };
        await foreach (var _ in chat.SendAsync("What is 2+2?")) { }
        var next = m.Formatter.Render(chat.PromptTurns("And 3+3?"), true);
        Assert.Contains("Be brief.", next);
        Assert.Contains("And 3+3?", next);
        Assert.DoesNotContain("What is 2+2?", next);
        Assert.DoesNotContain("The answer is 4.", next);
        Assert.Equal(2, chat.Turns.Count);                               // kept for /save
        chat.SingleTurn = false;
        Assert.Contains("What is 2+2?", m.Formatter.Render(chat.PromptTurns("And 3+3?"), true));
    }

    [Fact]
    public async Task ReplStreamsDimmedReasoningAndRunsCommands()
    {
        using var m = TestModels.Scripted(TestModels.R1Script);
        var file = Path.Combine(Path.GetTempPath(), $"sharpseek-repl-{Guid.NewGuid():N}.json");
        var input = new StringReader($"What is 2+2?\n/system You are terse.\n/save {file}\n/reset\n/bogus\n/help\n");
        var output = new StringWriter();
        var repl = new ChatRepl(new ChatSession(m), input, output, color: true);
        Assert.Equal(0, await repl.RunAsync());                       // end of input (Ctrl-D) exits cleanly
        var text = output.ToString();
        Assert.Contains("\e[2mLet", text);                            // reasoning dimmed
        var plain = System.Text.RegularExpressions.Regex.Replace(text, "\e\\[[0-9]+m", "");
        Assert.Contains("Thinking…\n" + TestModels.Reasoning, plain);
        Assert.Contains(TestModels.Answer, text);
        Assert.DoesNotContain("\e[2m" + TestModels.Answer, text);     // the answer is not dimmed
        Assert.True(text.IndexOf("two plus two", StringComparison.Ordinal) < text.IndexOf(TestModels.Answer, StringComparison.Ordinal));
        Assert.Contains("(system prompt set)", text);
        Assert.Contains("(conversation cleared)", text);
        Assert.Contains("unknown command /bogus", text);
        Assert.Contains("/save [FILE]", text);
        Assert.Contains("reasoning", text);                           // the usage line
        using (var doc = JsonDocument.Parse(File.ReadAllText(file)))
            Assert.Equal("You are terse.", doc.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
        File.Delete(file);
    }

    [Fact]
    public async Task ReplBudgetCommandCapsTheReasoning()
    {
        using var m = TestModels.Scripted(ToolServerFixture.EndlessReasoning, defaultMaxTokens: 30);
        var session = new ChatSession(m);
        var input = new StringReader("/budget 6\nthink\n/budget x\n/budget off\n");
        var output = new StringWriter();
        Assert.Equal(0, await new ChatRepl(session, input, output, color: false).RunAsync());
        var text = output.ToString();
        Assert.Contains("(thinking budget 6 tokens)", text);
        Assert.Contains("error: /budget takes a number", text);
        Assert.Contains("(no thinking budget)", text);
        Assert.Equal(6, session.LastUsage!.ReasoningTokens);
        Assert.Null(session.MaxReasoningTokens);
    }

    [Fact]
    public async Task ReplInterruptStopsTheReplyAndKeepsGoing()
    {
        var loop = Enumerable.Repeat(TestModels.Ids("ha", eos: false)[0], 4).ToArray();
        using var m = TestModels.Scripted(loop, stepDelay: TimeSpan.FromMilliseconds(2), defaultMaxTokens: 100_000);
        var gate = new SemaphoreSlim(0);
        var output = new StringWriter();
        var input = new BlockingReader(["go on forever", "/exit"], gate);
        var repl = new ChatRepl(new ChatSession(m) { MaxTokens = 3000 }, input, TextWriter.Synchronized(output), color: false);
        var run = repl.RunAsync();
        while (!repl.Busy) await Task.Delay(5);
        await Task.Delay(50);
        Assert.True(repl.Interrupt());
        gate.Release();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("interrupted", output.ToString());
        Assert.False(repl.Interrupt());
    }

    /// <summary>Returns lines; the second waits until released (so the test can interrupt the first reply).</summary>
    sealed class BlockingReader(string[] lines, SemaphoreSlim gate) : TextReader
    {
        int i;
        public override string? ReadLine()
        {
            if (i == 1) gate.Wait();
            return i < lines.Length ? lines[i++] : null;
        }
    }

    [Fact]
    public async Task ChatClientSurfacesReasoningAndUsage()
    {
        using var m = TestModels.Scripted(TestModels.R1Script);
        IChatClient client = new SharpSeekChatClient(m);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "What is 2+2?")], new ChatOptions { Temperature = 0 });
        Assert.Equal(TestModels.Answer, response.Text);
        var reasoning = response.Messages[0].Contents.OfType<TextReasoningContent>().Single();
        Assert.Equal(TestModels.Reasoning + "\n", reasoning.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(TestModels.R1Script.Length, response.Usage!.OutputTokenCount);
        Assert.True(response.Usage.ReasoningTokenCount > 0 && response.Usage.ReasoningTokenCount < response.Usage.OutputTokenCount);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "What is 2+2?")], new ChatOptions { MaxOutputTokens = 4 })) updates.Add(u);
        Assert.Equal(ChatFinishReason.Length, updates[^1].FinishReason);
        Assert.Contains(updates, u => u.Contents.OfType<TextReasoningContent>().Any());
        Assert.Equal(4, updates.SelectMany(u => u.Contents.OfType<UsageContent>()).Single().Details.OutputTokenCount);
        var combined = updates.ToChatResponse();
        Assert.Equal(ChatFinishReason.Length, combined.FinishReason);
    }

    [Fact]
    public async Task RegistersThroughAddChatClient()
    {
        using var m = TestModels.Scripted(TestModels.R1Script);
        var services = new ServiceCollection();
        services.AddSharpSeekChatClient(m).UseFunctionInvocation();
        await using var sp = services.BuildServiceProvider();
        var client = sp.GetRequiredService<IChatClient>();
        var r = await client.GetResponseAsync("What is 2+2?");
        Assert.Equal(TestModels.Answer, r.Text);
        Assert.Equal("scripted", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task UnknownRolesAreRefused()
    {
        using var m = TestModels.Scripted(TestModels.R1Script);
        var client = new SharpSeekChatClient(m);
        await Assert.ThrowsAsync<Sampling.ParameterException>(() => client.GetResponseAsync([new ChatMessage(new ChatRole("wizard"), "hi")]));
    }
}
