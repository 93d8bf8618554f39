// HTTP-level instruments (meter "SharpSeek.Server"); the engine's own (tokens, TTFT, queue depth) live in EngineMetrics.
using System.Diagnostics.Metrics;

namespace SharpSeek.Server;

public sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "SharpSeek.Server";
    readonly Meter meter = new(MeterName);
    readonly Counter<long> requests;
    readonly UpDownCounter<long> streams;

    public ServerMetrics()
    {
        requests = meter.CreateCounter<long>("sharpseek.http.requests", "{request}", "API requests by endpoint and status code");
        streams = meter.CreateUpDownCounter<long>("sharpseek.http.open_streams", "{stream}", "SSE responses in progress");
    }

    public void Request(string endpoint, int status) =>
        requests.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("status", status));

    public void StreamOpened() => streams.Add(1);
    public void StreamClosed() => streams.Add(-1);

    public void Dispose() => meter.Dispose();
}
