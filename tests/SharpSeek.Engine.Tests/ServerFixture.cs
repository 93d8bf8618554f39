// One real server (Kestrel on 127.0.0.1, port 0) per test class, serving: "scripted" (the R1 script, instant),
// "slow" (a long script with a per-step delay, for streaming/cancellation/load), and "chat-tiny" (the real model).
using System.Net.Http.Headers;
using SharpSeek.Engine;
using SharpSeek.Server;

namespace SharpSeek.Engine.Tests;

public class ServerFixture : IAsyncLifetime
{
    public SharpSeekServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public Uri BaseUrl => Server.Address;
    public Uri V1 => new(Server.Address, "v1");
    public ServingModel Scripted { get; private set; } = null!;
    public ServingModel Slow { get; private set; } = null!;
    public ServingModel Tiny { get; private set; } = null!;
    protected virtual string? ApiKey => null;
    protected virtual SchedulerOptions SlowScheduler => new() { MaxBatch = 8, MaxQueue = 8, ContextLength = 4096 };

    public static int[] SlowScript => [.. TestModels.Ids("<think>\n", eos: false).Skip(1), .. Enumerable.Repeat(TestModels.Ids(" la", eos: false)[0], 30),
        .. TestModels.Ids("</think>\n\nDone", eos: false), .. Enumerable.Repeat(TestModels.Ids(" ha", eos: false)[0], 3000)];

    public async Task InitializeAsync()
    {
        Scripted = TestModels.Scripted(TestModels.R1Script, id: "scripted");
        Slow = new ServingModel("slow", new ScriptedModel(TestModels.Tokenizer.VocabSize, SlowScript) { StepDelay = TimeSpan.FromMilliseconds(2) },
            TestModels.Tokenizer, new DeepSeekR1Format(), [TestModels.Eos], new EngineOptions { Scheduler = SlowScheduler, DefaultMaxTokens = 200 });
        Tiny = TestModels.ChatTiny(new SchedulerOptions { ContextLength = 256, MaxBatch = 8 }, defaultMaxTokens: 32);
        Server = SharpSeekServer.Create(new ServerOptions { Port = 0, ApiKey = ApiKey, LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning, MaxRequestBodyBytes = 64 * 1024 }, Scripted, Slow, Tiny);
        await Server.StartAsync();
        Http = new HttpClient { BaseAddress = Server.Address, Timeout = TimeSpan.FromSeconds(60) };
        if (ApiKey is not null) Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Scripted.Dispose(); Slow.Dispose(); Tiny.Dispose();
    }
}

public sealed class KeyedServerFixture : ServerFixture
{
    public const string Key = "sk-test-123";
    protected override string? ApiKey => Key;
}

public sealed class TightServerFixture : ServerFixture
{
    protected override SchedulerOptions SlowScheduler => new() { MaxBatch = 2, MaxQueue = 2, ContextLength = 4096 };
}
