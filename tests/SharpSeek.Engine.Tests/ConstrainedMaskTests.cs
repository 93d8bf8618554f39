// Token masks over real vocabularies: random walks (seeded random logits, masked, argmax) until EOS, whose decoded
// text must parse and validate against the schema; at every step at least one token is allowed and the mask agrees
// with the reference recognizer fed each token's bytes — on every id for the tiny tokenizer (brute-force oracle),
// on a sample of ids for DeepSeek-V3's 129k. Also special-token terminals and the free-text (<think>) phase.
using System.Text;
using System.Text.Json;
using SharpSeek.Engine.Constrained;
using SharpSeek.Tokenizers;
using SharpSeek.Tests;

namespace SharpSeek.Engine.Tests;

public class ConstrainedMaskTests
{
    static readonly Lazy<Tokenizer> V3 = new(() => Tokenizer.Load(Fixtures.Path("tokenizers", "deepseek_v3")));
    static readonly Lazy<Tokenizer> Tiny = new(() => Tokenizer.Load(Fixtures.Path("models", "chat-tiny")));
    const int V3ModelVocab = 129280, TinyModelVocab = 512;

    public const string Nested = """
        {"type":"object","properties":{
          "name":{"type":"string","maxLength":12},
          "age":{"type":"integer"},
          "score":{"type":["number","null"]},
          "tags":{"type":"array","items":{"enum":["a","b","c d"]},"maxItems":3},
          "address":{"type":"object","properties":{"street":{"type":"string","maxLength":8},"zip":{"type":"string","minLength":5,"maxLength":5}},
                     "required":["zip"],"additionalProperties":false},
          "kind":{"anyOf":[{"const":"x"},{"type":"boolean"},{"enum":[{"k":[1,2]},-2.5]}]}
        },"required":["name","address"],"additionalProperties":false}
        """;
    const string Tree = """
        {"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
          "kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v","kids"],"additionalProperties":false}}}
        """;
    const string Map = """{"type":"object","additionalProperties":{"type":"array","items":{"type":"boolean"},"maxItems":2}}""";
    const string AnyObject = """{"type":"object"}""";

    // ------------------------------------------------------------------ helpers

    /// <summary>Bytes of each token computed independently of TokenTrie (GPT-2 byte table over the vocab string; added: content).</summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Tokenizer, byte[][]> AllBytes = new();

    static byte[] TokenBytes(Tokenizer tok, int id) => AllBytes.GetValue(tok, t =>
    {
        var added = t.AddedTokens.ToDictionary(a => a.Id, a => a.Content);
        return Enumerable.Range(0, t.VocabSize).Select(i => added.TryGetValue(i, out var c) ? Encoding.UTF8.GetBytes(c)
            : t.IdToToken(i) is { } s ? s.Select(ch => BpeModel.CharToByte[ch]).ToArray() : []).ToArray();
    })[id];

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Tokenizer, HashSet<int>> AddedIds = new();

    static bool IsAdded(Tokenizer tok, int id) => AddedIds.GetValue(tok, t => t.AddedTokens.Select(a => a.Id).ToHashSet()).Contains(id);

    /// <summary>What the reference recognizer allows: the oracle of the mask.</summary>
    static bool ReferenceAllows(Tokenizer tok, ReferenceRecognizer r, int id, int eos)
    {
        if (id == eos) return r.IsComplete;
        if (id >= tok.VocabSize) return false;
        if (IsAdded(tok, id)) return r.Clone().AcceptToken(id);
        var bytes = TokenBytes(tok, id);
        return bytes.Length > 0 && r.Clone().AcceptBytes(bytes);
    }

