// A small Jinja interpreter for chat templates: the subset the DeepSeek, Qwen and Llama templates use, with the
// behaviour of @huggingface/jinja (transformers.js) and Python transformers (trim_blocks, lstrip_blocks, no
// trailing newline). Not a general Jinja: no inheritance, includes, autoescape or sandbox beyond no I/O.
// Values: null (none), Undefined, bool, long, double, string, List<object?>, Dictionary<string, object?>, Callable.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SharpSeek.Tokenizers.Jinja;

public sealed class Undefined
{
    public static readonly Undefined Instance = new();
    public override string ToString() => "";
}

public delegate object? Callable(List<object?> args, Dictionary<string, object?> kwargs);

// ==================================================================== lexer

enum Tk { Text, OutOpen, StmtOpen, Close, Name, Str, Int, Float, Op, End }

readonly record struct Token(Tk Kind, string Value, int Line);

static class Lexer
{
    static readonly string[] Ops = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=", "!"];

    /// <summary>
    /// Whitespace control as @huggingface/jinja applies it before lexing (equivalent to Jinja2 with trim_blocks,
    /// lstrip_blocks and keep_trailing_newline=False, the settings transformers uses).
    /// </summary>
    public static string Preprocess(string s)
    {
        if (s.EndsWith('\n')) s = s[..^1];
        s = Regex.Replace(s, @"\{#.*?#\}", "{##}", RegexOptions.Singleline);
        s = Regex.Replace(s, @"^[ \t]*(\{[#%])", "$1", RegexOptions.Multiline);   // lstrip_blocks
        s = Regex.Replace(s, @"([#%]\})\n", "$1");                                 // trim_blocks
        s = s.Replace("{##}", "");
        s = Regex.Replace(s, @"-%\}\s*", "%}");
        s = Regex.Replace(s, @"\s*\{%-", "{%");
        s = Regex.Replace(s, @"-\}\}\s*", "}}");
        s = Regex.Replace(s, @"\s*\{\{-", "{{");
        return s;
    }

    public static List<Token> Tokenize(string src)
    {
        src = Preprocess(src);
        var toks = new List<Token>();
        int i = 0, line = 1;
        while (i < src.Length)
        {
            int open = FindOpen(src, i);
            if (open < 0) { toks.Add(new Token(Tk.Text, src[i..], line)); break; }
            if (open > i) toks.Add(new Token(Tk.Text, src[i..open], line));
            line += Count(src, i, open);
            char kind = src[open + 1];
            char closeChar = kind == '{' ? '}' : '%';
            toks.Add(new Token(kind == '{' ? Tk.OutOpen : Tk.StmtOpen, "", line));
            int j = open + 2;
            if (j < src.Length && src[j] == '+') j++;
            while (true)
            {
                while (j < src.Length && char.IsWhiteSpace(src[j])) { if (src[j] == '\n') line++; j++; }
                if (j >= src.Length) throw new ChatTemplateException($"line {line}: unterminated tag");
                if (src[j] == closeChar && j + 1 < src.Length && src[j + 1] == '}') { j += 2; break; }
                j = LexExpr(src, j, toks, line);
            }
            toks.Add(new Token(Tk.Close, "", line));
            i = j;
        }
        toks.Add(new Token(Tk.End, "", line));
        return toks;
    }

    static int Count(string s, int from, int to)
    {
        int n = 0;
        for (int k = from; k < to && k < s.Length; k++) if (s[k] == '\n') n++;
        return n;
    }

    static int FindOpen(string s, int from)
    {
        for (int k = s.IndexOf('{', from); k >= 0 && k + 1 < s.Length; k = s.IndexOf('{', k + 1))
            if (s[k + 1] is '{' or '%') return k;
        return -1;
    }

