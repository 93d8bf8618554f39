// Encode throughput (MB/s of UTF-8 input, one thread) of SharpSeek.Tokenizers on a mixed corpus, beside the Node
// reference (transformers.js, tools/tokenizers/bench.mjs) and Microsoft.ML.Tokenizers measured in the same run;
// prints ratios, and how many corpus documents each baseline tokenizes exactly like SharpSeek (= Hugging Face).
//   dotnet run -c Release --project bench/SharpSeek.Bench.Tokenizers -- [--seconds 5] [--no-node] [--json]
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SharpSeek.Tests;
using SharpSeek.Tokenizers;
using SharpSeek.Tokenizers.PreTokenization;
using Ml = Microsoft.ML.Tokenizers;

double seconds = ArgValue("--seconds", 5);
bool runNode = !args.Contains("--no-node");
bool json = args.Contains("--json");

var docs = BuildCorpus();
long bytes = docs.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
var docsPath = Path.Combine(Path.GetTempPath(), $"sharpseek-bench-docs-{Environment.ProcessId}.json");
File.WriteAllText(docsPath, JsonSerializer.Serialize(docs));
Log($"corpus: {docs.Count} documents, {bytes / 1e6:F2} MB UTF-8 (tests/fixtures/tokenizers/corpus.json + repository .cs/.md files)");
Log($"single thread, best pass of >= {seconds}s after a warm-up pass; {Environment.ProcessorCount} cores, .NET {Environment.Version}");

if (args.Contains("--profile"))
{
    // process CPU time, not wall time: steadier on a loaded machine (for A/B of changes, not for the report)
    double Cpu(Action a)
    {
        a();
        double best = double.MaxValue;
        for (int r = 0; r < 5; r++)
        {
            var t0 = Process.GetCurrentProcess().TotalProcessorTime;
            a();
            best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - t0).TotalSeconds);
        }
        return best;
    }
    foreach (var name in new[] { "deepseek_v3", "qwen3" })
    {
        var tok = Tokenizer.Load(Fixtures.Path("tokenizers", name));
        double pre = Cpu(() => { foreach (var d in docs) tok.CountPieces(d); });
        double enc = Cpu(() => { foreach (var d in docs) tok.Encode(d); });
        Log($"{name}: pre-tokenize only {bytes / 1e6 / pre:F1} MB/cpu-s, full encode {bytes / 1e6 / enc:F1} MB/cpu-s");
    }
    return 0;
}

