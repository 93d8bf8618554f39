// A fixed team of threads for parallel row loops (`-t N`): the caller plus N−1 persistent workers. A call hands
// out [start, end) chunks of the index range from one atomic counter; idle workers spin briefly (decode makes
// hundreds of back-to-back calls per token) and then sleep on a monitor. No allocation per call with the
// struct-job overload. Not re-entrant: a For issued from inside a job (or from a second thread while one
// runs) simply runs inline on the calling thread. `Shared` is a process-wide pool for code that has no pool of
// its own to pass around (the training kernels).
using System.Runtime.CompilerServices;

namespace SharpSeek.Tensors;

/// <summary>A loop body over [start, end), run on pool threads; keep it an unmanaged struct of pointers/ints.</summary>
public interface IParallelJob
{
    void Run(int start, int end);
}

public sealed unsafe class WorkerPool : IDisposable
{
    const int SpinIterations = 20_000;          // ≈ 50–100 µs of pause loops before sleeping

    readonly Thread[] _workers;
    readonly object _sleep = new();
    long _generation;                           // call sequence number; workers wake when it changes
    long _state;                                // (sequence << 32) | next unclaimed index of the current call
    int _sleepers;
    int _done;                                  // chunks finished in the current call
    int _busy;                                  // 1 while a call is running (re-entrancy guard)
    volatile bool _disposed;

    // the current call (written before _state publishes its sequence number)
    delegate*<void*, int, int, void> _fn;
    void* _ctx;
    int _count, _chunk;
    Exception? _error;

    public int Threads { get; }

    static WorkerPool? _shared;

    /// <summary>The process-wide pool: one thread per core until <see cref="SetSharedThreads"/> sizes it.</summary>
    public static WorkerPool Shared
    {
        get
        {
            if (Volatile.Read(ref _shared) is { } p) return p;
            var fresh = new WorkerPool(Environment.ProcessorCount);
            if (Interlocked.CompareExchange(ref _shared, fresh, null) is { } won) { fresh.Dispose(); return won; }
            return fresh;
        }
    }

    /// <summary>Replaces the shared pool by one of `threads` threads (a call running on the old one finishes on its caller).</summary>
    public static void SetSharedThreads(int threads)
    {
        if (Volatile.Read(ref _shared)?.Threads == threads) return;
        Interlocked.Exchange(ref _shared, new WorkerPool(threads))?.Dispose();
    }

    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "a pool needs at least one thread (-t 1)");
        Threads = threads;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"SharpSeek worker {i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Runs body(start, end) over [0, count) split into chunks across the pool; returns when all are done.
    /// maxChunks (default 4 per thread) caps the split: raise it for items of very uneven cost (MoE experts).</summary>
    public void For(int count, Action<int, int> body, int minChunk = 1, int maxChunks = 0)
    {
        var h = System.Runtime.InteropServices.GCHandle.Alloc(body);
        try
        {
            var job = new DelegateJob { Handle = System.Runtime.InteropServices.GCHandle.ToIntPtr(h) };
            For(count, ref job, minChunk, maxChunks);
        }
        finally { h.Free(); }
    }

    /// <summary>body(i) for every i in [0, count), one index per claim: for items of uneven cost or already chunked.</summary>
    public void ForEach(int count, Action<int> body) =>
        For(count, (start, end) => { for (int i = start; i < end; i++) body(i); }, maxChunks: count);

    /// <summary>Allocation-free variant: job.Run(start, end) over [0, count), chunks of at least minChunk indices.</summary>
    public void For<T>(int count, ref T job, int minChunk = 1, int maxChunks = 0) where T : unmanaged, IParallelJob
    {
        if (count <= 0) return;
        T copy = job;
        int chunks = Math.Max(1, Math.Min(maxChunks > 0 ? maxChunks : Threads * 4, count / Math.Max(1, minChunk)));
        if (chunks == 1 || _workers.Length == 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            copy.Run(0, count);
            return;
        }
        try
        {
            long seq = _generation + 1;
            // retire the previous call first: a worker still in its claim loop reads _state before _count, so it must
            // see the sequence change (its CAS then fails) before it can see this call's larger _count
            Volatile.Write(ref _state, (long)((ulong)(uint)seq << 32) | uint.MaxValue);
            Interlocked.MemoryBarrier();
            _fn = &Invoke<T>;
            _ctx = &copy;
            _count = count;
            _chunk = (count + chunks - 1) / chunks;
            chunks = (count + _chunk - 1) / _chunk;
            _error = null;
            Volatile.Write(ref _done, 0);
            Volatile.Write(ref _state, (long)((ulong)(uint)seq << 32));
            Interlocked.Exchange(ref _generation, seq);   // full fence: pairs with the sleepers' increment
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_sleep) Monitor.PulseAll(_sleep);
            RunChunks(seq);
            for (int spins = 0; Volatile.Read(ref _done) < chunks; spins++)
            {
                if ((spins & 1023) == 1023) Thread.Yield(); else Pause();
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
        if (_error != null) throw new AggregateException("a worker-pool job failed", _error);
    }

    void RunChunks(long seq)
    {
        while (true)
        {
            long cur = Volatile.Read(ref _state);
            if ((uint)(cur >> 32) != (uint)seq) return;
            long start = (uint)cur;
            int count = _count, chunk = _chunk;
            if (start >= count) return;
            if (Interlocked.CompareExchange(ref _state, cur + chunk, cur) != cur) continue;
            try { _fn(_ctx, (int)start, (int)Math.Min(count, start + chunk)); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            Interlocked.Increment(ref _done);
        }
    }

    void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (++spins < SpinIterations) { Pause(); continue; }
                lock (_sleep)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _generation) == seen && !_disposed) Monitor.Wait(_sleep);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            RunChunks(seen);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Pause()
    {
        if (System.Runtime.Intrinsics.X86.X86Base.IsSupported) System.Runtime.Intrinsics.X86.X86Base.Pause();
        else Thread.SpinWait(1);
    }

    static void Invoke<T>(void* ctx, int start, int end) where T : unmanaged, IParallelJob =>
        Unsafe.AsRef<T>(ctx).Run(start, end);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_sleep) Monitor.PulseAll(_sleep);
        foreach (var t in _workers) t.Join();
    }

    struct DelegateJob : IParallelJob
    {
        public nint Handle;
        public readonly void Run(int start, int end) =>
            ((Action<int, int>)System.Runtime.InteropServices.GCHandle.FromIntPtr(Handle).Target!)(start, end);
    }
}