    static int LexExpr(string s, int j, List<Token> toks, int line)
    {
        char c = s[j];
        if (c == '\'' || c == '"')
        {
            var sb = new StringBuilder();
            int k = j + 1;
            while (k < s.Length && s[k] != c)
            {
                if (s[k] == '\\' && k + 1 < s.Length)
                {
                    char e = s[++k];
                    switch (e)
                    {
                        case 'n': sb.Append('\n'); break;
                        case 't': sb.Append('\t'); break;
                        case 'r': sb.Append('\r'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'v': sb.Append('\v'); break;
                        case '\\' or '\'' or '"': sb.Append(e); break;
                        default: sb.Append('\\').Append(e); break; // Python keeps unknown escapes
                    }
                    k++;
                    continue;
                }
                sb.Append(s[k++]);
            }
            if (k >= s.Length) throw new ChatTemplateException($"line {line}: unterminated string literal");
            toks.Add(new Token(Tk.Str, sb.ToString(), line));
            return k + 1;
        }
        if (char.IsAsciiDigit(c))
        {
            int k = j;
            while (k < s.Length && (char.IsAsciiDigit(s[k]) || s[k] == '_')) k++;
            bool isFloat = false;
            if (k + 1 < s.Length && s[k] == '.' && char.IsAsciiDigit(s[k + 1]))
            {
                isFloat = true;
                k++;
                while (k < s.Length && char.IsAsciiDigit(s[k])) k++;
            }
            toks.Add(new Token(isFloat ? Tk.Float : Tk.Int, s[j..k].Replace("_", ""), line));
            return k;
        }
        if (char.IsLetter(c) || c == '_')
        {
            int k = j;
            while (k < s.Length && (char.IsLetterOrDigit(s[k]) || s[k] == '_')) k++;
            toks.Add(new Token(Tk.Name, s[j..k], line));
            return k;
        }
        foreach (var op in Ops)
            if (string.CompareOrdinal(s, j, op, 0, op.Length) == 0)
            {
                toks.Add(new Token(Tk.Op, op, line));
                return j + op.Length;
            }
        throw new ChatTemplateException($"line {line}: unexpected character '{c}'");
    }
}

// ==================================================================== AST

abstract record Node;
sealed record TextNode(string Text) : Node;
sealed record OutputNode(Expr E) : Node;
sealed record IfNode(List<(Expr Cond, List<Node> Body)> Branches, List<Node>? Else) : Node;
sealed record ForNode(List<string> Targets, Expr Iter, Expr? Filter, List<Node> Body, List<Node>? Else) : Node;
sealed record SetNode(Expr Target, Expr? Value, List<Node>? Block) : Node;
sealed record MacroNode(string Name, List<(string Name, Expr? Default)> Params, List<Node> Body) : Node;
sealed record CallBlockNode(Expr Call, List<Node> Body) : Node;
sealed record FilterBlockNode(string Filter, List<Expr> Args, List<Node> Body) : Node;
sealed record BreakNode : Node;
sealed record ContinueNode : Node;

abstract record Expr { public int Line { get; init; } }
sealed record Lit(object? Value) : Expr;
sealed record NameExpr(string Name) : Expr;
sealed record ListExpr(List<Expr> Items, bool Tuple) : Expr;
sealed record DictExpr(List<(Expr Key, Expr Value)> Items) : Expr;
sealed record AttrExpr(Expr Obj, string Name) : Expr;
sealed record IndexExpr(Expr Obj, Expr Index) : Expr;
sealed record SliceExpr(Expr Obj, Expr? Start, Expr? Stop, Expr? Step) : Expr;
sealed record CallExpr(Expr Fn, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr;
sealed record FilterExpr(Expr Value, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr;
sealed record TestExpr(Expr Value, string Name, List<Expr> Args, bool Negate) : Expr;
sealed record UnaryExpr(string Op, Expr Operand) : Expr;
sealed record BinExpr(string Op, Expr Left, Expr Right) : Expr;
sealed record CondExpr(Expr Cond, Expr Then, Expr? Else) : Expr;

// ==================================================================== parser

sealed class Parser(List<Token> toks)
{
    int _p;

    Token Peek => toks[_p];
    Token Next() => toks[_p++];
    bool IsOp(string op) => Peek.Kind == Tk.Op && Peek.Value == op;
    bool IsName(string n) => Peek.Kind == Tk.Name && Peek.Value == n;

    ChatTemplateException Err(string msg) => new($"line {Peek.Line}: {msg} (at '{Peek.Value}')");

    void ExpectOp(string op) { if (!IsOp(op)) throw Err($"expected '{op}'"); _p++; }
    void ExpectClose() { if (Peek.Kind != Tk.Close) throw Err("expected end of tag"); _p++; }
    string ExpectName() { if (Peek.Kind != Tk.Name) throw Err("expected a name"); return Next().Value; }

    public List<Node> ParseTemplate()
    {
        var body = ParseBody(out var end);
        if (end != null) throw new ChatTemplateException($"unexpected {{% {end} %}}");
        return body;
    }

    /// <summary>Parses nodes until an end tag (endif/elif/else/endfor/...) or end of input; returns that tag's keyword.</summary>
    List<Node> ParseBody(out string? endTag, params string[] ends)
    {
        var nodes = new List<Node>();
        endTag = null;
        while (Peek.Kind != Tk.End)
        {
            var t = Next();
            if (t.Kind == Tk.Text) { nodes.Add(new TextNode(t.Value)); continue; }
            if (t.Kind == Tk.OutOpen) { nodes.Add(new OutputNode(ParseExpr())); ExpectClose(); continue; }
            // statement
            var kw = ExpectName();
            if (ends.Contains(kw)) { endTag = kw; return nodes; }
            nodes.Add(ParseStatement(kw));
        }
        if (ends.Length > 0) throw new ChatTemplateException($"missing {{% {ends[^1]} %}}");
        return nodes;
    }

    Node ParseStatement(string kw)
    {
        switch (kw)
        {
            case "if":
                {
                    var branches = new List<(Expr, List<Node>)>();
                    List<Node>? els = null;
                    var cond = ParseExpr();
                    ExpectClose();
                    while (true)
                    {
                        var body = ParseBody(out var end, "elif", "else", "endif");
                        branches.Add((cond, body));
                        if (end == "elif") { cond = ParseExpr(); ExpectClose(); continue; }
                        ExpectClose();
                        if (end == "else") { els = ParseBody(out _, "endif"); ExpectClose(); }
                        break;
                    }
                    return new IfNode(branches, els);
                }
            case "for":
                {
                    var targets = new List<string> { ExpectName() };
                    while (IsOp(",")) { _p++; targets.Add(ExpectName()); }
                    if (!IsName("in")) throw Err("expected 'in'");
                    _p++;
                    var iter = ParseOr(); // no conditional expression here: a trailing `if` filters the loop
                    Expr? filter = null;
                    if (IsName("if")) { _p++; filter = ParseOr(); }
                    if (IsName("recursive")) throw Err("recursive loops are not supported");
                    ExpectClose();
                    var body = ParseBody(out var end, "else", "endfor");
                    ExpectClose();
                    List<Node>? els = null;
                    if (end == "else") { els = ParseBody(out _, "endfor"); ExpectClose(); }
                    return new ForNode(targets, iter, filter, body, els);
                }
            case "set":
                {
                    Expr target = new NameExpr(ExpectName());
                    if (IsOp(".")) { _p++; target = new AttrExpr(target, ExpectName()); }
                    else if (IsOp(","))
                    {
                        var items = new List<Expr> { target };
                        while (IsOp(",")) { _p++; items.Add(new NameExpr(ExpectName())); }
                        target = new ListExpr(items, true);
                    }
                    if (Peek.Kind == Tk.Close)
                    {
                        ExpectClose();
                        var block = ParseBody(out _, "endset");
                        ExpectClose();
                        return new SetNode(target, null, block);
                    }
                    ExpectOp("=");
                    var value = ParseTupleOrExpr();
                    ExpectClose();
                    return new SetNode(target, value, null);
                }
            case "macro":
                {
                    var name = ExpectName();
                    ExpectOp("(");
                    var ps = new List<(string, Expr?)>();
                    while (!IsOp(")"))
                    {
                        var pn = ExpectName();
                        Expr? def = null;
                        if (IsOp("=")) { _p++; def = ParseExpr(); }
                        ps.Add((pn, def));
                        if (IsOp(",")) _p++;
                    }
                    _p++;
                    ExpectClose();
                    var body = ParseBody(out _, "endmacro");
                    ExpectClose();
                    return new MacroNode(name, ps, body);
                }
            case "call":
                {
                    var call = ParseExpr();
                    ExpectClose();
                    var body = ParseBody(out _, "endcall");
                    ExpectClose();
                    return new CallBlockNode(call, body);
                }
            case "filter":
                {
                    var name = ExpectName();
                    var args = new List<Expr>();
                    if (IsOp("(")) { _p++; while (!IsOp(")")) { args.Add(ParseExpr()); if (IsOp(",")) _p++; } _p++; }
                    ExpectClose();
                    var body = ParseBody(out _, "endfilter");
                    ExpectClose();
                    return new FilterBlockNode(name, args, body);
                }
            case "generation":
                {
                    ExpectClose();
                    var body = ParseBody(out _, "endgeneration");
                    ExpectClose();
                    return new IfNode([(new Lit(true), body)], null);
                }
            case "break": ExpectClose(); return new BreakNode();
            case "continue": ExpectClose(); return new ContinueNode();
            default: throw new ChatTemplateException($"line {Peek.Line}: unsupported statement '{kw}'");
        }
    }

    Expr ParseTupleOrExpr()
    {
        var first = ParseExpr();
        if (!IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (IsOp(",")) { _p++; if (Peek.Kind == Tk.Close) break; items.Add(ParseExpr()); }
        return new ListExpr(items, true);
    }

    public Expr ParseExpr() => ParseCond();

    Expr ParseCond()
    {
        var e = ParseOr();
        if (IsName("if"))
        {
            _p++;
            var cond = ParseOr();
            Expr? els = null;
            if (IsName("else")) { _p++; els = ParseCond(); }
            return new CondExpr(cond, e, els) { Line = e.Line };
        }
        return e;
    }

    Expr ParseOr()
    {
        var e = ParseAnd();
        while (IsName("or")) { _p++; e = new BinExpr("or", e, ParseAnd()); }
        return e;
    }

    Expr ParseAnd()
    {
        var e = ParseNot();
        while (IsName("and")) { _p++; e = new BinExpr("and", e, ParseNot()); }
        return e;
    }

    Expr ParseNot()
    {
        if (IsName("not")) { _p++; return new UnaryExpr("not", ParseNot()); }
        return ParseCompare();
    }

    Expr ParseCompare()
    {
        var e = ParseConcat();
        while (true)
        {
            if (Peek.Kind == Tk.Op && Peek.Value is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                var op = Next().Value;
                e = new BinExpr(op, e, ParseConcat());
            }
            else if (IsName("in")) { _p++; e = new BinExpr("in", e, ParseConcat()); }
            else if (IsName("not") && toks[_p + 1].Kind == Tk.Name && toks[_p + 1].Value == "in")
            {
                _p += 2;
                e = new BinExpr("not in", e, ParseConcat());
            }
            else return e;
        }
    }

    Expr ParseConcat()
    {
        var e = ParseAdd();
        while (IsOp("~")) { _p++; e = new BinExpr("~", e, ParseAdd()); }
        return e;
    }

    Expr ParseAdd()
    {
        var e = ParseMul();
        while (IsOp("+") || IsOp("-")) { var op = Next().Value; e = new BinExpr(op, e, ParseMul()); }
        return e;
    }

    Expr ParseMul()
    {
        var e = ParseUnary();
        while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) { var op = Next().Value; e = new BinExpr(op, e, ParseUnary()); }
        return e;
    }

    Expr ParseUnary()
    {
        if (IsOp("-")) { _p++; return ParseFilterTest(new UnaryExpr("-", ParseUnary())); }
        if (IsOp("+")) { _p++; return ParseUnary(); }
        return ParseFilterTest(ParsePostfix(ParsePrimary()));
    }

    Expr ParseFilterTest(Expr e)
    {
        while (true)
        {
            if (IsOp("|"))
            {
                _p++;
                var name = ExpectName();
                var (args, kwargs) = IsOp("(") ? ParseArgs() : ([], []);
                e = new FilterExpr(e, name, args, kwargs);
            }
            else if (IsName("is"))
            {
                _p++;
                bool neg = false;
                if (IsName("not")) { _p++; neg = true; }
                var name = Peek.Kind == Tk.Name ? Next().Value : Peek.Kind == Tk.Op && Peek.Value is "==" or "!=" ? Next().Value : throw Err("expected a test name");
                var args = new List<Expr>();
                if (IsOp("(")) args = ParseArgs().Args;
                else if (Peek.Kind is Tk.Str or Tk.Int or Tk.Float || (Peek.Kind == Tk.Name && Peek.Value is not ("and" or "or" or "else" or "if" or "not" or "in" or "is")))
                    args.Add(ParsePostfix(ParsePrimary()));
                e = new TestExpr(e, name, args, neg);
            }
            else return e;
        }
    }

    (List<Expr> Args, List<(string, Expr)> Kwargs) ParseArgs()
    {
        ExpectOp("(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!IsOp(")"))
        {
            if (Peek.Kind == Tk.Name && toks[_p + 1].Kind == Tk.Op && toks[_p + 1].Value == "=")
            {
                var n = Next().Value;
                _p++;
                kwargs.Add((n, ParseExpr()));
            }
            else args.Add(ParseExpr());
            if (IsOp(",")) _p++;
            else if (!IsOp(")")) throw Err("expected ',' or ')'");
        }
        _p++;
        return (args, kwargs);
    }

    Expr ParsePostfix(Expr e)
    {
        while (true)
        {
            if (IsOp("."))
            {
                _p++;
                if (Peek.Kind == Tk.Int) { e = new IndexExpr(e, new Lit(long.Parse(Next().Value, CultureInfo.InvariantCulture))); continue; }
                e = new AttrExpr(e, ExpectName());
            }
            else if (IsOp("["))
            {
                _p++;
                Expr? a = null, b = null, c = null;
                bool slice = false;
                if (!IsOp(":")) a = ParseExpr();
                if (IsOp(":"))
                {
                    slice = true;
                    _p++;
                    if (!IsOp(":") && !IsOp("]")) b = ParseExpr();
                    if (IsOp(":")) { _p++; if (!IsOp("]")) c = ParseExpr(); }
                }
                ExpectOp("]");
                e = slice ? new SliceExpr(e, a, b, c) : new IndexExpr(e, a!);
            }
            else if (IsOp("("))
            {
                var (args, kwargs) = ParseArgs();
                e = new CallExpr(e, args, kwargs);
            }
            else return e;
        }
    }

    Expr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case Tk.Str:
                {
                    var s = t.Value;
                    while (Peek.Kind == Tk.Str) s += Next().Value; // adjacent literals concatenate
                    return new Lit(s) { Line = t.Line };
                }
            case Tk.Int: return new Lit(long.Parse(t.Value, CultureInfo.InvariantCulture)) { Line = t.Line };
            case Tk.Float: return new Lit(double.Parse(t.Value, CultureInfo.InvariantCulture)) { Line = t.Line };
            case Tk.Name:
                return t.Value switch
                {
                    "true" or "True" => new Lit(true),
                    "false" or "False" => new Lit(false),
                    "none" or "None" => new Lit(null),
                    _ => new NameExpr(t.Value) { Line = t.Line },
                };
            case Tk.Op when t.Value == "(":
                {
                    if (IsOp(")")) { _p++; return new ListExpr([], true); }
                    var e = ParseExpr();
                    if (IsOp(","))
                    {
                        var items = new List<Expr> { e };
                        while (IsOp(",")) { _p++; if (IsOp(")")) break; items.Add(ParseExpr()); }
                        e = new ListExpr(items, true);
                    }
                    ExpectOp(")");
                    return e;
                }
            case Tk.Op when t.Value == "[":
                {
                    var items = new List<Expr>();
                    while (!IsOp("]")) { items.Add(ParseExpr()); if (IsOp(",")) _p++; else if (!IsOp("]")) throw Err("expected ',' or ']'"); }
                    _p++;
                    return new ListExpr(items, false);
                }
            case Tk.Op when t.Value == "{":
                {
                    var items = new List<(Expr, Expr)>();
                    while (!IsOp("}"))
                    {
                        var k = ParseExpr();
                        ExpectOp(":");
                        items.Add((k, ParseExpr()));
                        if (IsOp(",")) _p++; else if (!IsOp("}")) throw Err("expected ',' or '}'");
                    }
                    _p++;
                    return new DictExpr(items);
                }
            default:
                _p--;
                throw Err("unexpected token");
        }
    }
}