var results = new List<object>();
foreach (var name in new[] { "deepseek_v3", "qwen3" })
{
    var dir = Fixtures.Path("tokenizers", name);
    var sw = Stopwatch.StartNew();
    var tok = Tokenizer.Load(dir);
    double loadS = sw.Elapsed.TotalSeconds;
    var reference = docs.Select(d => tok.Encode(d)).ToList();
    long tokens = reference.Sum(r => (long)r.Length);
    // Microsoft.ML.Tokenizers: its BPE with ByteLevel=true over the same vocab/merges; pre-tokenizer = the same regex,
    // (a) as a plain .NET Regex (UTF-16 code units), (b) translated to code points by SharpSeek's CodePointRegex.
    var (mlPlain, mlCp) = BuildMl(dir, tok);
    var (exactPlain, crashPlain) = Exactness(mlPlain, docs, reference);
    var (exactCp, crashCp) = Exactness(mlCp, docs, reference);
    if (args.Contains("--explain"))
        for (int i = 0; i < docs.Count; i++)
            foreach (var (label, t) in new[] { ("code-point regex", mlCp), ("plain regex", mlPlain) })
            {
                var ids = Safe(t, docs[i]);
                if (ids == null || !ids.SequenceEqual(reference[i]))
                    Log($"  ML.Tokenizers ({label}) {(ids == null ? "throws" : "differs")} on: {JsonSerializer.Serialize(docs[i][..Math.Min(60, docs[i].Length)])}");
            }
    // ML.Tokenizers throughput over the documents it encodes without throwing (a throw would end the benchmark)
    var mlDocs = docs.Where(d => Safe(mlCp, d) != null).ToList();
    var mlPlainDocs = docs.Where(d => Safe(mlPlain, d) != null).ToList();
    // the three in-process encoders run round-robin, so load from other processes hits them alike
    var best = MeasureInterleaved(
        () => { foreach (var d in docs) tok.Encode(d); },
        () => { foreach (var d in mlDocs) mlCp.EncodeToIds(d); },
        () => { foreach (var d in mlPlainDocs) mlPlain.EncodeToIds(d); });
    double oursMb = bytes / 1e6 / best[0];
    double mlMb = mlDocs.Sum(d => (long)Encoding.UTF8.GetByteCount(d)) / 1e6 / best[1];
    double mlPlainMb = mlPlainDocs.Sum(d => (long)Encoding.UTF8.GetByteCount(d)) / 1e6 / best[2];

    double? nodeMb = null;
    long? nodeTokens = null;
    if (runNode)
    {
        var node = RunNode(dir, docsPath, seconds);
        if (node is { } n) { nodeMb = n.GetProperty("mb_s").GetDouble(); nodeTokens = n.GetProperty("tokens").GetInt64(); }
    }

    Log($"\n{name}: load {loadS:F2}s, {tokens} tokens");
    Log($"  SharpSeek.Tokenizers      {oursMb,8:F2} MB/s");
    if (nodeMb is double nm)
        Log($"  transformers.js (Node)    {nm,8:F2} MB/s   SharpSeek is {oursMb / nm:F2}x   (node tokens {nodeTokens}{(nodeTokens == tokens ? ", same count" : ", count differs")})");
    Log($"  Microsoft.ML.Tokenizers   {mlMb,8:F2} MB/s   SharpSeek is {oursMb / mlMb:F2}x   (code-point regex; {mlDocs.Count} docs it encodes without throwing)");
    Log($"  Microsoft.ML.Tokenizers   {mlPlainMb,8:F2} MB/s   SharpSeek is {oursMb / mlPlainMb:F2}x   (plain .NET Regex; {mlPlainDocs.Count} docs)");
    Log($"    ML.Tokenizers ids identical on {exactCp}/{docs.Count} docs ({crashCp} threw) with SharpSeek's code-point regex; {exactPlain}/{docs.Count} ({crashPlain} threw) with the plain .NET Regex");
    results.Add(new
    {
        tokenizer = name, mb = bytes / 1e6, tokens, sharpseek_mb_s = oursMb, node_mb_s = nodeMb, ratio_vs_node = nodeMb is double x ? oursMb / x : (double?)null,
        mltokenizers_mb_s = mlMb, ratio_vs_mltokenizers = oursMb / mlMb, mltokenizers_plain_regex_mb_s = mlPlainMb, mltokenizers_exact_docs = exactCp, mltokenizers_exact_docs_plain_regex = exactPlain, docs = docs.Count,
    });
}
File.Delete(docsPath);
if (json) Console.WriteLine(JsonSerializer.Serialize(results));
return 0;

static IReadOnlyList<int>? Safe(Ml.Tokenizer t, string d)
{
    try { return t.EncodeToIds(d); } catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException) { return null; }
}

static (int Exact, int Crashed) Exactness(Ml.Tokenizer t, List<string> docs, List<int[]> reference)
{
    int exact = 0, crashed = 0;
    for (int i = 0; i < docs.Count; i++)
    {
        var ids = Safe(t, docs[i]);
        if (ids == null) crashed++;
        else if (ids.SequenceEqual(reference[i])) exact++;
    }
    return (exact, crashed);
}

double[] MeasureInterleaved(params Action[] passes)
{
    foreach (var p in passes) p(); // warm-up
    var bestTimes = Enumerable.Repeat(double.MaxValue, passes.Length).ToArray();
    double total = 0;
    int rounds = 0;
    while (total < seconds * passes.Length || rounds < 2)
    {
        for (int k = 0; k < passes.Length; k++)
        {
            var sw = Stopwatch.StartNew();
            passes[k]();
            double t = sw.Elapsed.TotalSeconds;
            bestTimes[k] = Math.Min(bestTimes[k], t);
            total += t;
        }
        rounds++;
    }
    return bestTimes;
}

