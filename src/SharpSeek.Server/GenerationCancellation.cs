namespace SharpSeek.Server;

/// <summary>
/// The cancellation of one request's generations: set when the client goes away (RequestAborted) and when the
/// handler leaves by any path. Kestrel signals RequestAborted on a thread-pool item, so a write to a closed
/// connection can fail before it is set; a linked source disposed then would never fire, and the orphaned
/// generation would run to max_tokens in a slot nobody reads.
/// </summary>
public sealed class GenerationCancellation(CancellationToken requestAborted) : IDisposable
{
    readonly CancellationTokenSource source = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
    public CancellationToken Token => source.Token;
    public void Cancel() => source.Cancel();
    public void Dispose()
    {
        source.Cancel();   // finished generations ignore it; running ones stop at the next scheduler step
        source.Dispose();
    }
}
