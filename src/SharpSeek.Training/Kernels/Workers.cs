// A tiny persistent worker pool for the training kernels' parallel loops: Count-1 background threads plus the
// caller pull indices from one atomic counter. Nested calls run inline. Not a general scheduler.
namespace SharpSeek.Training.Kernels;

public static class Workers
{
    static int count = Environment.ProcessorCount;
    static Thread[] threads = [];
    static readonly object gate = new();
    static Action<int>? body;
    static int next, end, pending, generation, active;
    [ThreadStatic] static bool inside;

    /// <summary>Threads used by the kernels (default: processor count). Set before training starts.</summary>
    public static int Count
    {
        get => count;
        set { if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "threads must be ≥ 1"); count = value; }
    }

    /// <summary>Runs body(i) for i in [from, to) on up to `maxThreads` threads; returns when all are done.</summary>
    public static void For(int from, int to, int maxThreads, Action<int> work)
    {
        if (to <= from) return;
        if (inside || maxThreads <= 1 || to - from == 1 || count <= 1)
        {
            for (int i = from; i < to; i++) work(i);
            return;
        }
        lock (gate)
        {
            EnsureThreads(count - 1);
            int helpers = Math.Min(Math.Min(maxThreads, count) - 1, to - from - 1);
            body = work; next = from; end = to;
            Volatile.Write(ref pending, helpers);
            Volatile.Write(ref active, helpers);
            Interlocked.Increment(ref generation);
            inside = true;
            try { Drain(); }
            finally { inside = false; }
            var spin = new SpinWait();
            while (Volatile.Read(ref pending) > 0) spin.SpinOnce(-1);
            body = null;
            if (failure is { } f) { failure = null; throw new AggregateException(f); }
        }
    }

    static Exception? failure;

    static void Drain()
    {
        var w = body!;
        int i;
        while ((i = Interlocked.Increment(ref next) - 1) < end)
        {
            try { w(i); }
            catch (Exception e) { failure ??= e; Volatile.Write(ref next, end); }
        }
    }

    static void EnsureThreads(int n)
    {
        if (threads.Length >= n) return;
        var list = threads.ToList();
        for (int k = threads.Length; k < n; k++)
        {
            int id = k;
            var t = new Thread(() => Loop(id)) { IsBackground = true, Name = $"sharpseek-train-{k}" };
            list.Add(t);
            t.Start();
        }
        threads = list.ToArray();
    }

    static void Loop(int id)
    {
        inside = true;
        int seen = 0;
        while (true)
        {
            var spin = new SpinWait();
            int g;
            while ((g = Volatile.Read(ref generation)) == seen)
            {
                if (spin.Count > 200) Thread.Sleep(0);
                if (spin.Count > 2000) { Thread.Sleep(1); }
                spin.SpinOnce(-1);
            }
            seen = g;
            // claim a helper slot for this generation (there may be more threads than helpers wanted)
            int a;
            bool claimed = false;
            while ((a = Volatile.Read(ref active)) > 0)
                if (Interlocked.CompareExchange(ref active, a - 1, a) == a) { claimed = true; break; }
            if (!claimed) continue;
            Drain();
            Interlocked.Decrement(ref pending);
        }
    }
}
