// The web chat page in a real browser: Debian's chromium driven headless by Playwright for .NET through its
// executable path (CI installs it with `apt-get install -y chromium`). Load the page, pick a model, send a
// message, watch reasoning and answer stream, stop a reply, start a new chat; a screenshot is saved.
using System.Text.Json;
using Microsoft.Playwright;
using SharpSeek.Engine;
using SharpSeek.Server;

namespace SharpSeek.Engine.Tests;

public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Reasoning = "The user asks what 2 + 2 is. Adding two and two gives four. Let me double-check: 2 + 2 = 4. Yes, that is right.";
    public const string Answer = "2 + 2 = 4.";
    public const string MarkdownAnswer = "Use `x` and **bold**.\n```js\nlet a = \"<b>hi</b>\";\n```\n<img src=x onerror=alert(1)>";
    public SharpSeekServer Server { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    ServingModel[] models = [];

    public static string Chromium => Environment.GetEnvironmentVariable("SHARPSEEK_CHROMIUM") ?? "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        var demo = TestModels.Ids(Reasoning + "\n</think>\n\n" + Answer);
        var ha = TestModels.Ids(" ha", eos: false)[0];
        var endless = TestModels.Ids("Thinking about it.\n</think>\n\nHere goes", eos: false).Concat(Enumerable.Repeat(ha, 5000)).ToArray();
        models =
        [
            TestModels.Scripted(demo, id: "sharpseek-r1-demo", stepDelay: TimeSpan.FromMilliseconds(25)),
            TestModels.Scripted(endless, id: "endless", stepDelay: TimeSpan.FromMilliseconds(10), defaultMaxTokens: 3000),
            TestModels.Scripted(TestModels.Ids("Formatting.\n</think>\n\n" + MarkdownAnswer), id: "markdown"),
        ];
        models[2].SingleTurn = true;
        Server = SharpSeekServer.Create(new ServerOptions { Port = 0, LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning }, models);
        await Server.StartAsync();
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"the browser test needs Chromium at {Chromium}: apt-get install -y chromium (or set SHARPSEEK_CHROMIUM)");
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu"] });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        await Server.DisposeAsync();
        foreach (var m in models) m.Dispose();
    }
}

public class BrowserTests(BrowserFixture f) : IClassFixture<BrowserFixture>
{
    public static string ScreenshotPath => Path.Combine(AppContext.BaseDirectory, "web-chat.png");

