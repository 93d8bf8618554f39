// The Jinja evaluator: scopes, statements, operators, filters, tests, string/list/dict methods and globals
// (namespace, range, raise_exception). Value rendering follows @huggingface/jinja (true → "true", none → "").
using System.Collections;
using System.Globalization;
using System.Text;

namespace SharpSeek.Tokenizers.Jinja;

public sealed class Template
{
    readonly List<Node> _body;

    public Template(string source)
    {
        try { _body = new Parser(Lexer.Tokenize(source)).ParseTemplate(); }
        catch (ChatTemplateException) { throw; }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new ChatTemplateException("chat template does not parse: " + e.Message, e);
        }
    }

    public string Render(Dictionary<string, object?> context)
    {
        var scope = new Scope(null);
        scope.Vars["namespace"] = (Callable)((args, kw) =>
        {
            var d = new Dictionary<string, object?>();
            foreach (var a in args) if (a is Dictionary<string, object?> m) foreach (var (k, v) in m) d[k] = v;
            foreach (var (k, v) in kw) d[k] = v;
            return d;
        });
        scope.Vars["raise_exception"] = (Callable)((args, _) => throw new ChatTemplateException("raise_exception: " + Values.Str(args.FirstOrDefault())));
        scope.Vars["range"] = (Callable)((args, _) =>
        {
            long start = 0, stop, step = 1;
            if (args.Count == 1) stop = Values.Long(args[0]);
            else { start = Values.Long(args[0]); stop = Values.Long(args[1]); if (args.Count > 2) step = Values.Long(args[2]); }
            var l = new List<object?>();
            if (step == 0) throw new ChatTemplateException("range() step must not be zero");
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) l.Add(i);
            return l;
        });
        scope.Vars["dict"] = (Callable)((args, kw) => new Dictionary<string, object?>(kw));
        foreach (var (k, v) in context) scope.Vars[k] = v;
        var sb = new StringBuilder();
        try { new Interp().Exec(_body, scope, sb); }
        catch (ChatTemplateException) { throw; }
        catch (Exception e) when (e is InvalidCastException or FormatException or ArgumentException or KeyNotFoundException or OverflowException)
        {
            throw new ChatTemplateException("chat template failed: " + e.Message, e);
        }
        return sb.ToString();
    }
}

sealed class Scope(Scope? parent)
{
    public readonly Dictionary<string, object?> Vars = [];
    public Scope? Parent { get; } = parent;

    public object? Get(string name)
    {
        for (var s = this; s != null; s = s.Parent)
            if (s.Vars.TryGetValue(name, out var v)) return v;
        return Undefined.Instance;
    }
}

sealed class LoopControl(bool isBreak) : Exception
{
    public bool IsBreak { get; } = isBreak;
}

sealed class Interp
{
    public void Exec(List<Node> nodes, Scope scope, StringBuilder sb)
    {
        foreach (var n in nodes) Exec(n, scope, sb);
    }

