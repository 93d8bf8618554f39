// The HTTP server: OpenAI/DeepSeek-compatible API (/v1/models, /v1/chat/completions, /v1/completions), SSE
// streaming, /health, Prometheus /metrics through OpenTelemetry, the web chat page at /, optional Bearer key.
// Bound to loopback unless told otherwise. Every ServingModel it serves keeps its own scheduler.
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using SharpSeek.Engine;

namespace SharpSeek.Server;

public sealed record ServerOptions
{
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 = any free port (tests).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>When set, /v1/* requires "Authorization: Bearer &lt;key&gt;".</summary>
    public string? ApiKey { get; init; }
    public long MaxRequestBodyBytes { get; init; } = 1 << 20;
    /// <summary>Logs as one JSON object per line (else the simple console format).</summary>
    public bool JsonLogs { get; init; }
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    /// <summary>Extra logger provider (tests capture logs with it).</summary>
    public ILoggerProvider? LoggerProvider { get; init; }
}

public sealed class SharpSeekServer : IAsyncDisposable
{
    public WebApplication App { get; }
    public IReadOnlyDictionary<string, ServingModel> Models { get; }
    public ServerOptions Options { get; }
    /// <summary>The address Kestrel bound (known after StartAsync), e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    SharpSeekServer(WebApplication app, IReadOnlyDictionary<string, ServingModel> models, ServerOptions options)
    {
        App = app; Models = models; Options = options;
    }

    public static SharpSeekServer Create(ServerOptions options, params ServingModel[] models)
    {
        if (models.Length == 0) throw new ArgumentException("serve needs at least one model");
        var byId = new Dictionary<string, ServingModel>(StringComparer.Ordinal);
        foreach (var m in models)
            if (!byId.TryAdd(m.Id, m)) throw new ArgumentException($"two models are named '{m.Id}'; give them distinct ids");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            if (options.Host is "localhost") k.ListenLocalhost(options.Port);
            else k.Listen(IPAddress.Parse(options.Host is "*" or "0.0.0.0" ? "0.0.0.0" : options.Host), options.Port);
        });
        builder.Logging.ClearProviders();
        if (options.JsonLogs) builder.Logging.AddJsonConsole(o => o.IncludeScopes = false);
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        if (options.LoggerProvider is not null) builder.Logging.AddProvider(options.LoggerProvider);
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(EngineMetrics.MeterName, ServerMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        builder.Services.AddSingleton<ServerMetrics>();

        var app = builder.Build();
        var server = new SharpSeekServer(app, byId, options);
        var api = new OpenAiEndpoints(server, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SharpSeek.Server"), app.Services.GetRequiredService<ServerMetrics>());

        app.Use(async (ctx, next) =>
        {
            try
            {
                if (options.ApiKey is not null && (ctx.Request.Path.StartsWithSegments("/v1") || ctx.Request.Path.StartsWithSegments("/beta")) && !Authorized(ctx.Request, options.ApiKey))
                    throw new ApiException(401, "Incorrect or missing API key. Send it as 'Authorization: Bearer <key>' (the key given to serve --api-key).", "invalid_request_error", null, "invalid_api_key");
                await next(ctx);
            }
            catch (ApiException e) when (!ctx.Response.HasStarted)
            {
                await WriteError(ctx, e);
            }
            catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
            {
                await WriteError(ctx, new ApiException(e.StatusCode, e.Message, "invalid_request_error", null, e.StatusCode == 413 ? "request_too_large" : "bad_request"));
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { /* client went away */ }
            catch (Exception e) when (!ctx.Response.HasStarted)
            {
                app.Logger.LogError(e, "unhandled error on {Path}", ctx.Request.Path.Value);
                await WriteError(ctx, new ApiException(500, "internal server error: " + e.Message, "server_error"));
            }
        });

        app.MapGet("/health", () => Results.Json(new { status = "ok", models = byId.Keys }));
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/v1/models", api.ListModels);
        app.MapGet("/v1/models/{id}", api.GetModel);
        app.MapPost("/v1/chat/completions", api.ChatCompletions);
        app.MapPost("/v1/completions", api.Completions);
        // DeepSeek's beta base URL: chat prefix completion and FIM completion live under /beta
        app.MapPost("/beta/chat/completions", api.ChatCompletions);
        app.MapPost("/beta/completions", api.Completions);
        app.MapFallback("/v1/{**rest}", (HttpContext ctx) => throw new ApiException(404, $"unknown endpoint {ctx.Request.Method} {ctx.Request.Path}", "invalid_request_error", null, "unknown_url"));
        WebPage.Map(app);
        return server;
    }

    static bool Authorized(HttpRequest request, string key)
    {
        string header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        var given = Encoding.UTF8.GetBytes(header[prefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(key));
    }

    internal static Task WriteError(HttpContext ctx, ApiException e)
    {
        ctx.Response.StatusCode = e.Status;
        if (e.Status == 401) ctx.Response.Headers.WWWAuthenticate = "Bearer";
        if (e.Status == 429) ctx.Response.Headers.RetryAfter = "1";
        return ctx.Response.WriteAsJsonAsync(e.Body);
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        await App.StartAsync(ct);
        var addresses = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Address = new Uri(addresses.First().Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1").TrimEnd('/') + "/");
    }

    public Task RunUntilShutdownAsync(CancellationToken ct = default) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(App, ct);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
