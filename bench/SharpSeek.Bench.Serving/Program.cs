// Serving benchmarks, one mode per first argument:
//   mask   grammar-constrained decoding: per-token mask cost on DeepSeek-V3's vocabulary (ConstrainedBench.cs)
//   cache  context caching: time to first token with a cached 1,000-token prefix against without (PrefixCacheBench.cs)
// usage: dotnet run -c Release --project bench/SharpSeek.Bench.Serving -- <mode> [options]
namespace SharpSeek.Bench.Serving;

static class Program
{
    static int Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "mask": ConstrainedBench.Run(args[1..]); return 0;
            case "cache": return PrefixCacheBench.Run(args[1..]);
            default:
                Console.Error.WriteLine("usage: SharpSeek.Bench.Serving mask [--quick] | cache [--model DIR] [--prefix 1000] [--suffix 24] [--reps 7]");
                return 1;
        }
    }
}