    void Exec(Node n, Scope scope, StringBuilder sb)
    {
        switch (n)
        {
            case TextNode t: sb.Append(t.Text); break;
            case OutputNode o: sb.Append(Values.Str(Eval(o.E, scope))); break;
            case IfNode f:
                foreach (var (cond, body) in f.Branches)
                    if (Values.Truthy(Eval(cond, scope))) { Exec(body, scope, sb); return; }
                if (f.Else != null) Exec(f.Else, scope, sb);
                break;
            case ForNode f: ExecFor(f, scope, sb); break;
            case SetNode s:
                {
                    object? value;
                    if (s.Block != null) { var inner = new StringBuilder(); Exec(s.Block, scope, inner); value = inner.ToString(); }
                    else value = Eval(s.Value!, scope);
                    Assign(s.Target, value, scope);
                    break;
                }
            case MacroNode m: scope.Vars[m.Name] = MakeMacro(m, scope); break;
            case CallBlockNode c:
                {
                    var call = (CallExpr)c.Call;
                    var fn = Eval(call.Fn, scope);
                    var caller = (Callable)((_, _) => { var inner = new StringBuilder(); Exec(c.Body, new Scope(scope), inner); return inner.ToString(); });
                    var kwargs = call.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope));
                    kwargs["caller"] = caller;
                    sb.Append(Values.Str(Invoke(fn, call.Args.Select(a => Eval(a, scope)).ToList(), kwargs)));
                    break;
                }
            case FilterBlockNode fb:
                {
                    var inner = new StringBuilder();
                    Exec(fb.Body, scope, inner);
                    sb.Append(Values.Str(Builtins.Filter(fb.Filter, inner.ToString(), fb.Args.Select(a => Eval(a, scope)).ToList(), [])));
                    break;
                }
            case BreakNode: throw new LoopControl(true);
            case ContinueNode: throw new LoopControl(false);
        }
    }

    Callable MakeMacro(MacroNode m, Scope defScope)
    {
        return (args, kwargs) =>
        {
            var s = new Scope(defScope);
            for (int i = 0; i < m.Params.Count; i++)
            {
                var (name, def) = m.Params[i];
                s.Vars[name] = i < args.Count ? args[i] : kwargs.TryGetValue(name, out var kv) ? kv : def != null ? Eval(def, defScope) : Undefined.Instance;
            }
            if (kwargs.TryGetValue("caller", out var caller)) s.Vars["caller"] = caller;
            var sb = new StringBuilder();
            Exec(m.Body, s, sb);
            return sb.ToString();
        };
    }

    void Assign(Expr target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameExpr n: scope.Vars[n.Name] = value; break;
            case AttrExpr a:
                {
                    var obj = Eval(a.Obj, scope);
                    if (obj is Dictionary<string, object?> d) d[a.Name] = value;
                    else throw new ChatTemplateException($"cannot set attribute '{a.Name}' on {Values.TypeName(obj)}");
                    break;
                }
            case ListExpr l:
                {
                    var items = Values.Iterate(value).ToList();
                    if (items.Count != l.Items.Count) throw new ChatTemplateException($"cannot unpack {items.Count} values into {l.Items.Count} names");
                    for (int i = 0; i < items.Count; i++) Assign(l.Items[i], items[i], scope);
                    break;
                }
            default: throw new ChatTemplateException("invalid assignment target");
        }
    }

    void ExecFor(ForNode f, Scope scope, StringBuilder sb)
    {
        var source = Eval(f.Iter, scope);
        var items = new List<object?>();
        foreach (var item in Values.Iterate(source))
        {
            if (f.Filter != null)
            {
                var fs = new Scope(scope);
                BindTargets(f.Targets, item, fs);
                if (!Values.Truthy(Eval(f.Filter, fs))) continue;
            }
            items.Add(item);
        }
        if (items.Count == 0) { if (f.Else != null) Exec(f.Else, scope, sb); return; }
        for (int i = 0; i < items.Count; i++)
        {
            var s = new Scope(scope);
            BindTargets(f.Targets, items[i], s);
            int idx = i;
            var loop = new Dictionary<string, object?>
            {
                ["index"] = (long)(i + 1), ["index0"] = (long)i, ["first"] = i == 0, ["last"] = i == items.Count - 1,
                ["length"] = (long)items.Count, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                ["previtem"] = i > 0 ? items[i - 1] : Undefined.Instance,
                ["nextitem"] = i < items.Count - 1 ? items[i + 1] : Undefined.Instance,
                ["cycle"] = (Callable)((args, _) => args.Count == 0 ? null : args[idx % args.Count]),
            };
            s.Vars["loop"] = loop;
            try { Exec(f.Body, s, sb); }
            catch (LoopControl lc) { if (lc.IsBreak) break; }
        }
    }

    static void BindTargets(List<string> targets, object? item, Scope s)
    {
        if (targets.Count == 1) { s.Vars[targets[0]] = item; return; }
        var parts = Values.Iterate(item).ToList();
        if (parts.Count != targets.Count) throw new ChatTemplateException($"cannot unpack {parts.Count} values into {targets.Count} loop variables");
        for (int i = 0; i < targets.Count; i++) s.Vars[targets[i]] = parts[i];
    }

    // ---------------------------------------------------------------- expressions

    public object? Eval(Expr e, Scope scope)
    {
        switch (e)
        {
            case Lit l: return l.Value;
            case NameExpr n: return scope.Get(n.Name);
            case ListExpr l: return l.Items.Select(x => Eval(x, scope)).ToList();
            case DictExpr d:
                {
                    var r = new Dictionary<string, object?>();
                    foreach (var (k, v) in d.Items) r[Values.Str(Eval(k, scope))] = Eval(v, scope);
                    return r;
                }
            case AttrExpr a: return Values.GetAttr(Eval(a.Obj, scope), a.Name);
            case IndexExpr ix: return Values.GetItem(Eval(ix.Obj, scope), Eval(ix.Index, scope));
            case SliceExpr sl:
                return Values.Slice(Eval(sl.Obj, scope), sl.Start is null ? null : Eval(sl.Start, scope),
                    sl.Stop is null ? null : Eval(sl.Stop, scope), sl.Step is null ? null : Eval(sl.Step, scope));
            case CallExpr c:
                {
                    var args = c.Args.Select(a => Eval(a, scope)).ToList();
                    var kwargs = c.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope));
                    if (c.Fn is AttrExpr m)
                    {
                        var target = Eval(m.Obj, scope);
                        if (Builtins.TryMethod(target, m.Name, args, kwargs, out var r)) return r;
                    }
                    return Invoke(Eval(c.Fn, scope), args, kwargs);
                }
            case FilterExpr f:
                {
                    var v = Eval(f.Value, scope);
                    var args = f.Args.Select(a => Eval(a, scope)).ToList();
                    var kwargs = f.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope));
                    return Builtins.Filter(f.Name, v, args, kwargs);
                }
            case TestExpr t:
                {
                    var r = Builtins.Test(t.Name, Eval(t.Value, scope), t.Args.Select(a => Eval(a, scope)).ToList());
                    return t.Negate ? !r : r;
                }
            case UnaryExpr u:
                {
                    var v = Eval(u.Operand, scope);
                    return u.Op == "not" ? !Values.Truthy(v) : Values.Negate(v);
                }
            case BinExpr b:
                {
                    if (b.Op == "and") { var l = Eval(b.Left, scope); return Values.Truthy(l) ? Eval(b.Right, scope) : l; }
                    if (b.Op == "or") { var l = Eval(b.Left, scope); return Values.Truthy(l) ? l : Eval(b.Right, scope); }
                    return Values.Binary(b.Op, Eval(b.Left, scope), Eval(b.Right, scope));
                }
            case CondExpr c:
                return Values.Truthy(Eval(c.Cond, scope)) ? Eval(c.Then, scope) : c.Else is null ? Undefined.Instance : Eval(c.Else, scope);
            default: throw new ChatTemplateException($"cannot evaluate {e.GetType().Name}");
        }
    }

    static object? Invoke(object? fn, List<object?> args, Dictionary<string, object?> kwargs) => fn switch
    {
        Callable c => c(args, kwargs),
        Undefined => throw new ChatTemplateException("call of an undefined function"),
        _ => throw new ChatTemplateException($"{Values.TypeName(fn)} is not callable"),
    };
}

