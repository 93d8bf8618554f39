// Grammar-constrained decoding on DeepSeek-V3's 129k vocabulary: the per-token cost of Apply + Accept (mean, p50,
// p99, max µs) over seeded random walks — random logits, masked, argmax; on a fraction of the steps tokens holding
// '"', ']' or '}' get a bonus so documents close — for json_object and a nested schema, and for the free-think phase;
// the one-time trie build; and, at the same states, a cold mask (fresh automaton, no memo) against the baseline
// brute-force mask (every token's bytes through the recognizer, no trie).
// usage: dotnet run -c Release --project bench/SharpSeek.Bench.Serving -- mask [--quick]
using System.Diagnostics;
using SharpSeek.Engine.Constrained;
using SharpSeek.Tests;
using SharpSeek.Tokenizers;

namespace SharpSeek.Bench.Serving;

static class ConstrainedBench
{
    const int ModelVocab = 129280;  // DeepSeek-V3's embedding rows (tokenizer ids 128815 + padding)
    const string Nested = """
        {"type":"object","properties":{
          "name":{"type":"string","maxLength":40},
          "age":{"type":"integer"},
          "email":{"type":["string","null"]},
          "tags":{"type":"array","items":{"enum":["alpha","beta","gamma"]},"maxItems":4},
          "address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},
                     "zip":{"type":"string","minLength":5,"maxLength":5}},"required":["city","zip"],"additionalProperties":false},
          "friends":{"type":"array","items":{"$ref":"#/$defs/person"},"maxItems":3}
        },"required":["name","age","address"],"additionalProperties":false,
        "$defs":{"person":{"type":"object","properties":{"name":{"type":"string"},"score":{"type":"number"}},"required":["name"],"additionalProperties":false}}}
        """;

    record Row(string Name, int Tokens, double Mean, double P50, double P99, double Max, string Note);

    public static void Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        int target = quick ? 1500 : 6000;
        var dir = Fixtures.Path("tokenizers", "deepseek_v3");

