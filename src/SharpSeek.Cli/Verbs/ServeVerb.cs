// `sharpseek serve [--model M] [--host H] [--port P] [--api-key K]`: the OpenAI/DeepSeek-compatible server and the
// web chat page, bound to loopback unless --host says otherwise. Ctrl-C stops it.
using System.CommandLine;
using Microsoft.Extensions.Logging;
using SharpSeek.Engine;
using SharpSeek.Server;

namespace SharpSeek.Cli.Verbs;

public static class ServeVerb
{
    public static Command Create()
    {
        var model = new Option<string[]>("--model") { Description = "model folder(s); repeat to serve several; default: the embedded model", AllowMultipleArgumentsPerToken = false };
        var host = new Option<string>("--host") { Description = "address to bind (0.0.0.0 for every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port)", DefaultValueFactory = _ => 8080 };
        var apiKey = new Option<string?>("--api-key") { Description = "require 'Authorization: Bearer KEY' on /v1 (or set SHARPSEEK_API_KEY)" };
        var context = new Option<int>("--context") { Description = "context length per request in tokens (capped by the model's)", DefaultValueFactory = _ => 4096 };
        var maxBatch = new Option<int>("--max-batch") { Description = "sequences decoded together per step", DefaultValueFactory = _ => 8 };
        var maxQueue = new Option<int>("--max-queue") { Description = "requests waiting for a slot before 429", DefaultValueFactory = _ => 32 };
        var prefillChunk = new Option<int>("--prefill-chunk") { Description = "prompt tokens per step (chunked prefill; 0 = whole prompts)", DefaultValueFactory = _ => 512 };
        var maxTokens = new Option<int>("--default-max-tokens") { Description = "max_tokens when a request gives none", DefaultValueFactory = _ => 1024 };
        var jsonLogs = new Option<bool>("--json-logs") { Description = "structured logs, one JSON object per line" };
        var cacheMb = new Option<int>("--prefix-cache-mb") { Description = "memory for KV blocks of earlier prompts, reused by requests that begin alike (0 = off)", DefaultValueFactory = _ => 256 };
        var cacheDir = new Option<string?>("--prefix-cache-dir") { Description = "spill prefix-cache blocks evicted from memory to this directory (a folder per model)" };
        var cacheDiskMb = new Option<int>("--prefix-cache-disk-mb") { Description = "disk the spilled blocks may use", DefaultValueFactory = _ => 4096 };
        var singleTurn = new Option<bool?>("--single-turn") { Description = "the web page sends each message without the earlier turns (default: on for the embedded model, which was trained on single problems; off otherwise)" };
        var cmd = new Command("serve", "Serve models over an OpenAI/DeepSeek-compatible HTTP API with a web chat page.")
            { model, host, port, apiKey, context, maxBatch, maxQueue, prefillChunk, maxTokens, jsonLogs, cacheMb, cacheDir, cacheDiskMb, singleTurn };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var paths = parse.GetValue(model) is { Length: > 0 } given ? given.Select(ModelPaths.Resolve).ToArray() : [ModelPaths.Resolve(null)];
            var options = new EngineOptions
            {
                Scheduler = new SchedulerOptions { ContextLength = parse.GetValue(context), MaxBatch = parse.GetValue(maxBatch), MaxQueue = parse.GetValue(maxQueue), PrefillChunk = parse.GetValue(prefillChunk),
                    PrefixCacheBytes = parse.GetValue(cacheMb) * (1L << 20), PrefixCacheDir = parse.GetValue(cacheDir), PrefixCacheDiskBytes = parse.GetValue(cacheDiskMb) * (1L << 20) },
                DefaultMaxTokens = parse.GetValue(maxTokens),
            };
            bool embedded = parse.GetValue(model) is not { Length: > 0 };
            var models = paths.Select(p => { Console.Error.WriteLine($"loading {p} …"); return ModelPaths.Load(p, options); }).ToArray();
            foreach (var m in models) m.SingleTurn = parse.GetValue(singleTurn) ?? embedded;
            var server = SharpSeekServer.Create(new ServerOptions
            {
                Host = parse.GetValue(host)!, Port = parse.GetValue(port),
                ApiKey = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("SHARPSEEK_API_KEY"),
                JsonLogs = parse.GetValue(jsonLogs), LogLevel = LogLevel.Information,
            }, models);
            server.StartAsync().GetAwaiter().GetResult();
            Console.Error.WriteLine($"serving {string.Join(", ", models.Select(m => m.Id))} at {server.Address}  (OpenAI base URL {server.Address}v1; web chat {server.Address}; Ctrl-C stops)");
            server.RunUntilShutdownAsync().GetAwaiter().GetResult();
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            foreach (var m in models) m.Dispose();
            return 0;
        }));
        return cmd;
    }
}