public static class Values
{
    /// <summary>Converts CLR values (arrays, dictionaries, records of JSON, numbers) into template values.</summary>
    public static object? FromClr(object? v) => v switch
    {
        null or string or bool or long or double or Undefined or Callable => v,
        int i => (long)i,
        float f => (double)f,
        decimal m => (double)m,
        System.Text.Json.JsonElement j => FromJson(j),
        Dictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => FromClr(kv.Value)),
        IDictionary d => d.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => FromClr(d[k])),
        IEnumerable e => e.Cast<object?>().Select(FromClr).ToList(),
        ChatMessage m => m.ToTemplateValue(),
        _ => v.ToString(),
    };

    public static object? FromJson(System.Text.Json.JsonElement j) => j.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Object => j.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value)),
        System.Text.Json.JsonValueKind.Array => j.EnumerateArray().Select(FromJson).ToList(),
        System.Text.Json.JsonValueKind.String => j.GetString(),
        System.Text.Json.JsonValueKind.Number => j.TryGetInt64(out var l) ? (object)l : j.GetDouble(),
        System.Text.Json.JsonValueKind.True => true,
        System.Text.Json.JsonValueKind.False => false,
        _ => null,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "none", Undefined => "undefined", string => "string", bool => "boolean", long => "integer", double => "float",
        List<object?> => "list", Dictionary<string, object?> => "dict", Callable => "function", _ => v.GetType().Name,
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    /// <summary>How {{ value }} prints (the @huggingface/jinja conventions).</summary>
    public static string Str(object? v) => v switch
    {
        null or Undefined => "",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        List<object?> or Dictionary<string, object?> => ToJson(v, null),
        _ => v.ToString() ?? "",
    };

    static string FormatDouble(double d) =>
        double.IsInteger(d) && Math.Abs(d) < 1e16 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);

    public static long Long(object? v) => v switch
    {
        long l => l,
        double d => (long)d,
        bool b => b ? 1 : 0,
        string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => throw new ChatTemplateException($"expected an integer, got {TypeName(v)}"),
    };

    static double Dbl(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new ChatTemplateException($"expected a number, got {TypeName(v)}"),
    };

    public static IEnumerable<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        Dictionary<string, object?> d => d.Keys.Cast<object?>(),
        string s => EnumerateCodePoints(s),
        null or Undefined => [],
        _ => throw new ChatTemplateException($"{TypeName(v)} is not iterable"),
    };

    static IEnumerable<object?> EnumerateCodePoints(string s)
    {
        for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1)
            yield return char.IsSurrogatePair(s, i) ? s.Substring(i, 2) : s[i].ToString();
    }

    public static object? GetAttr(object? obj, string name)
    {
        if (obj is Dictionary<string, object?> d) return d.TryGetValue(name, out var v) ? v : Undefined.Instance;
        if (obj is List<object?> l && name == "length") return (long)l.Count;
        if (obj is string s && name == "length") return (long)s.Length;
        return Undefined.Instance; // methods are resolved at call time (Builtins.TryMethod)
    }

    public static object? GetItem(object? obj, object? key)
    {
        switch (obj)
        {
            case Dictionary<string, object?> d:
                return key is string k && d.TryGetValue(k, out var v) ? v : key is long or double && d.TryGetValue(Str(key), out var v2) ? v2 : Undefined.Instance;
            case List<object?> l:
                {
                    long i = Long(key);
                    if (i < 0) i += l.Count;
                    return i >= 0 && i < l.Count ? l[(int)i] : Undefined.Instance;
                }
            case string s:
                {
                    var cps = EnumerateCodePoints(s).ToList();
                    long i = Long(key);
                    if (i < 0) i += cps.Count;
                    return i >= 0 && i < cps.Count ? cps[(int)i] : Undefined.Instance;
                }
            default: return Undefined.Instance;
        }
    }

    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        List<object?> items = obj switch
        {
            List<object?> l => l,
            string s => EnumerateCodePoints(s).ToList(),
            _ => throw new ChatTemplateException($"cannot slice {TypeName(obj)}"),
        };
        int n = items.Count;
        long st = step is null or Undefined ? 1 : Long(step);
        if (st == 0) throw new ChatTemplateException("slice step cannot be zero");
        long a, b;
        if (st > 0)
        {
            a = start is null or Undefined ? 0 : Long(start);
            b = stop is null or Undefined ? n : Long(stop);
            if (a < 0) a = Math.Max(0, a + n); else a = Math.Min(a, n);
            if (b < 0) b = Math.Max(0, b + n); else b = Math.Min(b, n);
        }
        else
        {
            a = start is null or Undefined ? n - 1 : Long(start);
            b = stop is null or Undefined ? -1 : Long(stop);
            if (a < 0) a = Math.Max(-1, a + n); else a = Math.Min(a, n - 1);
            if (stop is not (null or Undefined)) { if (b < 0) b = Math.Max(-1, b + n); else b = Math.Min(b, n - 1); }
        }
        var r = new List<object?>();
        for (long i = a; st > 0 ? i < b : i > b; i += st) r.Add(items[(int)i]);
        return obj is string ? string.Concat(r.Cast<string>()) : r;
    }

    public static object? Negate(object? v) => v switch
    {
        long l => -l,
        double d => -d,
        _ => throw new ChatTemplateException($"cannot negate {TypeName(v)}"),
    };

    public static bool Eq(object? a, object? b)
    {
        if (a is Undefined) a = null;
        if (b is Undefined) b = null;
        if (a is long or double && b is long or double) return Dbl(a) == Dbl(b);
        if (a is List<object?> la && b is List<object?> lb) return la.Count == lb.Count && la.Zip(lb).All(p => Eq(p.First, p.Second));
        return Equals(a, b);
    }

    public static object? Binary(string op, object? a, object? b)
    {
        switch (op)
        {
            case "==": return Eq(a, b);
            case "!=": return !Eq(a, b);
            case "~": return Str(a) + Str(b);
            case "in": return Contains(b, a);
            case "not in": return !Contains(b, a);
            case "<" or ">" or "<=" or ">=":
                {
                    int c = a is string sa && b is string sb ? string.CompareOrdinal(sa, sb) : Dbl(a).CompareTo(Dbl(b));
                    return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
                }
            case "+":
                if (a is string || b is string)
                {
                    if (a is null or Undefined || b is null or Undefined) throw new ChatTemplateException("cannot add none to a string");
                    return Str(a) + Str(b);
                }
                if (a is List<object?> la && b is List<object?> lb) return la.Concat(lb).ToList();
                return a is long x && b is long y ? (object)(x + y) : Dbl(a) + Dbl(b);
            case "-": return a is long x1 && b is long y1 ? (object)(x1 - y1) : Dbl(a) - Dbl(b);
            case "*":
                if (a is string s && b is long n) return string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, n)));
                if (a is List<object?> ll && b is long n2) return Enumerable.Repeat(ll, (int)Math.Max(0, n2)).SelectMany(x => x).ToList();
                return a is long x2 && b is long y2 ? (object)(x2 * y2) : Dbl(a) * Dbl(b);
            case "/": return Dbl(a) / Dbl(b);
            case "//":
                if (a is long x3 && b is long y3) return (long)Math.Floor((double)x3 / y3);
                return Math.Floor(Dbl(a) / Dbl(b));
            case "%":
                if (a is long x4 && b is long y4) { long m = x4 % y4; return m != 0 && (m < 0) != (y4 < 0) ? m + y4 : m; }
                return Dbl(a) - Dbl(b) * Math.Floor(Dbl(a) / Dbl(b));
            default: throw new ChatTemplateException($"unknown operator {op}");
        }
    }

    static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string i && s.Contains(i, StringComparison.Ordinal),
        List<object?> l => l.Any(x => Eq(x, item)),
        Dictionary<string, object?> d => item is string k && d.ContainsKey(k),
        null or Undefined => false,
        _ => throw new ChatTemplateException($"'in' is not supported on {TypeName(container)}"),
    };

    /// <summary>Python json.dumps (ensure_ascii=False) formatting, as transformers' tojson and @huggingface/jinja print.</summary>
    public static string ToJson(object? v, long? indent, int depth = 0, bool sortKeys = false)
    {
        string item = indent is null ? ", " : ",", key = ": ";
        switch (v)
        {
            case null or Undefined: return "null";
            case bool b: return b ? "true" : "false";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return FormatDouble(d);
            case string s: return JsonString(s);
            case List<object?> list:
                {
                    if (list.Count == 0) return "[]";
                    if (indent is null) return "[" + string.Join(item, list.Select(x => ToJson(x, null, depth + 1, sortKeys))) + "]";
                    var pad = "\n" + new string(' ', (int)indent * (depth + 1));
                    return "[" + pad + string.Join(item + pad, list.Select(x => ToJson(x, indent, depth + 1, sortKeys))) + "\n" + new string(' ', (int)indent * depth) + "]";
                }
            case Dictionary<string, object?> dict:
                {
                    if (dict.Count == 0) return "{}";
                    IEnumerable<KeyValuePair<string, object?>> entries = sortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal) : dict;
                    var parts = entries.Select(kv => JsonString(kv.Key) + key + ToJson(kv.Value, indent, depth + 1, sortKeys));
                    if (indent is null) return "{" + string.Join(item, parts) + "}";
                    var pad = "\n" + new string(' ', (int)indent * (depth + 1));
                    return "{" + pad + string.Join(item + pad, parts) + "\n" + new string(' ', (int)indent * depth) + "}";
                }
            default: return JsonString(Str(v));
        }
    }

    static string JsonString(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}