(Ml.Tokenizer Plain, Ml.Tokenizer CodePoint) BuildMl(string dir, Tokenizer tok)
{
    using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")));
    var model = doc.RootElement.GetProperty("model");
    var vocab = model.GetProperty("vocab").EnumerateObject().Select(p => new KeyValuePair<string, int>(p.Name, p.Value.GetInt32())).ToList();
    var merges = model.GetProperty("merges").EnumerateArray()
        .Select(m => m.ValueKind == JsonValueKind.String ? m.GetString()! : m[0].GetString() + " " + m[1].GetString()).ToList();
    var specials = tok.AddedTokens.ToDictionary(t => t.Content, t => t.Id);
    var splits = new List<SplitPattern>();
    Collect(tok.PreTokenizer, splits);
    Ml.PreTokenizer Make(Func<string, Regex> regex) => splits.Count == 1
        ? new Ml.RegexPreTokenizer(regex(splits[0].Source), specials)
        : new Ml.CompositePreTokenizer(splits.Select(s => (Ml.PreTokenizer)new Ml.RegexPreTokenizer(regex(s.Source), null)).ToList(), specials);
    Ml.Tokenizer Build(Ml.PreTokenizer pre) => Ml.BpeTokenizer.Create(new Ml.BpeOptions(vocab)
    {
        Merges = merges, ByteLevel = true, SpecialTokens = specials, PreTokenizer = pre,
    });
    return (Build(Make(s => new Regex(s, RegexOptions.Compiled))), Build(Make(s => new Regex(new CodePointRegex(s).Translated, RegexOptions.Compiled))));
}

static void Collect(PreTokenizer? p, List<SplitPattern> into)
{
    switch (p)
    {
        case SequencePreTokenizer s: foreach (var x in s.Steps) Collect(x, into); break;
        case SplitPreTokenizer sp: into.Add(sp.Pattern); break;
    }
}

JsonElement? RunNode(string dir, string docsFile, double secs)
{
    var script = Path.Combine(Fixtures.Root, "..", "..", "tools", "tokenizers", "bench.mjs");
    if (!Directory.Exists(Path.Combine(Path.GetDirectoryName(script)!, "node_modules")))
    {
        Log("  (Node reference skipped: run `npm ci` in tools/tokenizers)");
        return null;
    }
    var psi = new ProcessStartInfo("node", [script, dir, docsFile, secs.ToString(System.Globalization.CultureInfo.InvariantCulture)])
    { RedirectStandardOutput = true, RedirectStandardError = true };
    try
    {
        using var proc = Process.Start(psi)!;
        var output = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        if (proc.ExitCode != 0) { Log("  (Node reference failed: " + proc.StandardError.ReadToEnd().Split('\n')[0] + ")"); return null; }
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
    }
    catch (System.ComponentModel.Win32Exception) { Log("  (Node reference skipped: node not on PATH)"); return null; }
}

static List<string> BuildCorpus()
{
    var docs = new List<string>();
    using (var corpus = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizers", "corpus.json"))))
        foreach (var e in corpus.RootElement.EnumerateArray())
        {
            // skip the strings with lone surrogates / U+0085 / U+FEFF, where the references differ by design
            var raw = e.GetProperty("text").GetRawText();
            if (raw.Contains("\\ud8", StringComparison.OrdinalIgnoreCase) || raw.Contains("\\udc", StringComparison.OrdinalIgnoreCase)
                || raw.Contains('\u0085') || raw.Contains('\ufeff') || raw.Contains("\\u0085") || raw.Contains("\\ufeff")) continue;
            docs.Add(e.GetProperty("text").GetString()!);
        }
    var repo = Path.GetFullPath(Path.Combine(Fixtures.Root, "..", ".."));
    foreach (var sub in new[] { "src", "docs", "tests" })
    {
        var d = Path.Combine(repo, sub);
        if (!Directory.Exists(d)) continue;
        foreach (var f in Directory.EnumerateFiles(d, "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".cs") || f.EndsWith(".md"))
                     .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/") && !f.EndsWith(".g.cs")).Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(f);
            if (text.Contains('\ufeff') || text.Contains('\u0085')) continue;
            docs.Add(text);
        }
    }
    return docs;
}

double ArgValue(string name, double fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

void Log(string s) { if (json) Console.Error.WriteLine(s); else Console.WriteLine(s); }
