// Composes a Grammar from named rules and Exprs. Choices and repeats inside a rule become anonymous rules
// (a repeat is right-recursive, a bounded one a chain of optionals), a choice of single bytes becomes one byte set;
// an Expr object used twice compiles once. JsonValue adds the rules of a JSON Schema (JsonSchemaGrammar).
using System.Text.Json;

namespace SharpSeek.Engine.Constrained;

public sealed class GrammarBuilder
{
    readonly List<string> _names = [];
    readonly List<Expr?> _bodies = [];
    internal JsonRules? Json;         // the shared JSON building blocks, made on first use
    internal int JsonSchemas;          // schemas compiled so far (prefixes their rule names)
    readonly List<Expr> _tokenClasses = [];

    /// <summary>Declares the token class unit* (e.g. JSON string characters): see TokenClass. Affects speed, never the language.</summary>
    internal void AddTokenClass(Expr unit) => _tokenClasses.Add(unit);

    /// <summary>Declares a rule; reference it anywhere (also inside its own body), define it before Build.</summary>
    public RuleExpr Rule(string name)
    {
        string unique = name;
        for (int k = 2; _names.Contains(unique); k++) unique = $"{name}{k}";
        _names.Add(unique);
        _bodies.Add(null);
        return new RuleExpr(this, _names.Count - 1, unique);
    }

    public RuleExpr Rule(string name, Expr body)
    {
        var r = Rule(name);
        Define(r, body);
        return r;
    }

    public void Define(RuleExpr rule, Expr body)
    {
        if (rule.Owner != this) throw new ArgumentException($"rule '{rule.Name}' belongs to another builder");
        if (_bodies[rule.Index] != null) throw new ArgumentException($"rule '{rule.Name}' is already defined");
        _bodies[rule.Index] = body;
    }