static class Builtins
{
    static string Arg(List<object?> a, int i, string fallback) => i < a.Count && a[i] is string s ? s : fallback;

    public static object? Filter(string name, object? v, List<object?> a, Dictionary<string, object?> kw)
    {
        switch (name)
        {
            case "trim": return Values.Str(v).Trim(TrimChars(a.Count > 0 ? a[0] : null));
            case "upper": return Values.Str(v).ToUpperInvariant();
            case "lower": return Values.Str(v).ToLowerInvariant();
            case "capitalize": { var s = Values.Str(v); return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant(); }
            case "title": return Title(Values.Str(v));
            case "length" or "count":
                return v switch
                {
                    string s => (long)s.EnumerateRunes().Count(),
                    List<object?> l => (long)l.Count,
                    Dictionary<string, object?> d => (long)d.Count,
                    _ => 0L,
                };
            case "first": return Values.Iterate(v).FirstOrDefault(Undefined.Instance);
            case "last": { var l = Values.Iterate(v).ToList(); return l.Count > 0 ? l[^1] : Undefined.Instance; }
            case "join": return string.Join(Arg(a, 0, kw.TryGetValue("d", out var d0) ? Values.Str(d0) : ""), Values.Iterate(v).Select(Values.Str));
            case "default" or "d":
                {
                    bool boolean = (a.Count > 1 && Values.Truthy(a[1])) || (kw.TryGetValue("boolean", out var bo) && Values.Truthy(bo));
                    bool use = v is Undefined || (boolean && !Values.Truthy(v));
                    return use ? (a.Count > 0 ? a[0] : kw.GetValueOrDefault("default_value", "")) : v;
                }
            case "tojson":
                {
                    object? ind = a.Count > 0 ? a[0] : kw.GetValueOrDefault("indent");
                    bool sort = kw.TryGetValue("sort_keys", out var sk) && Values.Truthy(sk);
                    return Values.ToJson(v, ind is null or Undefined ? null : Values.Long(ind), 0, sort);
                }
            case "string": return Values.Str(v);
            case "safe": return v;
            case "int": return v is string s0 && double.TryParse(s0, NumberStyles.Float, CultureInfo.InvariantCulture, out var pd) ? (long)pd : v is long or double or bool ? Values.Long(v) : 0L;
            case "float": return v is long l0 ? (double)l0 : v is double ? v : (object)(double.TryParse(Values.Str(v), NumberStyles.Float, CultureInfo.InvariantCulture, out var f0) ? f0 : 0.0);
            case "abs": return v is long l1 ? (object)Math.Abs(l1) : Math.Abs((double)v!);
            case "list": return Values.Iterate(v).ToList();
            case "reverse": return v is string rs ? new string(rs.Reverse().ToArray()) : Values.Iterate(v).Reverse().ToList();
            case "sort": return Values.Iterate(v).OrderBy(x => x, Comparer<object?>.Create((x, y) => x is string sx && y is string sy ? string.CompareOrdinal(sx, sy) : Comparer<double>.Default.Compare(Convert.ToDouble(x), Convert.ToDouble(y)))).ToList();
            case "unique": { var r = new List<object?>(); foreach (var x in Values.Iterate(v)) if (!r.Any(y => Values.Eq(x, y))) r.Add(x); return r; }
            case "items": return v is Dictionary<string, object?> di ? di.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList() : new List<object?>();
            case "replace": return Values.Str(v).Replace(Values.Str(a[0]), Values.Str(a[1]), StringComparison.Ordinal);
            case "round": { var x = Convert.ToDouble(v); int digits = a.Count > 0 ? (int)Values.Long(a[0]) : 0; return Math.Round(x, digits, MidpointRounding.ToEven); }
            case "indent":
                {
                    int width = a.Count > 0 ? (int)Values.Long(a[0]) : kw.TryGetValue("width", out var w) ? (int)Values.Long(w) : 4;
                    bool first = (a.Count > 1 && Values.Truthy(a[1])) || (kw.TryGetValue("first", out var fi) && Values.Truthy(fi));
                    var pad = new string(' ', width);
                    var lines = Values.Str(v).Split('\n');
                    for (int i = 0; i < lines.Length; i++) if ((i > 0 || first) && lines[i].Length > 0) lines[i] = pad + lines[i];
                    return string.Join('\n', lines);
                }
            case "map":
                {
                    if (kw.TryGetValue("attribute", out var attr)) return Values.Iterate(v).Select(x => Values.GetAttr(x, Values.Str(attr))).ToList();
                    var fname = Arg(a, 0, "");
                    return Values.Iterate(v).Select(x => Filter(fname, x, a.Skip(1).ToList(), [])).ToList();
                }
            case "selectattr" or "rejectattr":
                {
                    bool select = name == "selectattr";
                    var attr = Arg(a, 0, "");
                    return Values.Iterate(v).Where(x =>
                    {
                        var val = Values.GetAttr(x, attr);
                        bool ok = a.Count > 1 ? Test(Values.Str(a[1]), val, a.Skip(2).ToList()) : Values.Truthy(val);
                        return ok == select;
                    }).ToList();
                }
            case "select" or "reject":
                {
                    bool select = name == "select";
                    return Values.Iterate(v).Where(x => (a.Count > 0 ? Test(Values.Str(a[0]), x, a.Skip(1).ToList()) : Values.Truthy(x)) == select).ToList();
                }
            default: throw new ChatTemplateException($"unsupported filter '{name}'");
        }
    }

