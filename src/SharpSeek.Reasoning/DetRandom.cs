// A small deterministic random source (SplitMix64): the same seed gives the same problems on every machine and
// every .NET version (System.Random's seeded sequence is not a documented contract).
namespace SharpSeek.Reasoning;

public sealed class DetRandom(ulong seed)
{
    ulong state = seed;

    /// <summary>The seed is scrambled first: SplitMix64 states of nearby seeds would otherwise be one step apart,
    /// and seed s + 1 would replay seed s's stream shifted by one draw.</summary>
    public DetRandom(int seed) : this(Mix((ulong)(uint)seed ^ 0x632BE59BD9B4E019UL)) { }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        return Mix(state += 0x9E3779B97F4A7C15UL);
    }

    /// <summary>Uniform integer in [lo, hi] (inclusive).</summary>
    public int Next(int lo, int hi)
    {
        if (hi < lo) throw new ArgumentException($"empty range [{lo}, {hi}]");
        ulong span = (ulong)((long)hi - lo + 1);
        return (int)(lo + (long)(NextULong() % span));     // modulo bias < 2^-32 for our spans
    }

    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(0, items.Count - 1)];

    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(0, i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
