// The DeepSeek API's extras end to end through the real server and the official OpenAI .NET SDK /
// Microsoft.Extensions.AI: function calling (a round trip with a model made to call tools, the function-invocation
// pipeline over HTTP and in-process), chat prefix completion, FIM completion, and the thinking budget — plus the
// OpenAI-shaped 400s for bad tool/prefix requests.
using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using SharpSeek.Server;
using SharpSeek.Tokenizers;
using Xunit;
#pragma warning disable OPENAI001   // ReasoningEffortLevel and Seed are marked experimental in the SDK
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace SharpSeek.Engine.Tests;

/// <summary>
/// A model made to call tools: unless the prompt ends with tool results it reasons briefly and calls get_weather
/// for Paris (DeepSeek's tool-call tokens); after tool results it answers. One-hot logits, like ScriptedModel.
/// </summary>
public sealed class ToolCallingModel(Tokenizer tok) : IStepModel
{
    sealed class Cache(int capacity) : ISequenceCache
    {
        public readonly List<int> Prompt = [];
        public int Length { get; set; }
        public int Capacity { get; } = capacity;
        public int PromptLength;
    }

    public const string Call = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
    public const string Answer = "It is sunny in Paris.";
    readonly int[] callScript = [.. tok.Encode("I should look it up.\n</think>\n\n" + Call), tok.EosId!.Value];
    readonly int[] answerScript = [.. tok.Encode(Answer), tok.EosId!.Value];
    readonly int outputsEnd = tok.TokenToId("<｜tool▁outputs▁end｜>")!.Value;

    public int VocabSize => 512;
    public int ContextLength => 4096;
    public ISequenceCache NewCache(int capacity) => new Cache(capacity);

    public void Step(ReadOnlySpan<StepItem> items, Span<float> logits)
    {
        for (int b = 0; b < items.Length; b++)
        {
            var c = (Cache)items[b].Cache;
            if (items[b].Prompt) { c.Prompt.AddRange(items[b].Tokens.ToArray()); c.PromptLength = c.Prompt.Count; }
            c.Length += items[b].Tokens.Length;
            var script = c.Prompt[^1] == outputsEnd ? answerScript : callScript;     // the template ends with the tool outputs
            var row = logits.Slice(b * VocabSize, VocabSize);
            row.Clear();
            row[script[Math.Min(c.Length - c.PromptLength, script.Length - 1)]] = 40f;
        }
    }
}

public sealed class ToolServerFixture : IAsyncLifetime
{
    public SharpSeekServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public ServingModel Caller { get; private set; } = null!;
    public ServingModel ToolsTiny { get; private set; } = null!;
    public ServingModel ChatTiny { get; private set; } = null!;
    public ServingModel Thinker { get; private set; } = null!;
    public Uri V1 => new(Server.Address, "v1");

    /// <summary>Reasons forever (one token, <see cref="Piece"/>, over and over): only the engine can close the reasoning.</summary>
    public static int[] EndlessReasoning => [.. Enumerable.Repeat(TestModels.Ids(" la", eos: false)[0], 400)];
    public static string Piece => TestModels.Tokenizer.Decode([TestModels.Ids(" la", eos: false)[0]]);

