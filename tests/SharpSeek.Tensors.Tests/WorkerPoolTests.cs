// WorkerPool: every index is run exactly once, for any count and thread count; errors surface on the caller;
// a nested For runs inline; thousands of back-to-back calls neither lose work nor hang; ForEach and the shared pool.
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

public class WorkerPoolTests
{
    unsafe struct CountJob : IParallelJob
    {
        public int* Hits;
        public readonly void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public unsafe void Each_index_runs_once(int threads)
    {
        using var pool = new WorkerPool(threads);
        Assert.Equal(threads, pool.Threads);
        foreach (int count in new[] { 0, 1, 2, 3, 7, 8, 9, 31, 100, 1000, 100_003 })
            foreach (int minChunk in new[] { 1, 16 })
            {
                var hits = new int[Math.Max(1, count)];
                fixed (int* p = hits)
                {
                    var job = new CountJob { Hits = p };
                    pool.For(count, ref job, minChunk);
                }
                for (int i = 0; i < count; i++) Assert.True(hits[i] == 1, $"count {count}: index {i} ran {hits[i]} times");
            }
    }

    [Fact]
    public unsafe void Many_back_to_back_calls()
    {
        using var pool = new WorkerPool(2);
        var hits = new int[64];
        fixed (int* p = hits)
        {
            var job = new CountJob { Hits = p };
            for (int call = 0; call < 20_000; call++) pool.For(64, ref job);
        }
        Assert.All(hits, h => Assert.Equal(20_000, h));
    }

    // A worker still in the previous call's claim loop must not claim indices of the next call before that call is
    // published: with the counts alternating, a stale claim runs a range of the larger call twice (or lets the caller
    // return while a chunk still runs — the access violation once seen in GRPO rollouts).
    [Fact]
    public unsafe void Alternating_counts_never_run_an_index_twice()
    {
        using var pool = new WorkerPool(2);
        var small = new int[8];
        var large = new int[64];
        const int Calls = 100_000;
        fixed (int* ps = small)
        fixed (int* pl = large)
        {
            var a = new CountJob { Hits = ps };
            var b = new CountJob { Hits = pl };
            for (int call = 0; call < Calls; call++)
            {
                pool.For(8, ref a);
                pool.For(64, ref b);
            }
        }
        Assert.All(small, h => Assert.Equal(Calls, h));
        Assert.All(large, h => Assert.Equal(Calls, h));
    }

    [Fact]
    public void Delegate_overload_errors_and_nesting()
    {
        using var pool = new WorkerPool(3);
        long sum = 0;
        pool.For(1000, (s, e) => { for (int i = s; i < e; i++) Interlocked.Add(ref sum, i); });
        Assert.Equal(999L * 1000 / 2, sum);

        var ex = Assert.Throws<AggregateException>(() => pool.For(100, (s, e) => { if (s <= 50 && 50 < e) throw new InvalidOperationException("boom"); }));
        Assert.IsType<InvalidOperationException>(ex.InnerException);

        int inner = 0;
        pool.For(4, (s, e) => pool.For(10, (s2, e2) => Interlocked.Add(ref inner, e2 - s2)));
        Assert.Equal(40, inner);

        // the pool still works after an error
        sum = 0;
        pool.For(10, (s, e) => { for (int i = s; i < e; i++) Interlocked.Add(ref sum, 1); });
        Assert.Equal(10, sum);
    }

    [Fact]
    public void Workers_wake_after_sleeping()
    {
        using var pool = new WorkerPool(2);
        Thread.Sleep(300);                      // past the spin phase: workers sleep on the monitor
        int n = 0;
        pool.For(100, (s, e) => Interlocked.Add(ref n, e - s));
        Assert.Equal(100, n);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
    }

    [Fact]
    public void ForEach_and_the_shared_pool()
    {
        WorkerPool.SetSharedThreads(3);
        var pool = WorkerPool.Shared;
        Assert.Equal(3, pool.Threads);
        Assert.Same(pool, WorkerPool.Shared);
        var hits = new int[1000];
        pool.ForEach(hits.Length, i => Interlocked.Increment(ref hits[i]));
        Assert.All(hits, h => Assert.Equal(1, h));
        WorkerPool.SetSharedThreads(2);
        Assert.Equal(2, WorkerPool.Shared.Threads);
        int n = 0;
        pool.ForEach(10, i => Interlocked.Increment(ref n));   // a replaced (disposed) pool still runs, on its caller
        Assert.Equal(10, n);
    }
}