    /// <summary>A JSON value matching <paramref name="schema"/> (JSON Schema text); {"type":"object"} is any object.</summary>
    /// <exception cref="SchemaException">unsupported keyword or malformed schema, naming its path</exception>
    public Expr JsonValue(string schema)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(schema); }
        catch (JsonException e) { throw new SchemaException($"the schema is not valid JSON: {e.Message}", "$", null); }
        using (doc) return JsonValue(doc.RootElement);
    }

    public Expr JsonValue(JsonElement schema) => new JsonSchemaGrammar(this, schema).Root();

    /// <summary>Compiles the rules reachable from <paramref name="root"/> (also usable again after more rules are added).</summary>
    public Grammar Build(Expr root) => new Compiler(this, root).Compile([.. _tokenClasses.Select(u => new Compiler(this, Expr.Star(u)).Compile([]))]);

    sealed class Compiler
    {
        readonly GrammarBuilder _b;
        readonly List<int> _elements = [Grammar.Make(Grammar.Rule, 0), Grammar.End]; // start: [root rule, End]
        readonly List<ulong> _sets = [];
        readonly Dictionary<(ulong, ulong, ulong, ulong), int> _setIndex = [];
        readonly List<string> _names = ["root"];
        readonly List<Expr> _bodies;
        readonly Dictionary<Expr, int> _anonymous = new(ReferenceEqualityComparer.Instance);
        readonly Dictionary<int, int> _declared = [];   // builder rule index → grammar rule index, on first use
        int _current;

        public Compiler(GrammarBuilder b, Expr root)
        {
            _b = b;
            _bodies = [root];
        }

        public Grammar Compile(Grammar[] tokenClasses)
        {
            var alternatives = new List<int[]>();
            for (_current = 0; _current < _bodies.Count; _current++) // anonymous rules are appended while compiling
            {
                var body = _bodies[_current];
                if (body is RepeatExpr { Min: 0, Max: not 0 } rep) body = Tail(rep, _current); // "x?" / "x*" as a rule: no extra indirection
                Expr[] alts = body is ChoiceExpr c && !AllBytes(c) ? c.Alternatives : [body];
                var starts = new int[alts.Length];
                for (int a = 0; a < alts.Length; a++)
                {
                    starts[a] = _elements.Count;
                    Emit(alts[a]);
                    _elements.Add(Grammar.End);
                }
                alternatives.Add(starts);
            }
            return new Grammar([.. _elements], [.. _sets], [.. alternatives], [.. _names], tokenClasses);
        }

        void Emit(Expr e)
        {
            switch (e)
            {
                case LiteralExpr l:
                    foreach (byte x in l.Bytes) _elements.Add(Grammar.Make(Grammar.Bytes, SetOf(x)));
                    break;
                case SetExpr s: _elements.Add(Grammar.Make(Grammar.Bytes, SetIndex(s.Set))); break;
                case TokenExpr t: _elements.Add(Grammar.Make(Grammar.Token, t.Id)); break;
                case SeqExpr q: foreach (var x in q.Items) Emit(x); break;
                case RuleExpr r: _elements.Add(Grammar.Make(Grammar.Rule, Declared(r))); break;
                case RuleRefExpr r: _elements.Add(Grammar.Make(Grammar.Rule, r.Rule)); break;
                case ChoiceExpr c when AllBytes(c): _elements.Add(Grammar.Make(Grammar.Bytes, SetIndex(Union(c)))); break;
                case ChoiceExpr c: _elements.Add(Grammar.Make(Grammar.Rule, Anonymous(c, _ => c))); break;
                case RepeatExpr r:
                    for (int i = 0; i < r.Min; i++) Emit(r.Item);
                    if (r.Max != r.Min) _elements.Add(Grammar.Make(Grammar.Rule, Anonymous(r, self => Tail(r, self))));
                    break;
                default: throw new ArgumentException($"unknown expression {e.GetType().Name}");
            }
        }

        // the part of a repeat after its `Min` copies: item* (right-recursive) or a chain of Max-Min optionals
        Expr Tail(RepeatExpr r, int self)
        {
            if (r.Max < 0) return new ChoiceExpr([Expr.Seq(r.Item, Ref(self)), Expr.Empty]);
            Expr chain = new ChoiceExpr([r.Item, Expr.Empty]);
            for (int k = 1; k < r.Max - r.Min; k++)
                chain = new ChoiceExpr([Expr.Seq(r.Item, Ref(NewRule(chain))), Expr.Empty]);
            return chain;
        }

        // compiles `body(rule index)` as a new rule once per key object
        int Anonymous(Expr key, Func<int, Expr> body)
        {
            if (_anonymous.TryGetValue(key, out int r)) return r;
            r = NewRule(Expr.Empty);         // placeholder until the body (which may refer to the rule) is made
            _anonymous[key] = r;
            _bodies[r] = body(r);
            return r;
        }

        int NewRule(Expr body)
        {
            _names.Add($"{_names[_current]}_{_bodies.Count}");
            _bodies.Add(body);
            return _bodies.Count - 1;
        }

        static Expr Ref(int rule) => new RuleRefExpr(rule);

        // the grammar rule of a builder rule, compiled only when reachable from the root
        int Declared(RuleExpr r)
        {
            if (r.Owner != _b) throw new GrammarException($"rule '{r.Name}' belongs to another builder");
            if (_declared.TryGetValue(r.Index, out int g)) return g;
            _names.Add(r.Name);
            _bodies.Add(_b._bodies[r.Index] ?? throw new GrammarException($"rule '{r.Name}' is used but never defined"));
            return _declared[r.Index] = _bodies.Count - 1;
        }

        // a reference to an anonymous rule of this compilation
        sealed class RuleRefExpr(int rule) : Expr { public readonly int Rule = rule; }

        static bool AllBytes(ChoiceExpr c) => c.Alternatives.All(a => a is SetExpr or LiteralExpr { Bytes.Length: 1 } || a is ChoiceExpr n && AllBytes(n));

        static ulong[] Union(ChoiceExpr c)
        {
            var set = new ulong[4];
            foreach (var a in c.Alternatives)
            {
                var s = a switch { SetExpr x => x.Set, LiteralExpr l => Single(l.Bytes[0]), ChoiceExpr n => Union(n), _ => throw new InvalidOperationException() };
                for (int w = 0; w < 4; w++) set[w] |= s[w];
            }
            return set;
        }

        static ulong[] Single(byte b)
        {
            var s = new ulong[4];
            s[b >> 6] = 1UL << (b & 63);
            return s;
        }

        int SetOf(byte b) => SetIndex(Single(b));

        int SetIndex(ulong[] s)
        {
            var key = (s[0], s[1], s[2], s[3]);
            if (_setIndex.TryGetValue(key, out int i)) return i;
            _sets.AddRange(s);
            return _setIndex[key] = _sets.Count / 4 - 1;
        }
    }
}
