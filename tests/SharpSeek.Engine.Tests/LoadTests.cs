// Load and faults on loopback, bounded: concurrent streaming clients, clients that vanish mid-stream, and a burst
// past the queue (429s, not a crash).
using System.ClientModel;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace SharpSeek.Engine.Tests;

public class LoadTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task EightConcurrentStreamingClientsAllCompleteDecodedTogether()
    {
        var sdk = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = f.V1 });
        long stepsBefore = f.Slow.Scheduler.Stats.Steps, tokensBefore = f.Slow.Scheduler.Stats.DecodedTokens;
        var clients = Enumerable.Range(0, 8).Select(async i =>
        {
            int chunks = 0;
            ChatFinishReason? finish = null;
            await foreach (var u in sdk.GetChatClient("slow").CompleteChatStreamingAsync([new UserChatMessage($"client {i}")], new ChatCompletionOptions { MaxOutputTokenCount = 200 }))
            {
                chunks++;
                finish ??= u.FinishReason;
            }
            return (chunks, finish);
        }).ToArray();
        var results = await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(results, r => Assert.Equal(ChatFinishReason.Length, r.finish));
        Assert.All(results, r => Assert.True(r.chunks > 30));
        double meanBatch = (double)(f.Slow.Scheduler.Stats.DecodedTokens - tokensBefore) / (f.Slow.Scheduler.Stats.Steps - stepsBefore);
        Assert.True(meanBatch > 3, $"mean decode batch {meanBatch:0.0}: the eight streams were not batched");
    }

    [Fact]
    public async Task ClientsThatDisconnectFreeTheirSlot()
    {
        for (int round = 0; round < 3; round++)
        {
            using (var req = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
                   { Content = ApiTests.Json("""{"model":"slow","messages":[{"role":"user","content":"long"}],"stream":true,"max_tokens":3000}""") })
            using (var resp = await f.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead))
            {
                using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
                for (int i = 0; i < 10; i++) await reader.ReadLineAsync();
                Assert.Equal(1, f.Slow.Scheduler.ActiveCount);
            }   // the client goes away mid-stream
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (f.Slow.Scheduler.ActiveCount > 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
            Assert.Equal(0, f.Slow.Scheduler.ActiveCount);
        }
        var next = await f.Http.PostAsync("/v1/chat/completions", ApiTests.Json("""{"model":"slow","messages":[{"role":"user","content":"next"}],"max_tokens":5}"""));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }
}

public class OverloadTests(TightServerFixture f) : IClassFixture<TightServerFixture>
{
    [Fact]
    public async Task ABurstPastTheQueueGets429sAndTheServerStaysUp()
    {
        // 2 slots + 2 queued; each request takes ~100 steps × 2 ms, so most of a 16-request burst finds the queue full
        var burst = Enumerable.Range(0, 16).Select(_ => f.Http.PostAsync("/v1/chat/completions",
            ApiTests.Json("""{"model":"slow","messages":[{"role":"user","content":"x"}],"max_tokens":100}"""))).ToArray();
        var responses = await Task.WhenAll(burst).WaitAsync(TimeSpan.FromSeconds(60));
        var codes = responses.Select(r => (int)r.StatusCode).ToList();
        Assert.Contains(200, codes);
        Assert.Contains(429, codes);
        Assert.All(codes, c => Assert.True(c is 200 or 429, $"status {c}"));
        var refused = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        using var doc = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("rate_limit_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.True(refused.Headers.Contains("Retry-After"));
        Assert.Equal(HttpStatusCode.OK, (await f.Http.GetAsync("/health")).StatusCode);
        var after = await f.Http.PostAsync("/v1/chat/completions", ApiTests.Json("""{"model":"scripted","messages":[{"role":"user","content":"2+2?"}]}"""));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}

public class GenerationCancellationTests
{
    [Fact]
    public void LeavingTheHandlerCancelsGenerationsEvenBeforeRequestAbortedFires()
    {
        using var requestAborted = new CancellationTokenSource();
        CancellationToken generation;
        using (var c = new SharpSeek.Server.GenerationCancellation(requestAborted.Token)) generation = c.Token;
        Assert.True(generation.IsCancellationRequested);   // a linked source merely disposed here would never fire
        requestAborted.Cancel();                            // Kestrel's late signal after that is harmless
    }

    [Fact]
    public void AClientThatGoesAwayCancelsTheGenerations()
    {
        using var requestAborted = new CancellationTokenSource();
        using var c = new SharpSeek.Server.GenerationCancellation(requestAborted.Token);
        Assert.False(c.Token.IsCancellationRequested);
        requestAborted.Cancel();
        Assert.True(c.Token.IsCancellationRequested);
    }
}