        // trie build: the trie is cached per tokenizer instance, so each build uses a fresh load
        var builds = new List<double>();
        Tokenizer tok = null!;
        TokenTrie trie = null!;
        for (int i = 0; i < 3; i++)
        {
            tok = Tokenizer.Load(dir);
            long t0 = Stopwatch.GetTimestamp();
            trie = TokenTrie.For(tok);
            builds.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        long c0 = Stopwatch.GetTimestamp();
        var nested = JsonGrammar.FromSchema(Nested);
        double compileMs = Stopwatch.GetElapsedTime(c0).TotalMilliseconds;
        int eos = tok.EosId!.Value;
        var closing = new bool[ModelVocab];
        for (int id = 0; id < tok.VocabSize; id++) closing[id] = trie.Bytes(id).IndexOfAny("\"]}"u8) >= 0;
        closing[eos] = true;

        Console.WriteLine($"SharpSeek constrained decoding bench — {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, quick={quick}");
        Console.WriteLine($"DeepSeek-V3 tokenizer: {tok.VocabSize} ids ({trie.VocabSize - tok.AddedTokens.Count} ordinary), model vocab {ModelVocab}; " +
                          $"trie {trie.NodeCount} nodes, build {builds.Min():F0} ms (min of 3; first {builds[0]:F0} ms incl. JIT)");
        Console.WriteLine($"nested schema → grammar: {nested.RuleCount} rules, {compileMs:F1} ms (first call, incl. JIT)");

        Walks(tok, JsonGrammar.Object(), null, closing, 0.25, 200, 1); // JIT warm-up, discarded
        var rows = new List<Row>
        {
            Walks(tok, JsonGrammar.Object(), null, closing, 0.25, target, 10) with { Name = "json_object, closing bias 25%" },
            Walks(tok, JsonGrammar.Object(), null, closing, 0.05, target, 20) with { Name = "json_object, closing bias 5% (long strings)" },
            Walks(tok, nested, null, closing, 0.25, target, 30) with { Name = "nested schema ($ref, enum, bounds)" },
            Walks(tok, nested, "</think>", closing, 0, target, 40) with { Name = "free think phase (until </think>)" },
        };
        rows.AddRange(ColdVersusBruteForce(tok, trie, closing, quick ? 10 : 30));

        Console.WriteLine();
        Console.WriteLine("| scenario | tokens | mean µs | p50 µs | p99 µs | max µs | note |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in rows)
            Console.WriteLine($"| {r.Name} | {r.Tokens} | {r.Mean:F1} | {r.P50:F1} | {r.P99:F1} | {r.Max:F1} | {r.Note} |");
    }

    // random walks until `target` tokens are timed; each walk is a fresh constraint (a new request)
    static Row Walks(Tokenizer tok, Grammar g, string? freeUntil, bool[] closing, double bias, int target, int seed)
    {
        var rng = new Random(seed);
        var logits = new float[ModelVocab];
        var times = new List<double>(target);
        int eos = tok.EosId!.Value, walks = 0, docTokens = 0;
        while (times.Count < target)
        {
            var c = new TokenConstraint(tok, g, [eos], freeUntil);
            walks++;
            while (times.Count < target)
            {
                bool close = rng.NextDouble() < bias;
                for (int i = 0; i < logits.Length; i++) logits[i] = rng.NextSingle() + (close && closing[i] ? 1 : 0);
                long t0 = Stopwatch.GetTimestamp();
                c.Apply(logits);
                double applyUs = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                int best = 0;
                for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
                if (best == eos) break;
                t0 = Stopwatch.GetTimestamp();
                c.Accept(best);
                times.Add(applyUs + Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                docTokens++;
                if (freeUntil != null && !c.InFreeText) break; // stays a free-phase measurement
            }
        }
        return Stats("", times, $"{walks} walks, {docTokens / (double)walks:F0} tokens each");
    }

    // at states along json_object walks: the mask of a fresh constraint (no memo, transitions mostly uncomputed)
    // against the brute force of feeding every ordinary token's bytes to a recognizer clone
    static IEnumerable<Row> ColdVersusBruteForce(Tokenizer tok, TokenTrie trie, bool[] closing, int states)
    {
        var rng = new Random(50);
        var logits = new float[ModelVocab];
        int eos = tok.EosId!.Value;
        var prefixes = new List<List<int>>();
        var ids = new List<int>();
        var walker = new TokenConstraint(tok, JsonGrammar.Object(), [eos]);
        while (prefixes.Count < states)
        {
            bool close = rng.NextDouble() < 0.25;
            for (int i = 0; i < logits.Length; i++) logits[i] = rng.NextSingle() + (close && closing[i] ? 1 : 0);
            walker.Apply(logits);
            int best = 0;
            for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
            if (best == eos) { walker = new TokenConstraint(tok, JsonGrammar.Object(), [eos]); ids = []; continue; }
            walker.Accept(best);
            ids.Add(best);
            prefixes.Add([.. ids]);
        }
        var cold = new List<double>();
        var brute = new List<double>();
        foreach (var prefix in prefixes)
        {
            var c = new TokenConstraint(tok, JsonGrammar.Object(), [eos]);   // caches live in the constraint, not the grammar
            var r = new Recognizer(JsonGrammar.Object());
            foreach (int id in prefix) { c.Accept(id); r.AcceptBytes(trie.Bytes(id)); }
            Array.Clear(logits);
            long t0 = Stopwatch.GetTimestamp();
            c.Apply(logits);
            cold.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            int allowed = 0;
            t0 = Stopwatch.GetTimestamp();
            for (int id = 0; id < trie.VocabSize; id++)
                if (!trie.IsAdded(id) && trie.Bytes(id).Length > 0 && r.Clone().AcceptBytes(trie.Bytes(id))) allowed++;
            brute.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
        }
        var coldRow = Stats("cold mask, json_object (fresh automaton)", cold, $"{states} states; masks only, no Accept");
        var bruteRow = Stats("baseline: brute force, every token through a recognizer", brute, $"{brute.Average() / cold.Average():F1}× the cold mask");
        return [coldRow, bruteRow];
    }

    static Row Stats(string name, List<double> us, string note)
    {
        var s = us.Order().ToArray();
        return new Row(name, s.Length, s.Average(), s[s.Length / 2], s[(int)(s.Length * 0.99)], s[^1], note);
    }
}
