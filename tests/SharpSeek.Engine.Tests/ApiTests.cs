// The HTTP API through the official OpenAI .NET SDK and Microsoft.Extensions.AI.OpenAI, plus raw HTTP where the
// SDK has no field (reasoning_content, n, /v1/completions): shapes, streaming, reasoning, usage, finish reasons,
// seeded determinism, and every bad input answered with the right status and error shape.
#pragma warning disable OPENAI001   // Seed is marked experimental in the SDK
using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace SharpSeek.Engine.Tests;

public class ApiTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    OpenAIClient Sdk => new(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = f.V1 });

    [Fact]
    public async Task ModelsAndHealth()
    {
        var models = await Sdk.GetOpenAIModelClient().GetModelsAsync();
        Assert.Equal(["scripted", "slow", "chat-tiny"], models.Value.Select(m => m.Id));
        var health = await f.Http.GetStringAsync("/health");
        Assert.Contains("\"ok\"", health);
        var one = await f.Http.GetAsync("/v1/models/chat-tiny");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Contains("\"single_turn\":false", await one.Content.ReadAsStringAsync());    // a SharpSeek extra, read by the web page
        Assert.Equal(HttpStatusCode.NotFound, (await f.Http.GetAsync("/v1/models/nope")).StatusCode);
    }

    [Fact]
    public async Task ChatCompletionSeparatesReasoningAndCountsIt()
    {
        var chat = Sdk.GetChatClient("scripted");
        var result = await chat.CompleteChatAsync([new UserChatMessage("What is 2+2?")], new ChatCompletionOptions { Temperature = 0 });
        var c = result.Value;
        Assert.Equal(TestModels.Answer, c.Content[0].Text);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, c.FinishReason);
        Assert.Equal(TestModels.R1Script.Length, c.Usage.OutputTokenCount);
        Assert.True(c.Usage.OutputTokenDetails.ReasoningTokenCount > 0);
        Assert.Equal(c.Usage.InputTokenCount + c.Usage.OutputTokenCount, c.Usage.TotalTokenCount);
        using var raw = JsonDocument.Parse(result.GetRawResponse().Content.ToString());
        var message = raw.RootElement.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(TestModels.Reasoning + "\n", message.GetProperty("reasoning_content").GetString());
        Assert.Equal("chat.completion", raw.RootElement.GetProperty("object").GetString());
    }

    [Fact]
    public async Task StreamingDeltasCarryReasoningThenContentThenUsage()
    {
        var (events, done) = await Sse("/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"What is 2+2?"}],"stream":true,"stream_options":{"include_usage":true}}""");
        Assert.True(done);
        var deltas = events.Where(e => e.GetProperty("choices").GetArrayLength() > 0).Select(e => e.GetProperty("choices")[0]).ToList();
        Assert.Equal("assistant", deltas[0].GetProperty("delta").GetProperty("role").GetString());
        string reasoning = string.Concat(deltas.Select(d => d.GetProperty("delta").TryGetProperty("reasoning_content", out var r) ? r.GetString() : ""));
        string content = string.Concat(deltas.Select(d => d.GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : ""));
        Assert.Equal(TestModels.Reasoning + "\n", reasoning);
        Assert.Equal(TestModels.Answer, content);
        int lastReasoning = deltas.FindLastIndex(d => d.GetProperty("delta").TryGetProperty("reasoning_content", out _));
        int firstContent = deltas.FindIndex(d => d.GetProperty("delta").TryGetProperty("content", out var c) && c.GetString()!.Length > 0);
        Assert.True(lastReasoning < firstContent);
        Assert.Equal("stop", deltas[^1].GetProperty("finish_reason").GetString());
        var usage = events[^1].GetProperty("usage");
        Assert.Equal(TestModels.R1Script.Length, usage.GetProperty("completion_tokens").GetInt32());
        Assert.True(usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task SdkStreamingHonoursMaxTokensAndReportsUsage()
    {
        var chat = Sdk.GetChatClient("scripted");
        var text = new StringBuilder();
        OpenAI.Chat.ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var u in chat.CompleteChatStreamingAsync([new UserChatMessage("What is 2+2?")], new ChatCompletionOptions { MaxOutputTokenCount = 5 }))
        {
            foreach (var part in u.ContentUpdate) text.Append(part.Text);
            finish ??= u.FinishReason;
            usage ??= u.Usage;
        }
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, finish);
        Assert.Equal(5, usage!.OutputTokenCount);
        Assert.Equal("", text.ToString());                 // five tokens are all reasoning: content stays empty
    }

    [Fact]
    public async Task StopStringsEndTheAnswer()
    {
        var c = (await Sdk.GetChatClient("scripted").CompleteChatAsync([new UserChatMessage("2+2?")], new ChatCompletionOptions { StopSequences = { " is" } })).Value;
        Assert.Equal("The answer", c.Content[0].Text);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, c.FinishReason);
    }

    [Fact]
    public async Task SeededSamplingIsDeterministicOnTheRealModel()
    {
        var chat = Sdk.GetChatClient("chat-tiny");
        async Task<string> Run(long seed) => (await chat.CompleteChatAsync([new UserChatMessage("Hello!")], new ChatCompletionOptions { Temperature = 1f, TopP = 0.9f, Seed = seed, MaxOutputTokenCount = 24 })).Value
            .Usage.OutputTokenCount + "|" + (await Raw(seed));
        async Task<string> Raw(long seed)
        {
            var r = await f.Http.PostAsync("/v1/chat/completions", Json($$"""{"model":"chat-tiny","messages":[{"role":"user","content":"Hello!"}],"temperature":1,"top_p":0.9,"seed":{{seed}},"max_tokens":24}"""));
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            return doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("reasoning_content").GetString()!;
        }
        Assert.Equal(await Run(7), await Run(7));
        Assert.NotEqual(await Raw(7), await Raw(8));
    }

    [Fact]
    public async Task NChoicesLogprobsAndPenaltiesAreAccepted()
    {
        var r = await f.Http.PostAsync("/v1/chat/completions", Json("""{"model":"chat-tiny","messages":[{"role":"user","content":"Hi"}],"n":3,"seed":1,"temperature":0.8,"max_completion_tokens":6,"logprobs":true,"top_logprobs":2,"frequency_penalty":0.5,"presence_penalty":0.5}"""));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var choices = doc.RootElement.GetProperty("choices");
        Assert.Equal(3, choices.GetArrayLength());
        Assert.Equal([0, 1, 2], choices.EnumerateArray().Select(c => c.GetProperty("index").GetInt32()));
        foreach (var c in choices.EnumerateArray())
        {
            var lps = c.GetProperty("logprobs").GetProperty("content");
            Assert.Equal(6, lps.GetArrayLength());
            foreach (var lp in lps.EnumerateArray())
            {
                Assert.True(lp.GetProperty("logprob").GetSingle() <= 0);
                Assert.Equal(2, lp.GetProperty("top_logprobs").GetArrayLength());
            }
        }
        Assert.Equal(18, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task LegacyCompletionsStreamAndNot()
    {
        var r = await f.Http.PostAsync("/v1/completions", Json("""{"model":"scripted","prompt":"Once upon a time","max_tokens":4,"logprobs":1}"""));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("text_completion", doc.RootElement.GetProperty("object").GetString());
        var choice = doc.RootElement.GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.StartsWith("Let me", choice.GetProperty("text").GetString());   // raw text: no reasoning split
        Assert.Equal(4, choice.GetProperty("logprobs").GetProperty("tokens").GetArrayLength());
        var (events, done) = await Sse("/v1/completions", """{"model":"scripted","prompt":["a","b"],"max_tokens":3,"stream":true}""");
        Assert.True(done);
        Assert.Equal(2, events.Select(e => e.GetProperty("choices")[0].GetProperty("index").GetInt32()).Distinct().Count());
    }

    [Fact]
    public async Task ExtensionsAiClientOverTheServer()
    {
        IChatClient client = Sdk.GetChatClient("scripted").AsIChatClient();
        var response = await client.GetResponseAsync("What is 2+2?", new ChatOptions { Temperature = 0 });
        Assert.Equal(TestModels.Answer, response.Text);
        Assert.Equal(TestModels.R1Script.Length, response.Usage!.OutputTokenCount);
        var streamed = new StringBuilder();
        await foreach (var u in client.GetStreamingResponseAsync("What is 2+2?")) streamed.Append(u.Text);
        Assert.Equal(TestModels.Answer, streamed.ToString());
    }

    public static TheoryData<string, string, int, string?> BadRequests => new()
    {
        { "/v1/chat/completions", "{not json", 400, null },
        { "/v1/chat/completions", "[1,2]", 400, null },
        { "/v1/chat/completions", """{"model":"scripted"}""", 400, "messages" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[]}""", 400, "messages" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"wizard","content":"hi"}]}""", 400, "messages[0].role" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user"}]}""", 400, "messages[0].content" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""", 400, "model" },
        { "/v1/chat/completions", """{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}""", 400, "model" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"temperature":3}""", 400, "temperature" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", 400, "temperature" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"top_p":0}""", 400, "top_p" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", 400, "max_tokens" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"n":9}""", 400, "n" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"presence_penalty":-3}""", 400, "presence_penalty" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"frequency_penalty":2.5}""", 400, "frequency_penalty" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"top_logprobs":3}""", 400, "top_logprobs" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":30}""", 400, "top_logprobs" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"stop":["a","b","c","d","e"]}""", 400, "stop" },
        { "/v1/chat/completions", """{"model":"scripted","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}""", 400, "stream_options" },
        { "/v1/chat/completions", """{"model":"chat-tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":100000}""", 400, "max_tokens" },
        { "/v1/completions", """{"model":"scripted"}""", 400, "prompt" },
        { "/v1/completions", """{"model":"scripted","prompt":""}""", 400, "prompt" },
        { "/v1/completions", """{"model":"scripted","prompt":[99999]}""", 400, "prompt" },
        { "/v1/nothing", "{}", 404, null },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputGetsAnOpenAiShapedErrorAndTheServerStaysUp(string path, string body, int status, string? param)
    {
        var r = await f.Http.PostAsync(path, Json(body));
        Assert.Equal(status, (int)r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var e = doc.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(e.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
        Assert.Equal(param, e.GetProperty("param").GetString());
        Assert.True(e.TryGetProperty("code", out _));
        Assert.Equal(HttpStatusCode.OK, (await f.Http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task PromptLongerThanTheContextIs400()
    {
        var big = string.Concat(Enumerable.Repeat("lorem ipsum dolor ", 200));
        var r = await f.Http.PostAsync("/v1/chat/completions", Json(JsonSerializer.Serialize(new { model = "chat-tiny", messages = new[] { new { role = "user", content = big } } })));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("context_length_exceeded", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task OversizedBodyIs413()
    {
        var big = new string('x', 100 * 1024);
        var r = await f.Http.PostAsync("/v1/chat/completions", Json(JsonSerializer.Serialize(new { model = "scripted", messages = new[] { new { role = "user", content = big } } })));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("request_too_large", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task MetricsArePrometheusText()
    {
        await Sdk.GetChatClient("scripted").CompleteChatAsync([new UserChatMessage("hi")]);
        await Task.Delay(200);
        var text = await f.Http.GetStringAsync("/metrics");
        foreach (var name in new[] { "sharpseek_requests", "sharpseek_completion_tokens", "sharpseek_time_to_first_token", "sharpseek_queue_depth", "sharpseek_tokens_per_second", "sharpseek_http_requests", "sharpseek_prompt_cache_miss_tokens" })
            Assert.Contains(name, text);
    }

    internal static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>POSTs and reads the SSE stream: the JSON events and whether it ended with [DONE].</summary>
    async Task<(List<JsonElement> Events, bool Done)> Sse(string path, string body)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        using var resp = await f.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", resp.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
        var events = new List<JsonElement>();
        bool done = false;
        while (await reader.ReadLineAsync() is string line)
        {
            if (!line.StartsWith("data: ")) continue;
            var data = line["data: ".Length..];
            if (data == "[DONE]") { done = true; continue; }
            events.Add(JsonDocument.Parse(data).RootElement.Clone());
        }
        return (events, done);
    }
}

public class ApiKeyTests(KeyedServerFixture f) : IClassFixture<KeyedServerFixture>
{
    [Fact]
    public async Task MissingOrWrongKeyIs401AndTheRightKeyWorks()
    {
        using var anon = new HttpClient { BaseAddress = f.BaseUrl };
        var r = await anon.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Contains("invalid_api_key", await r.Content.ReadAsStringAsync());
        anon.DefaultRequestHeaders.Authorization = new("Bearer", "sk-wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.PostAsync("/v1/chat/completions", ApiTests.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync("/health")).StatusCode);   // health stays open for probes

        var sdk = new OpenAIClient(new ApiKeyCredential(KeyedServerFixture.Key), new OpenAIClientOptions { Endpoint = f.V1 });
        var c = await sdk.GetChatClient("scripted").CompleteChatAsync([new UserChatMessage("2+2?")]);
        Assert.Equal(TestModels.Answer, c.Value.Content[0].Text);
        var bad = new OpenAIClient(new ApiKeyCredential("sk-nope"), new OpenAIClientOptions { Endpoint = f.V1 });
        var e = await Assert.ThrowsAsync<ClientResultException>(() => bad.GetChatClient("scripted").CompleteChatAsync([new UserChatMessage("2+2?")]));
        Assert.Equal(401, e.Status);
    }
}