    /// <summary>
    /// Samples argmax(random logits + mask) until EOS. On a quarter of the steps (after the first `openSteps`) tokens
    /// holding '"', ']' or '}' (and EOS) get a bonus, so strings and nesting stay short and walks end. `checkIds` picks
    /// the ids whose mask bit is compared with the reference recognizer (null: no check). Returns the tokens before EOS.
    /// </summary>
    static List<int> Walk(Tokenizer tok, TokenConstraint c, Grammar g, int modelVocab, int seed, int maxSteps, Func<Random, float[], IEnumerable<int>>? checkIds, int openSteps = 0)
    {
        var rng = new Random(seed);
        var logits = new float[modelVocab];
        int eos = tok.EosId!.Value;
        var closing = Closing(tok, modelVocab);
        var reference = c.InFreeText ? null : new ReferenceRecognizer(g);
        var ids = new List<int>();
        for (int step = 0; step < maxSteps; step++)
        {
            bool close = rng.Next(4) == 0 && step >= openSteps;
            for (int i = 0; i < logits.Length; i++) logits[i] = rng.NextSingle() + (close && closing[i] ? 1 : 0);
            c.Apply(logits);
            int best = -1;
            for (int i = 0; i < logits.Length; i++)
                if (logits[i] > float.NegativeInfinity && (best < 0 || logits[i] > logits[best])) best = i;
            if (best < 0) Assert.Fail($"no token allowed after {Show(tok, ids)}");
            Assert.True(c.Allows(best));
            if (reference != null && checkIds != null)
                foreach (int id in checkIds(rng, logits))
                {
                    bool masked = logits[id] > float.NegativeInfinity, oracle = ReferenceAllows(tok, reference, id, eos);
                    if (masked != oracle) Assert.Fail($"token {id} {Show(tok, id)}: mask {masked}, reference {oracle} after {Show(tok, ids)}");
                }
            if (best == eos) { Assert.True(c.IsComplete); return ids; }
            bool wasFree = c.InFreeText;
            c.Accept(best);
            ids.Add(best);
            if (reference != null)
                Assert.True(IsAdded(tok, best) ? reference.AcceptToken(best) : reference.AcceptBytes(TokenBytes(tok, best)));
            if (wasFree && !c.InFreeText) reference = new ReferenceRecognizer(g);
        }
        throw new Xunit.Sdk.XunitException($"no EOS after {maxSteps} steps: {Show(tok, ids)}");
    }

    static bool[] Closing(Tokenizer tok, int modelVocab) =>
        Enumerable.Range(0, modelVocab).Select(i => i == tok.EosId || i < tok.VocabSize && TokenBytes(tok, i).Any(b => b is (byte)'"' or (byte)']' or (byte)'}')).ToArray();

    static string Show(Tokenizer tok, int id) => id < tok.VocabSize ? JsonSerializer.Serialize(tok.Decode([id])) : "(padding)";
    static string Show(Tokenizer tok, List<int> ids) => JsonSerializer.Serialize(tok.Decode(ids.ToArray()));

    // every id (brute force) or `sample` allowed plus `sample` masked ids
    static Func<Random, float[], IEnumerable<int>> AllIds => (_, logits) => Enumerable.Range(0, logits.Length);
    static Func<Random, float[], IEnumerable<int>> Sampled(int sample) => (rng, logits) =>
    {
        var allowed = Enumerable.Range(0, logits.Length).Where(i => logits[i] > float.NegativeInfinity).ToArray();
        var masked = Enumerable.Range(0, logits.Length).Where(i => logits[i] == float.NegativeInfinity).ToArray();
        return Enumerable.Range(0, sample).SelectMany(_ => new[] { allowed[rng.Next(allowed.Length)], masked[rng.Next(masked.Length)] });
    };

    static void ParsesAndValidates(string text, string schema)
    {
        using var doc = JsonDocument.Parse(text);
        using var s = JsonDocument.Parse(schema);
        ConstrainedValidator.ReadAllStrings(doc.RootElement);
        Assert.True(ConstrainedValidator.Valid(doc.RootElement, s.RootElement, s.RootElement), $"does not validate: {text}");
    }

