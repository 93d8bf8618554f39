// The engine's instruments (System.Diagnostics.Metrics, meter "SharpSeek.Engine"); the server exports them in
// Prometheus text through OpenTelemetry. Names follow OpenTelemetry conventions (units in the instrument).
using System.Diagnostics.Metrics;

namespace SharpSeek.Engine;

public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "SharpSeek.Engine";
    readonly Meter meter;
    internal readonly Counter<long> Requests;
    internal readonly Counter<long> PromptTokens;
    internal readonly Counter<long> CompletionTokens;
    internal readonly Counter<long> Rejected;
    internal readonly Counter<long> PromptCacheHitTokens;
    internal readonly Counter<long> PromptCacheMissTokens;
    internal readonly Histogram<double> TimeToFirstToken;
    internal readonly Histogram<double> BatchSize;

    public EngineMetrics(Func<int> queueDepth, Func<int> active, Func<double> tokensPerSecond)
    {
        meter = new Meter(MeterName);
        Requests = meter.CreateCounter<long>("sharpseek.requests", "{request}", "generation requests finished, by finish_reason");
        PromptTokens = meter.CreateCounter<long>("sharpseek.prompt_tokens", "{token}", "prompt tokens prefilled");
        CompletionTokens = meter.CreateCounter<long>("sharpseek.completion_tokens", "{token}", "tokens generated");
        Rejected = meter.CreateCounter<long>("sharpseek.rejected", "{request}", "requests refused because the queue was full");
        PromptCacheHitTokens = meter.CreateCounter<long>("sharpseek.prompt_cache_hit_tokens", "{token}", "prompt tokens whose KV rows came from the prefix cache");
        PromptCacheMissTokens = meter.CreateCounter<long>("sharpseek.prompt_cache_miss_tokens", "{token}", "prompt tokens prefilled (not found in the prefix cache)");
        TimeToFirstToken = meter.CreateHistogram<double>("sharpseek.time_to_first_token", "s", "submission to first generated token");
        BatchSize = meter.CreateHistogram<double>("sharpseek.decode_batch_size", "{sequence}", "sequences per decode step");
        meter.CreateObservableGauge("sharpseek.queue_depth", queueDepth, "{request}", "requests waiting for a slot");
        meter.CreateObservableGauge("sharpseek.active_sequences", active, "{sequence}", "sequences being decoded");
        meter.CreateObservableGauge("sharpseek.tokens_per_second", tokensPerSecond, "{token}/s", "generated tokens per second over the last few seconds");
    }

    public void Dispose() => meter.Dispose();
}