    static char[] TrimChars(object? chars) => chars is string s ? s.ToCharArray() : [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];

    static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool start = true;
        foreach (char c in s)
        {
            sb.Append(start ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            start = !char.IsLetterOrDigit(c);
        }
        return sb.ToString();
    }

    public static bool Test(string name, object? v, List<object?> a) => name switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "string" => v is string,
        "number" => v is long or double,
        "integer" => v is long,
        "float" => v is double,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "mapping" => v is Dictionary<string, object?>,
        "iterable" => v is List<object?> or string or Dictionary<string, object?>,
        "sequence" => v is List<object?> or string,
        "callable" => v is Callable,
        "odd" => Values.Long(v) % 2 != 0,
        "even" => Values.Long(v) % 2 == 0,
        "divisibleby" => Values.Long(v) % Values.Long(a[0]) == 0,
        "lower" => v is string s && s == s.ToLowerInvariant(),
        "upper" => v is string s2 && s2 == s2.ToUpperInvariant(),
        "equalto" or "eq" or "==" or "sameas" => Values.Eq(v, a.FirstOrDefault()),
        "ne" or "!=" => !Values.Eq(v, a.FirstOrDefault()),
        "in" => (bool)Values.Binary("in", v, a.FirstOrDefault())!,
        _ => throw new ChatTemplateException($"unsupported test '{name}'"),
    };

    /// <summary>Python-style methods of strings, lists and dicts.</summary>
    public static bool TryMethod(object? target, string name, List<object?> a, Dictionary<string, object?> kw, out object? result)
    {
        result = null;
        switch (target)
        {
            case string s:
                switch (name)
                {
                    case "strip": result = s.Trim(TrimChars(a.FirstOrDefault())); return true;
                    case "lstrip": result = s.TrimStart(TrimChars(a.FirstOrDefault())); return true;
                    case "rstrip": result = s.TrimEnd(TrimChars(a.FirstOrDefault())); return true;
                    case "upper": result = s.ToUpperInvariant(); return true;
                    case "lower": result = s.ToLowerInvariant(); return true;
                    case "title": result = Title(s); return true;
                    case "capitalize": result = Filter("capitalize", s, a, kw); return true;
                    case "startswith": result = Prefixes(a[0]).Any(p => s.StartsWith(p, StringComparison.Ordinal)); return true;
                    case "endswith": result = Prefixes(a[0]).Any(p => s.EndsWith(p, StringComparison.Ordinal)); return true;
                    case "replace":
                        {
                            var from = Values.Str(a[0]); var to = Values.Str(a[1]);
                            long count = a.Count > 2 ? Values.Long(a[2]) : -1;
                            if (count < 0) { result = from.Length == 0 ? s : s.Replace(from, to, StringComparison.Ordinal); return true; }
                            var sb = new StringBuilder(); int pos = 0;
                            for (long k = 0; k < count; k++) { int f = s.IndexOf(from, pos, StringComparison.Ordinal); if (f < 0) break; sb.Append(s, pos, f - pos).Append(to); pos = f + from.Length; }
                            result = sb.Append(s, pos, s.Length - pos).ToString();
                            return true;
                        }
                    case "split":
                        {
                            object? sep = a.Count > 0 ? a[0] : kw.GetValueOrDefault("sep");
                            long max = a.Count > 1 ? Values.Long(a[1]) : kw.TryGetValue("maxsplit", out var ms) ? Values.Long(ms) : -1;
                            if (sep is null or Undefined)
                            {
                                var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                                result = parts.Select(p => (object?)p).ToList();
                            }
                            else
                            {
                                var parts = max < 0 ? s.Split(Values.Str(sep)) : s.Split(Values.Str(sep), (int)max + 1);
                                result = parts.Select(p => (object?)p).ToList();
                            }
                            return true;
                        }
                    case "find": result = (long)s.IndexOf(Values.Str(a[0]), StringComparison.Ordinal); return true;
                    case "count": { var sub = Values.Str(a[0]); long n = 0; if (sub.Length > 0) for (int p = s.IndexOf(sub, StringComparison.Ordinal); p >= 0; p = s.IndexOf(sub, p + sub.Length, StringComparison.Ordinal)) n++; result = n; return true; }
                    case "join": result = string.Join(s, Values.Iterate(a[0]).Select(Values.Str)); return true;
                    case "isdigit": result = s.Length > 0 && s.All(char.IsDigit); return true;
                    case "isspace": result = s.Length > 0 && s.All(char.IsWhiteSpace); return true;
                    case "format": { var r = s; foreach (var x in a) { int p = r.IndexOf("{}", StringComparison.Ordinal); if (p < 0) break; r = r[..p] + Values.Str(x) + r[(p + 2)..]; } result = r; return true; }
                }
                break;
            case Dictionary<string, object?> d:
                switch (name)
                {
                    case "items": result = d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(); return true;
                    case "keys": result = d.Keys.Select(k => (object?)k).ToList(); return true;
                    case "values": result = d.Values.ToList(); return true;
                    case "get": result = a.Count > 0 && a[0] is string k && d.TryGetValue(k, out var v) ? v : a.Count > 1 ? a[1] : null; return true;
                    case "update": foreach (var x in a) if (x is Dictionary<string, object?> o) foreach (var (kk, vv) in o) d[kk] = vv; foreach (var (kk, vv) in kw) d[kk] = vv; result = null; return true;
                }
                break;
            case List<object?> l:
                switch (name)
                {
                    case "append": l.Add(a[0]); result = null; return true;
                    case "index": result = (long)l.FindIndex(x => Values.Eq(x, a[0])); return true;
                    case "count": result = (long)l.Count(x => Values.Eq(x, a[0])); return true;
                    case "pop": { int i = a.Count > 0 ? (int)Values.Long(a[0]) : l.Count - 1; if (i < 0) i += l.Count; result = l[i]; l.RemoveAt(i); return true; }
                }
                break;
        }
        return false;
    }

    static IEnumerable<string> Prefixes(object? p) => p is List<object?> l ? l.Select(Values.Str) : [Values.Str(p)];
}