    static string Decode(Tokenizer tok, List<int> ids)
    {
        var bytes = ids.SelectMany(id => TokenBytes(tok, id)).ToArray();
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); // the grammar only makes valid UTF-8
        Assert.Equal(strict, tok.Decode(ids.ToArray()));
        return strict;
    }

    // ------------------------------------------------------------------ tiny tokenizer: brute-force oracle

    [Theory]
    [InlineData(AnyObject, 1)]
    [InlineData(Nested, 2)]
    [InlineData(Tree, 3)]
    [InlineData(Map, 4)]
    public void TinyMaskEqualsBruteForceOracleOnRandomWalks(string schema, int seed)
    {
        var tok = Tiny.Value;
        var g = JsonGrammar.FromSchema(schema);
        int tokens = 0;
        for (int walk = 0; walk < 8; walk++)
        {
            var c = new TokenConstraint(tok, g, [tok.EosId!.Value]);
            var ids = Walk(tok, c, g, TinyModelVocab, seed * 100 + walk, 3000, AllIds, openSteps: 12);
            ParsesAndValidates(Decode(tok, ids), schema);
            tokens += ids.Count;
        }
        Assert.True(tokens >= 40, $"only {tokens} tokens in 8 walks");
    }

    // ------------------------------------------------------------------ DeepSeek-V3 tokenizer (129k)

    [Theory]
    [InlineData(AnyObject, 11)]
    [InlineData(Nested, 12)]
    [InlineData(Tree, 13)]
    [InlineData(Map, 14)]
    public void V3RandomWalksProduceValidJson(string schema, int seed)
    {
        var tok = V3.Value;
        var g = JsonGrammar.FromSchema(schema);
        int tokens = 0;
        for (int walk = 0; walk < 4; walk++)
        {
            var c = new TokenConstraint(tok, g, [tok.EosId!.Value]);
            var ids = Walk(tok, c, g, V3ModelVocab, seed * 100 + walk, 3000, Sampled(16), openSteps: 12);
            ParsesAndValidates(Decode(tok, ids), schema);
            tokens += ids.Count;
        }
        Assert.True(tokens >= 100, $"only {tokens} tokens in 4 walks");
    }

    [Fact]
    public void V3MaskEqualsBruteForceOnEveryIdAlongAWalk()
    {
        // every id, at every 4th state of a nested-schema walk: the fast mask (trie walk, token classes, memo) against
        // each token's bytes fed to a recognizer of its own
        var tok = V3.Value;
        var g = JsonGrammar.FromSchema(Nested);
        int eos = tok.EosId!.Value;
        var ids = Walk(tok, new TokenConstraint(tok, g, [eos]), g, V3ModelVocab, 90, 3000, null, openSteps: 40);
        Assert.True(ids.Count >= 60, $"only {ids.Count} tokens");
        var c = new TokenConstraint(tok, g, [eos]);
        var r = new Recognizer(g);
        var logits = new float[V3ModelVocab];
        for (int step = 0; step <= ids.Count; step++)
        {
            if (step % 4 == 0)
            {
                Array.Clear(logits);
                c.Apply(logits);
                for (int id = 0; id < V3ModelVocab; id++)
                {
                    bool oracle = id == eos ? r.IsComplete : id < tok.VocabSize && !IsAdded(tok, id) && TokenBytes(tok, id).Length > 0 && r.Clone().AcceptBytes(TokenBytes(tok, id));
                    if (oracle != (logits[id] == 0)) Assert.Fail($"token {id} {Show(tok, id)}: mask {logits[id] == 0}, brute force {oracle} after {Show(tok, ids[..step])}");
                }
            }
            if (step == ids.Count) break;
            c.Accept(ids[step]);
            Assert.True(r.AcceptBytes(TokenBytes(tok, ids[step])));
        }
    }

    [Fact]
    public void MaskAfterCompletionAllowsOnlyEosOrContinuations()
    {
        var tok = V3.Value;
        int eos = tok.EosId!.Value;
        var logits = new float[V3ModelVocab];
        var done = new TokenConstraint(tok, new GrammarBuilder().Build(Expr.Literal("ok")), [eos]);
        foreach (int id in tok.Encode("ok")) done.Accept(id);
        Assert.True(done.IsComplete && !done.CanContinue);
        done.Apply(logits);
        Assert.Equal([eos], Enumerable.Range(0, logits.Length).Where(i => logits[i] == 0).ToArray());

        var json = new TokenConstraint(tok, JsonGrammar.Object(), [eos]);
        foreach (int id in tok.Encode("{}")) json.Accept(id);
        Assert.True(json.IsComplete && json.CanContinue);
        Array.Clear(logits);
        json.Apply(logits);
        var allowed = Enumerable.Range(0, logits.Length).Where(i => logits[i] == 0).ToArray();
        Assert.Contains(eos, allowed);
        Assert.All(allowed.Where(i => i != eos), i => Assert.True(tok.Decode([i]).Trim().Length == 0, $"{Show(tok, i)} after a complete object"));
        json.Accept(eos);
        Assert.Throws<InvalidOperationException>(() => json.Accept(eos));
    }

    [Fact]
    public void PaddingIdsAndDisallowedTokensAreMaskedAndRejected()
    {
        var tok = V3.Value;
        var c = new TokenConstraint(tok, JsonGrammar.Object(), [tok.EosId!.Value]);
        var logits = new float[V3ModelVocab];
        c.Apply(logits);
        Assert.All(Enumerable.Range(tok.VocabSize, V3ModelVocab - tok.VocabSize), i => Assert.Equal(float.NegativeInfinity, logits[i]));
        Assert.Equal(float.NegativeInfinity, logits[tok.EosId!.Value]);   // nothing is complete yet
        int bad = tok.Encode("[")[0];
        Assert.Equal(float.NegativeInfinity, logits[bad]);
        Assert.Throws<InvalidOperationException>(() => c.Accept(bad));
        Assert.Throws<InvalidOperationException>(() => c.Accept(V3ModelVocab - 1));
        int good = tok.Encode("{\"")[0];
        Assert.Equal(0f, logits[good]);
    }

    // ------------------------------------------------------------------ special tokens

    [Fact]
    public void SpecialTokenTerminalsAreTheOnlyWayToEmitAddedTokens()
    {
        var tok = V3.Value;
        int begin = tok.TokenToId("<｜tool▁calls▁begin｜>")!.Value, callBegin = tok.TokenToId("<｜tool▁call▁begin｜>")!.Value;
        int sep = tok.TokenToId("<｜tool▁sep｜>")!.Value, callEnd = tok.TokenToId("<｜tool▁call▁end｜>")!.Value, end = tok.TokenToId("<｜tool▁calls▁end｜>")!.Value;
        int eos = tok.EosId!.Value;
        var b = new GrammarBuilder();
        var args = b.JsonValue("""{"type":"object","properties":{"city":{"type":"string","maxLength":10}},"required":["city"],"additionalProperties":false}""");
        var call = Expr.Seq(Expr.Token(callBegin), Expr.Literal("function"), Expr.Token(sep), Expr.Literal("get_weather\n```json\n"), args, Expr.Literal("\n```"), Expr.Token(callEnd));
        var g = b.Build(Expr.Seq(Expr.Token(begin), call, Expr.Star(Expr.Seq(Expr.Literal("\n"), call)), Expr.Token(end)));

        var c = new TokenConstraint(tok, g, [eos]);
        var logits = new float[V3ModelVocab];
        c.Apply(logits);
        Assert.Equal([begin], Enumerable.Range(0, logits.Length).Where(i => logits[i] == 0).ToArray());
        for (int walk = 0; walk < 3; walk++)
        {
            c = new TokenConstraint(tok, g, [eos]);
            var ids = Walk(tok, c, g, V3ModelVocab, 40 + walk, 3000, Sampled(16));
            Assert.Equal(begin, ids[0]);
            Assert.Equal(end, ids[^1]);
            var text = tok.Decode(ids.ToArray());
            foreach (var part in text.Split("```json\n").Skip(1)) ParsesAndValidates(part[..part.IndexOf("\n```")], """{"type":"object","required":["city"]}""");
        }
        // the added tokens' text spelled with ordinary tokens is not the token
        var spelled = new TokenConstraint(tok, g, [eos]);
        Assert.False(spelled.Allows(tok.Encode("<")[0]));
    }

    [Fact]
    public void TokenTerminalsMustBeAddedTokens()
    {
        var tok = Tiny.Value;
        var g = new GrammarBuilder().Build(Expr.Token(tok.Encode("a")[0]));
        Assert.Contains("not an added token", Assert.Throws<ArgumentException>(() => new TokenConstraint(tok, g, [tok.EosId!.Value])).Message);
    }

    [Fact]
    public void TinyTemplateGrammarWithAddedTokensMatchesOracle()
    {
        var tok = Tiny.Value;
        int user = tok.TokenToId("<｜User｜>")!.Value, assistant = tok.TokenToId("<｜Assistant｜>")!.Value;
        var b = new GrammarBuilder();
        var g = b.Build(Expr.Plus(Expr.Seq(Expr.Token(user), Expr.Repeat(Expr.Class("a-z "), 1, 6), Expr.Optional(Expr.Token(assistant)))));
        for (int walk = 0; walk < 3; walk++)
            Walk(tok, new TokenConstraint(tok, g, [tok.EosId!.Value]), g, TinyModelVocab, 60 + walk, 2000, AllIds);
    }

    // ------------------------------------------------------------------ free text until </think>

    [Fact]
    public void ThinkPrefixWithAddedCloseToken()
    {
        var tok = Tiny.Value;
        int close = tok.TokenToId("</think>")!.Value, eos = tok.EosId!.Value;
        Assert.Contains(tok.AddedTokens, a => a.Id == close);
        var g = JsonGrammar.FromSchema(Nested);
        for (int walk = 0; walk < 3; walk++)
        {
            var c = new TokenConstraint(tok, g, [eos], freeTextUntil: "</think>");
            var logits = new float[TinyModelVocab];
            c.Apply(logits);
            Assert.Equal(float.NegativeInfinity, logits[eos]);
            Assert.Equal(0f, logits[close]);
            var ids = Walk(tok, c, g, TinyModelVocab, 70 + walk, 20000, null);
            var text = tok.Decode(ids.ToArray()); // the free part may hold partial UTF-8
            int at = text.IndexOf("</think>");
            Assert.True(at >= 0 && text.IndexOf("</think>", at + 1) < 0, text);
            ParsesAndValidates(text[(at + "</think>".Length)..], Nested);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ThinkPrefixSpelledOutThenJson(bool v3)
    {
        var tok = v3 ? V3.Value : Tiny.Value;
        int eos = tok.EosId!.Value, vocab = v3 ? V3ModelVocab : TinyModelVocab;
        var g = JsonGrammar.FromSchema(Nested);
        var c = new TokenConstraint(tok, g, [eos], freeTextUntil: "</think>");
        // reasoning written by ordinary tokens, "</think>" spelled in pieces (not the added token)
        var script = new List<int>();
        foreach (var piece in new[] { "Let me think: a < b, </thing> is not it.\n", "</", "think", ">" }) script.AddRange(tok.Encode(piece));
        var logits = new float[vocab];
        foreach (int id in script)
        {
            Assert.True(c.InFreeText);
            Array.Clear(logits);
            c.Apply(logits);
            Assert.Equal(float.NegativeInfinity, logits[eos]);
            Assert.Equal(0f, logits[id]);
            c.Accept(id);
        }
        Assert.False(c.InFreeText);
        var ids = Walk(tok, c, g, vocab, 80, 3000, v3 ? Sampled(16) : AllIds);
        ParsesAndValidates(Decode(tok, ids), Nested);
    }

    [Fact]
    public void FreeTextBansTokensThatOverrunTheStopString()
    {
        // a synthetic vocabulary: every byte, plus tokens around the stop string
        var words = new[] { "</", "thin", "k>", "k>{", "</think>", "</think>{", "x</think>", "think>" };
        var bytes = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).Concat(words.Select(Encoding.UTF8.GetBytes)).ToArray<byte[]?>();
        var trie = new TokenTrie(bytes, new Dictionary<int, string> { [300] = "<eos>", [301] = "</think>" });
        int Id(string w) => 256 + Array.IndexOf(words, w);
        var g = new GrammarBuilder().Build(Expr.Literal("{}"));
        var c = new TokenConstraint(trie, g, [300], freeTextUntil: "</think>");
        var logits = new float[302];
        c.Apply(logits);
        Assert.Equal(float.NegativeInfinity, logits[Id("</think>{")]);
        Assert.Equal(float.NegativeInfinity, logits[300]);
        Assert.Equal(0f, logits[Id("</think>")]);
        Assert.Equal(0f, logits[Id("x</think>")]);
        Assert.Equal(0f, logits[301]);
        c.Accept(Id("</"));
        c.Accept(Id("thin"));
        Array.Clear(logits);
        c.Apply(logits);
        Assert.Equal(float.NegativeInfinity, logits[Id("k>{")]);
        Assert.Equal(0f, logits[Id("k>")]);
        Assert.Throws<InvalidOperationException>(() => c.Accept(Id("k>{")));
        c.Accept(Id("k>"));
        Assert.False(c.InFreeText);
        Assert.True(c.Allows('{'));
        Assert.False(c.Allows(Id("think>")));
        // the added close token ends the free text too
        var d = new TokenConstraint(trie, g, [300], freeTextUntil: "</think>");
        d.Accept('a');
        d.Accept(301);
        Assert.False(d.InFreeText);
    }

    [Fact]
    public void TrieHoldsEveryOrdinaryTokenOnce()
    {
        var tok = V3.Value;
        var trie = TokenTrie.For(tok);
        Assert.Same(trie, TokenTrie.For(tok));
        Assert.Equal(tok.VocabSize, trie.VocabSize);
        int ordinary = Enumerable.Range(0, tok.VocabSize).Count(i => !trie.IsAdded(i) && tok.IdToToken(i) != null);
        Assert.Equal(ordinary, trie.Nodes.Count(n => n.Token >= 0) + trie.Duplicates.Length);
        for (int id = 0; id < tok.VocabSize; id += 97)
            if (!trie.IsAdded(id)) Assert.Equal(TokenBytes(tok, id), trie.Bytes(id).ToArray());
    }
}