    [Fact]
    public async Task SendsAMessageAndStreamsReasoningThenAnswer()
    {
        var page = await f.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 720 }, ColorScheme = ColorScheme.Light });
        await page.GotoAsync(f.Server.Address.ToString());
        await Assertions.Expect(page.Locator("#model option")).ToHaveCountAsync(3);
        await page.SelectOptionAsync("#model", "sharpseek-r1-demo");
        await page.FillAsync("#input", "What is 2 + 2?");
        await page.PressAsync("#input", "Enter");

        await Assertions.Expect(page.Locator(".msg.user")).ToHaveTextAsync("What is 2 + 2?");
        var thoughts = page.Locator(".msg.assistant details.reasoning .thoughts");
        // streamed: part of the reasoning is visible while the Stop button is still up
        await Assertions.Expect(thoughts).ToContainTextAsync("The user asks");
        Assert.True(await page.IsVisibleAsync("#stop"));
        Assert.NotEqual(BrowserFixture.Reasoning, (await thoughts.TextContentAsync())!.Trim());
        await Assertions.Expect(page.Locator(".msg.assistant .answer")).ToHaveTextAsync(BrowserFixture.Answer, new() { Timeout = 15000 });
        await Assertions.Expect(page.Locator("#send")).ToBeVisibleAsync();
        Assert.Equal(BrowserFixture.Reasoning, (await thoughts.TextContentAsync())!.Trim());
        await Assertions.Expect(page.Locator(".msg.assistant summary")).ToContainTextAsync("Thought for");
        await Assertions.Expect(page.Locator(".msg.assistant .meta")).ToContainTextAsync("reasoning");
        // the reasoning block collapses once the answer starts; open it for the screenshot
        await page.ClickAsync(".msg.assistant summary");
        await page.ScreenshotAsync(new() { Path = BrowserTests.ScreenshotPath });
    }

    [Fact]
    public async Task StopEndsAReplyAndNewChatClears()
    {
        var page = await f.Browser.NewPageAsync();
        await page.GotoAsync(f.Server.Address.ToString());
        await Assertions.Expect(page.Locator("#model option")).ToHaveCountAsync(3);
        await page.SelectOptionAsync("#model", "endless");
        await page.FillAsync("#input", "Talk forever");
        await page.ClickAsync("#send");
        var answer = page.Locator(".msg.assistant .answer");
        await Assertions.Expect(answer).ToContainTextAsync("Here goes h h");
        await page.ClickAsync("#stop");
        await Assertions.Expect(page.Locator(".msg.assistant .meta")).ToContainTextAsync("stopped");
        var frozen = await answer.TextContentAsync();
        await page.WaitForTimeoutAsync(300);
        Assert.Equal(frozen, await answer.TextContentAsync());
        // the server freed the slot (30 s: under the full suite on 2 cores the abort can take seconds to reach the scheduler)
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var endless = f.Server.Models["endless"];
        while (endless.Scheduler.ActiveCount > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, endless.Scheduler.ActiveCount);
        await page.ClickAsync("#new-chat");
        await Assertions.Expect(page.Locator(".msg")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#empty")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AnswersRenderMarkdownWithoutInjectingHtml()
    {
        var page = await f.Browser.NewPageAsync();
        await page.GotoAsync(f.Server.Address.ToString());
        await Assertions.Expect(page.Locator("#model option")).ToHaveCountAsync(3);
        await page.SelectOptionAsync("#model", "markdown");
        await page.FillAsync("#input", "format something");
        await page.PressAsync("#input", "Enter");
        var answer = page.Locator(".msg.assistant .answer");
        await Assertions.Expect(answer.Locator("pre code")).ToHaveTextAsync("let a = \"<b>hi</b>\";\n");
        await Assertions.Expect(answer.Locator("strong")).ToHaveTextAsync("bold");
        await Assertions.Expect(answer.Locator(":scope > code")).ToHaveTextAsync("x");
        Assert.Equal(0, await answer.Locator("b, img").CountAsync());          // model text never becomes markup
        await Assertions.Expect(answer).ToContainTextAsync("<img src=x onerror=alert(1)>");
    }

    [Fact]
    public async Task ASingleTurnModelGetsEachMessageAloneOthersTheWholeChat()
    {
        var page = await f.Browser.NewPageAsync();
        var sent = new List<JsonElement>();
        page.Request += (_, r) => { if (r.Url.EndsWith("/v1/chat/completions")) lock (sent) sent.Add(JsonDocument.Parse(r.PostData!).RootElement.GetProperty("messages").Clone()); };
        await page.GotoAsync(f.Server.Address.ToString());
        await Assertions.Expect(page.Locator("#model option")).ToHaveCountAsync(3);

        async Task Chat(string model, string status)
        {
            await page.SelectOptionAsync("#model", model);
            await page.ClickAsync("#new-chat");
            await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync(status);
            foreach (var (text, i) in new[] { ("first", 0), ("second", 1) })
            {
                await page.FillAsync("#input", text);
                await page.PressAsync("#input", "Enter");
                await Assertions.Expect(page.Locator(".msg.assistant .meta").Nth(i)).Not.ToBeEmptyAsync(new() { Timeout = 15000 });
            }
        }

        await Chat("markdown", "This model answers each message on its own: earlier turns are not sent to it.");
        await Chat("sharpseek-r1-demo", "");
        Assert.Equal(4, sent.Count);
        Assert.Equal([("user", "second")], Roles(sent[1]));
        Assert.Equal([("user", "first"), ("assistant", BrowserFixture.Answer), ("user", "second")], Roles(sent[3]));
        Assert.Equal(4, await page.Locator(".msg").CountAsync());       // the page still shows the whole chat

        static (string, string)[] Roles(JsonElement messages) =>
            messages.EnumerateArray().Select(m => (m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToArray();
    }
}