    public async Task InitializeAsync()
    {
        var tok = Tokenizer.Load(ToolCallTests.ToolsTinyDir);
        var options = new EngineOptions { Scheduler = new SchedulerOptions { ContextLength = 2048 }, DefaultMaxTokens = 128 };
        Caller = new ServingModel("tool-caller", new ToolCallingModel(tok), tok, ChatFormats.For(tok), [tok.EosId!.Value], options);
        Thinker = TestModels.Scripted(EndlessReasoning, id: "thinker", defaultMaxTokens: 64);
        ToolsTiny = ServingModel.Load(ToolCallTests.ToolsTinyDir, options with { Threads = 1, DefaultMaxTokens = 16 });
        ChatTiny = TestModels.ChatTiny(new SchedulerOptions { ContextLength = 512 }, defaultMaxTokens: 16);
        Server = SharpSeekServer.Create(new ServerOptions { Port = 0, LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning }, Caller, Thinker, ToolsTiny, ChatTiny);
        await Server.StartAsync();
        Http = new HttpClient { BaseAddress = Server.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Caller.Dispose(); Thinker.Dispose(); ToolsTiny.Dispose(); ChatTiny.Dispose();
    }
}

public class DeepSeekApiTests(ToolServerFixture f) : IClassFixture<ToolServerFixture>
{
    OpenAIClient Sdk => new(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = f.V1 });
    const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""";

    async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, object body)
    {
        using var r = await f.Http.PostAsJsonAsync(path, body);
        return (r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    static object WeatherTool => new { type = "function", function = new { name = "get_weather", description = "Current weather", parameters = JsonDocument.Parse(WeatherSchema).RootElement } };

    // ------------------------------------------------------------------ function calling

    [Fact]
    public async Task Tool_round_trip_through_the_OpenAI_SDK()
    {
        var chat = Sdk.GetChatClient("tool-caller");
        var tool = ChatTool.CreateFunctionTool("get_weather", "Current weather", BinaryData.FromString(WeatherSchema));
        var options = new ChatCompletionOptions { Tools = { tool } };
        List<OpenAI.Chat.ChatMessage> history = [new UserChatMessage("Weather in Paris?")];
        var first = (await chat.CompleteChatAsync(history, options)).Value;
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());
        Assert.StartsWith("call_", call.Id);

        history.Add(new AssistantChatMessage(first.ToolCalls));
        history.Add(new ToolChatMessage(call.Id, "sunny, 21 °C"));
        var second = (await chat.CompleteChatAsync(history, options)).Value;
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Empty(second.ToolCalls);
        Assert.Equal(ToolCallingModel.Answer, second.Content[0].Text);
    }

    [Fact]
    public async Task Streamed_tool_calls_arrive_as_deltas_with_index_id_and_arguments()
    {
        var chat = Sdk.GetChatClient("tool-caller");
        var options = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "w", BinaryData.FromString(WeatherSchema)) } };
        var builder = new List<StreamingChatToolCallUpdate>();
        ChatFinishReason? finish = null;
        await foreach (var u in chat.CompleteChatStreamingAsync([new UserChatMessage("Weather?")], options))
        {
            builder.AddRange(u.ToolCallUpdates);
            finish ??= u.FinishReason;
        }
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        var update = Assert.Single(builder);
        Assert.Equal(0, update.Index);
        Assert.Equal("get_weather", update.FunctionName);
        Assert.StartsWith("call_", update.ToolCallId);
        Assert.Equal("{\"city\":\"Paris\"}", update.FunctionArgumentsUpdate.ToString());
    }

    [Fact]
    public async Task Tool_choice_none_leaves_the_calls_as_text()
    {
        var (status, body) = await Post("/v1/chat/completions", new { model = "tool-caller", messages = new[] { new { role = "user", content = "Weather?" } }, tools = new[] { WeatherTool }, tool_choice = "none" });
        Assert.Equal(HttpStatusCode.OK, status);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
    }

    static async Task<string> RunFunctionInvocation(IChatClient inner)
    {
        var cities = new List<string>();
        var weather = AIFunctionFactory.Create((string city) => { cities.Add(city); return $"sunny in {city}"; }, "get_weather", "Current weather");
        using var client = new ChatClientBuilder(inner).UseFunctionInvocation().Build();
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], new ChatOptions { Tools = [weather] });
        Assert.Equal(["Paris"], cities);
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "get_weather"));
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any(r => r.Result?.ToString() == "sunny in Paris"));
        return response.Text;
    }

    [Fact]
    public async Task Function_invocation_pipeline_works_over_HTTP() =>
        Assert.Equal(ToolCallingModel.Answer, await RunFunctionInvocation(Sdk.GetChatClient("tool-caller").AsIChatClient()));

    [Fact]
    public async Task Function_invocation_pipeline_works_in_process() =>
        Assert.Equal(ToolCallingModel.Answer, await RunFunctionInvocation(new SharpSeekChatClient(f.Caller)));

    [Theory]
    [InlineData("""{"model":"tool-caller","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"description":"no name"}}]}""", "tools[0].function.name")]
    [InlineData("""{"model":"tool-caller","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"bad name!"}}]}""", "tools[0].function.name")]
    [InlineData("""{"model":"tool-caller","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"call_9","content":"r"}]}""", "messages[1].tool_call_id")]
    [InlineData("""{"model":"tool-caller","messages":[{"role":"user","content":"x"},{"role":"tool","content":"r"}]}""", "messages[1].tool_call_id")]
    [InlineData("""{"model":"tool-caller","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"nope"}},"tools":[{"type":"function","function":{"name":"a"}}]}""", "tool_choice")]
    [InlineData("""{"model":"tool-caller","messages":[{"role":"user","content":"x"}],"tool_choice":"required"}""", "tool_choice")]
    [InlineData("""{"model":"thinker","messages":[{"role":"assistant","content":"Sure","prefix":true},{"role":"user","content":"x"}]}""", "messages[0].prefix")]
    [InlineData("""{"model":"thinker","messages":[{"role":"user","content":"x","prefix":true}]}""", "messages[0].prefix")]
    [InlineData("""{"model":"thinker","messages":[{"role":"user","content":"x"}],"reasoning_effort":"extreme"}""", "reasoning_effort")]
    [InlineData("""{"model":"thinker","messages":[{"role":"user","content":"x"}],"max_reasoning_tokens":-1}""", "max_reasoning_tokens")]
    public async Task Bad_tool_and_prefix_requests_get_OpenAI_shaped_400s(string json, string param)
    {
        using var r = await f.Http.PostAsync("/v1/chat/completions", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var error = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    // ------------------------------------------------------------------ JSON output

    public static IEnumerable<object[]> Schemas() =>
    [
        ["""{"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string","enum":["a","b","c"]},"maxItems":3}},"required":["name","age","tags"],"additionalProperties":false}"""],
        ["""{"type":"object","properties":{"point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"],"additionalProperties":false},"ok":{"type":"boolean"},"kind":{"enum":["circle","square",null]}},"required":["point","ok","kind"],"additionalProperties":false}"""],
        ["""{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"note":{"type":["string","null"],"maxLength":8}},"required":["id","note"],"additionalProperties":false},"minItems":1,"maxItems":2}"""],
    ];

    [Theory, MemberData(nameof(Schemas))]
    public async Task Json_schema_output_always_parses_and_validates_even_from_a_random_model(string schema)
    {
        using var doc = JsonDocument.Parse(schema);
        for (int seed = 0; seed < 3; seed++)
        {
            var (status, body) = await Post("/v1/chat/completions", new
            {
                model = "tools-tiny", messages = new[] { new { role = "user", content = "Give me JSON" } }, max_tokens = 400, seed, temperature = 1.0,
                max_reasoning_tokens = 8,
                response_format = new { type = "json_schema", json_schema = new { name = "t", schema = doc.RootElement, strict = true } },
            });
            Assert.Equal(HttpStatusCode.OK, status);
            var choice = body.GetProperty("choices")[0];
            string content = choice.GetProperty("message").GetProperty("content").GetString()!;
            Assert.True(choice.GetProperty("finish_reason").GetString() == "stop", $"seed {seed}: did not finish: {content}");
            using var answer = JsonDocument.Parse(content);
            Assert.True(ConstrainedValidator.Valid(answer.RootElement, doc.RootElement, doc.RootElement), $"seed {seed}: {content}");
        }
    }

    [Fact]
    public async Task Json_object_mode_gives_an_object_after_free_reasoning()
    {
        // any object: a random model may write one long string and run out of tokens (finish "length", as OpenAI
        // reports truncated JSON); every reply that stops is a whole object
        int stopped = 0;
        for (int seed = 0; seed < 4; seed++)
        {
            var (status, body) = await Post("/v1/chat/completions", new
            {
                model = "tools-tiny", messages = new[] { new { role = "user", content = "JSON please" } }, max_tokens = 400, seed, max_reasoning_tokens = 20,
                response_format = new { type = "json_object" },
            });
            Assert.Equal(HttpStatusCode.OK, status);
            var choice = body.GetProperty("choices")[0];
            string content = choice.GetProperty("message").GetProperty("content").GetString()!;
            Assert.Equal(20, body.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
            Assert.StartsWith("{", content);
            if (choice.GetProperty("finish_reason").GetString() != "stop") continue;
            stopped++;
            using var answer = JsonDocument.Parse(content);
            Assert.Equal(JsonValueKind.Object, answer.RootElement.ValueKind);
        }
        Assert.True(stopped > 0);
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","pattern":"^x"}}}""", "pattern")]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":"#/$defs/missing"}}}""", "missing")]
    [InlineData("""{"type":5}""", "type")]
    public async Task A_schema_the_compiler_cannot_take_is_a_400(string schema, string mentioned)
    {
        var (status, body) = await Post("/v1/chat/completions", new
        {
            model = "tools-tiny", messages = new[] { new { role = "user", content = "x" } },
            response_format = new { type = "json_schema", json_schema = new { name = "t", schema = JsonDocument.Parse(schema).RootElement } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = body.GetProperty("error");
        Assert.Equal("response_format", error.GetProperty("param").GetString());
        Assert.Contains(mentioned, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Json_schema_and_reasoning_effort_through_the_OpenAI_SDK()
    {
        string schema = Schemas().First()[0].ToString()!;
        var options = new ChatCompletionOptions
        {
            ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat("person", BinaryData.FromString(schema), jsonSchemaIsStrict: true),
            ReasoningEffortLevel = ChatReasoningEffortLevel.Low, MaxOutputTokenCount = 1000, Seed = 1,     // low = a 512-token budget
        };
        var c = (await Sdk.GetChatClient("tools-tiny").CompleteChatAsync([new UserChatMessage("JSON")], options)).Value;
        using var doc = JsonDocument.Parse(schema);
        using var answer = JsonDocument.Parse(c.Content[0].Text);
        Assert.True(ConstrainedValidator.Valid(answer.RootElement, doc.RootElement, doc.RootElement), c.Content[0].Text);
        Assert.Equal(512, c.Usage.OutputTokenDetails.ReasoningTokenCount);        // a random model never closes its reasoning itself
    }

    [Fact]
    public async Task Json_output_through_the_chat_client_in_process()
    {
        using var doc = JsonDocument.Parse(Schemas().First()[0].ToString()!);
        var client = new SharpSeekChatClient(f.ToolsTiny);
        var r = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "JSON")], new ChatOptions
        {
            MaxOutputTokens = 400, Seed = 3, ResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat.ForJsonSchema(doc.RootElement, "person"),
            AdditionalProperties = new() { ["max_reasoning_tokens"] = 8 },
        });
        using var answer = JsonDocument.Parse(r.Text);
        Assert.True(ConstrainedValidator.Valid(answer.RootElement, doc.RootElement, doc.RootElement), r.Text);
    }

    // ------------------------------------------------------------------ constrained tool calls

    [Theory]
    [InlineData("required")]
    [InlineData("named")]
    public async Task A_random_model_forced_to_call_gives_a_valid_call(string mode)
    {
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string","maxLength":10},"days":{"type":"integer"}},"required":["city","days"],"additionalProperties":false}""");
        object choice = mode == "required" ? "required" : new { type = "function", function = new { name = "get_weather" } };
        for (int seed = 0; seed < 3; seed++)
        {
            var (status, body) = await Post("/v1/chat/completions", new
            {
                model = "tools-tiny", messages = new[] { new { role = "user", content = "Weather?" } }, max_tokens = 300, seed, max_reasoning_tokens = 6,
                tools = new object[]
                {
                    new { type = "function", function = new { name = "get_weather", parameters = schema.RootElement } },
                    new { type = "function", function = new { name = "get_time", parameters = JsonDocument.Parse("""{"type":"object","properties":{},"additionalProperties":false}""").RootElement } },
                },
                tool_choice = choice, parallel_tool_calls = false,
            });
            Assert.Equal(HttpStatusCode.OK, status);
            var c = body.GetProperty("choices")[0];
            Assert.Equal("tool_calls", c.GetProperty("finish_reason").GetString());
            var call = Assert.Single(c.GetProperty("message").GetProperty("tool_calls").EnumerateArray());
            string name = call.GetProperty("function").GetProperty("name").GetString()!;
            if (mode == "named") Assert.Equal("get_weather", name);
            using var args = JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!);
            if (name == "get_weather") Assert.True(ConstrainedValidator.Valid(args.RootElement, schema.RootElement, schema.RootElement), args.RootElement.GetRawText());
            else Assert.Equal("{}", args.RootElement.GetRawText());
        }
    }

    [Fact]
    public async Task Json_output_with_auto_tools_allows_either_a_call_or_json()
    {
        // the scripted caller takes the tool branch of the grammar
        var (status, body) = await Post("/v1/chat/completions", new
        {
            model = "tool-caller", messages = new[] { new { role = "user", content = "Weather?" } }, tools = new[] { WeatherTool },
            response_format = new { type = "json_object" },
        });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("tool_calls", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        // a random model ends with one or the other, whole
        for (int seed = 0; seed < 3; seed++)
        {
            (status, body) = await Post("/v1/chat/completions", new
            {
                model = "tools-tiny", messages = new[] { new { role = "user", content = "x" } }, tools = new[] { WeatherTool }, max_tokens = 400, seed,
                max_reasoning_tokens = 6, response_format = new { type = "json_object" },
            });
            Assert.Equal(HttpStatusCode.OK, status);
            var c = body.GetProperty("choices")[0];
            string finish = c.GetProperty("finish_reason").GetString()!;
            if (finish == "tool_calls")
                Assert.Equal("get_weather", c.GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("name").GetString());
            else if (finish == "stop")
                Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(c.GetProperty("message").GetProperty("content").GetString()!).RootElement.ValueKind);
            else Assert.Equal("length", finish);
        }
    }

    [Fact]
    public async Task A_bad_parameters_schema_is_a_400_naming_tools()
    {
        var (status, body) = await Post("/v1/chat/completions", new
        {
            model = "tools-tiny", messages = new[] { new { role = "user", content = "x" } }, tool_choice = "required",
            tools = new[] { new { type = "function", function = new { name = "f", parameters = JsonDocument.Parse("""{"type":"object","properties":{"a":{"not":{}}}}""").RootElement } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("tools", body.GetProperty("error").GetProperty("param").GetString());
    }

    // ------------------------------------------------------------------ chat prefix completion

    [Fact]
    public void Prefix_turns_continue_the_answer_or_the_reasoning()
    {
        var m = f.Thinker;
        List<ChatTurn> user = [new("user", "2+2?")];
        string open = m.PrepareChat(user).Text;
        Assert.EndsWith("<think>\n", open);
        var answer = m.PrepareChat([.. user, new ChatTurn("assistant", "The answer is") { Prefix = true, Reasoning = "easy" }]);
        Assert.Equal(open + "easy\n</think>\n\nThe answer is", answer.Text);
        Assert.False(answer.StartInReasoning);
        var thinking = m.PrepareChat([.. user, new ChatTurn("assistant", "") { Prefix = true, Reasoning = "First," }]);
        Assert.Equal(open + "First,", thinking.Text);
        Assert.True(thinking.StartInReasoning);
    }

    [Fact]
    public async Task Prefix_completion_over_the_beta_endpoint_returns_the_continuation()
    {
        var (status, body) = await Post("/beta/chat/completions", new
        {
            model = "thinker", max_tokens = 3,
            messages = new object[] { new { role = "user", content = "Say la" }, new { role = "assistant", content = "La", prefix = true } },
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var message = body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(ToolServerFixture.Piece + ToolServerFixture.Piece + ToolServerFixture.Piece, message.GetProperty("content").GetString());     // raw tokens after the prefix
        Assert.False(message.TryGetProperty("reasoning_content", out _));
        int promptTokens = f.Thinker.PrepareChat([new ChatTurn("user", "Say la"), new ChatTurn("assistant", "La") { Prefix = true }]).Tokens.Length;
        Assert.Equal(promptTokens, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    // ------------------------------------------------------------------ FIM

    [Fact]
    public async Task Fim_uses_the_tokenizer_fim_tokens()
    {
        var p = f.ToolsTiny.PrepareFim("def add(a, b):\n    ", "\n    return c");
        Assert.Equal("<｜fim▁begin｜>def add(a, b):\n    <｜fim▁hole｜>\n    return c<｜fim▁end｜>", p.Text);
        var tok = f.ToolsTiny.Tokenizer;
        Assert.Equal(tok.BosId, p.Tokens[0]);
        Assert.Contains(tok.TokenToId("<｜fim▁hole｜>")!.Value, p.Tokens);
        var (status, body) = await Post("/beta/completions", new { model = "tools-tiny", prompt = "def add(a, b):\n    ", suffix = "\n    return c", max_tokens = 4, temperature = 0 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(p.Tokens.Length, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Fim_on_a_model_without_fim_tokens_is_a_400_naming_suffix()
    {
        var (status, body) = await Post("/beta/completions", new { model = "chat-tiny", prompt = "a", suffix = "b" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("suffix", body.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("fill-in-the-middle", body.GetProperty("error").GetProperty("message").GetString());
    }

    // ------------------------------------------------------------------ thinking budget

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(17)]
    public async Task The_thinking_budget_is_enforced_to_the_token(int budget)
    {
        var m = f.Thinker;
        Assert.Equal(2, m.Scheduler.ThinkCloseReasoningTokens);            // "\n" "</think>"
        var p = m.PrepareChat([new ChatTurn("user", "think")], maxReasoningTokens: budget);
        var r = await m.Submit(new GenerationRequest { Prompt = p.Tokens, StartInReasoning = p.StartInReasoning, MaxTokens = 40, MaxReasoningTokens = budget }).CompleteAsync();
        Assert.Equal(budget, r.Usage.ReasoningTokens);
        Assert.Equal(string.Concat(Enumerable.Repeat(ToolServerFixture.Piece, budget - 2)).Trim(), r.Reasoning.Trim());
        Assert.StartsWith(ToolServerFixture.Piece.Trim(), r.Content);       // the model answers after the forced close
        Assert.Equal(FinishReason.Length, r.Finish);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_budget_below_the_closing_tag_skips_the_thinking(int budget)
    {
        var m = f.Thinker;
        var p = m.PrepareChat([new ChatTurn("user", "think")], maxReasoningTokens: budget);
        Assert.EndsWith("<think>\n\n</think>\n\n", p.Text);
        Assert.False(p.StartInReasoning);
        var r = await m.Submit(new GenerationRequest { Prompt = p.Tokens, StartInReasoning = p.StartInReasoning, MaxTokens = 5, MaxReasoningTokens = budget }).CompleteAsync();
        Assert.Equal(0, r.Usage.ReasoningTokens);
        Assert.Equal("", r.Reasoning);
    }

    [Fact]
    public async Task Reasoning_effort_maps_to_a_budget_over_HTTP()
    {
        var (status, body) = await Post("/v1/chat/completions", new { model = "thinker", messages = new[] { new { role = "user", content = "x" } }, max_tokens = 20, reasoning_effort = "minimal" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, body.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        (status, body) = await Post("/v1/chat/completions", new { model = "thinker", messages = new[] { new { role = "user", content = "x" } }, max_tokens = 20, max_reasoning_tokens = 7 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(7, body.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.Equal(string.Concat(Enumerable.Repeat(ToolServerFixture.Piece, 5)).Trim(), body.GetProperty("choices")[0].GetProperty("message").GetProperty("reasoning_content").GetString()!.Trim());
    }

    [Fact]
    public async Task The_chat_client_takes_the_budget_from_reasoning_options()
    {
        var client = new SharpSeekChatClient(f.Thinker);
        var r = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "x")], new ChatOptions { MaxOutputTokens = 20, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None } });
        Assert.Equal(0, r.Usage!.ReasoningTokenCount);
        var r2 = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "x")], new ChatOptions { MaxOutputTokens = 20, AdditionalProperties = new() { ["max_reasoning_tokens"] = 6 } });
        Assert.Equal(6, r2.Usage!.ReasoningTokenCount);
    }
}
