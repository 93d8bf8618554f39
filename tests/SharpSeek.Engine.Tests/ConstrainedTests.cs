// Grammar builder, recognizer (fast vs reference) and JSON Schema → grammar: accepted and rejected documents per
// schema feature, and the errors unsupported or malformed schemas raise.
using System.Text;
using SharpSeek.Engine.Constrained;

namespace SharpSeek.Engine.Tests;

public class ConstrainedTests
{
    // the fast recognizer and the reference must agree on every prefix
    static bool Matches(Grammar g, string text)
    {
        var fast = new Recognizer(g);
        var slow = new ReferenceRecognizer(g);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            bool f = fast.AcceptByte(b), s = slow.AcceptByte(b);
            Assert.True(f == s, $"fast {f} vs reference {s} at byte 0x{b:X2} of {text}");
            if (!f) return false;
            Assert.Equal(slow.IsComplete, fast.IsComplete);
        }
        return fast.IsComplete;
    }

    static void Accepts(Grammar g, params string[] texts) { foreach (var t in texts) Assert.True(Matches(g, t), $"rejected: {t}"); }
    static void Rejects(Grammar g, params string[] texts) { foreach (var t in texts) Assert.False(Matches(g, t), $"accepted: {t}"); }

    static Grammar Schema(string schema) => JsonGrammar.FromSchema(schema.Replace('\'', '"'));

    // ------------------------------------------------------------------ grammar

    [Fact]
    public void BuilderComposesSequencesChoicesAndRepeats()
    {
        var b = new GrammarBuilder();
        var digit = Expr.Class("0-9");
        var g = b.Build(Expr.Seq(Expr.Literal("n="), Expr.Repeat(digit, 1, 3), Expr.Optional(Expr.Choice(Expr.Literal("kg"), Expr.Literal("g"))), Expr.Star(Expr.Literal("!"))));
        Accepts(g, "n=1", "n=123", "n=12kg", "n=9g!!!");
        Rejects(g, "n=", "n=1234", "n=1k", "n=1gg", "m=1");

        var rules = new GrammarBuilder();
        var none = rules.Rule("none", Expr.Repeat(Expr.Literal("x"), 0, 0));
        var upTo2 = rules.Rule("upTo2", Expr.Repeat(Expr.Class("ab"), 0, 2));
        var g2 = rules.Build(Expr.Seq(none, upTo2, Expr.Class("c", negate: true)));
        Accepts(g2, "d", "x", "ad", "bad", "ab!");
        Rejects(g2, "c", "", "aaad", "xd", "abc");
    }

    [Fact]
    public void RecursiveRulesNest()
    {
        var b = new GrammarBuilder();
        var parens = b.Rule("parens");
        b.Define(parens, Expr.Star(Expr.Seq(Expr.Literal("("), parens, Expr.Literal(")"))));
        var g = b.Build(parens);
        Accepts(g, "", "()", "(())()", "((()))");
        Rejects(g, "(", ")(", "(()", "())");
    }

    [Fact]
    public void LeftRecursionAndUndefinedRulesAreGrammarErrors()
    {
        var b = new GrammarBuilder();
        var e = b.Rule("expr");
        b.Define(e, Expr.Choice(Expr.Seq(Expr.Optional(Expr.Literal(" ")), e, Expr.Literal("+1")), Expr.Literal("1")));
        var ex = Assert.Throws<GrammarException>(() => b.Build(e));
        Assert.Contains("'expr' is left-recursive", ex.Message);

        var b2 = new GrammarBuilder();
        var undefined = b2.Rule("later");
        Assert.Contains("'later' is used but never defined", Assert.Throws<GrammarException>(() => b2.Build(undefined)).Message);
    }

    [Fact]
    public void SpecialTokenTerminalsMatchOnlyThatToken()
    {
        var b = new GrammarBuilder();
        var g = b.Build(Expr.Seq(Expr.Token(7), Expr.Literal("x"), Expr.Optional(Expr.Token(9))));
        var r = new Recognizer(g);
        Assert.Equal([7], r.NextTokens.ToArray());
        Assert.False(r.AcceptByte((byte)'x'));
        Assert.False(r.AcceptToken(9));
        Assert.True(r.AcceptToken(7));
        Assert.True(r.AcceptByte((byte)'x'));
        Assert.True(r.IsComplete && r.CanContinue);
        Assert.True(r.AcceptToken(9));
        Assert.True(r.IsComplete && !r.CanContinue);
    }

    [Fact]
    public void ClonesAdvanceIndependently()
    {
        var g = Schema("{'type':'object','properties':{'a':{'type':'integer'}},'required':['a'],'additionalProperties':false}");
        var r = new Recognizer(g);
        Assert.True(r.AcceptString("{\"a\":"));
        var c = r.Clone();
        Assert.True(r.AcceptString("12}"));
        Assert.True(c.AcceptString("-3 }"));
        Assert.True(r.IsComplete && c.IsComplete);
        Assert.False(c.AcceptString("x"));
    }

    [Fact]
    public void CompactionKeepsTheState()
    {
        // moving to a fresh automaton after every byte changes nothing
        var g = Schema("{'type':'array','items':{'anyOf':[{'type':'string'},{'$ref':'#'}]}}");
        const string text = "[\"a\", [[\"é\"], []], \"\\u00e9\"]";
        var r = new Recognizer(g);
        var reference = new ReferenceRecognizer(g);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            Assert.True(r.AcceptByte(b) && reference.AcceptByte(b));
            Assert.True(r.Compact(0));
            Assert.Equal(reference.IsComplete, r.IsComplete);
        }
        Assert.True(r.IsComplete);
        Assert.False(r.AcceptString("]"));
    }

    // ------------------------------------------------------------------ JSON

    [Fact]
    public void JsonObjectModeAcceptsAnyObject()
    {
        var g = JsonGrammar.Object();
        Accepts(g, "{}", "{ }", "{\"a\":1}", "\n\n{\"a\": [1, 2.5e-3, true, null, {\"b\": \"c\"}], \"d\": {}}",
            "{\n  \"a\": [\n    1\n  ]\n}\n", "{\"\":\"\"}", "{\"k\": -0.0E+12}");
        Rejects(g, "[]", "1", "\"s\"", "{", "{\"a\"}", "{\"a\":1,}", "{a:1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
            "{\"a\":+1}", "{\"a\":tru}", "{'a':1}", "{\"a\":1}}", "{\"a\":[1,]}");
    }

    [Fact]
    public void WhitespaceIsBounded()
    {
        var g = JsonGrammar.Object();
        Accepts(g, "{ \"a\" : 1 }", "{\n" + new string(' ', JsonGrammar.MaxIndent) + "\"a\":1}", "{\n\t\"a\":1}");
        Rejects(g, "{  \"a\":1}", "{\n\n\"a\":1}", "{\n" + new string(' ', JsonGrammar.MaxIndent + 1) + "\"a\":1}", "{ \n\"a\":1}",
            new string(' ', JsonGrammar.MaxLeadingWhitespace + 1) + "{}");
    }

    [Fact]
    public void StringsAreUtf8WithJsonEscapes()
    {
        var g = Schema("{'type':'string'}");
        Accepts(g, "\"\"", "\"plain\"", "\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u20AC\"", "\"\\ud83d\\ude00\"",
            "\"héllo wörld — 日本語 😀\"", "\"\x7f\"");
        Rejects(g, "\"a", "\"tab\there\"", "\"nl\nx\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "'a'");
        // invalid UTF-8: a lone continuation byte, an overlong, a surrogate, a truncated sequence
        foreach (var bad in new byte[][] { [0x22, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22] })
        {
            var r = new Recognizer(g);
            Assert.False(r.AcceptBytes(bad) && r.IsComplete, BitConverter.ToString(bad));
        }
    }

    [Fact]
    public void StringLengthCountsCharacters()
    {
        var g = Schema("{'type':'string','minLength':2,'maxLength':3}");
        Accepts(g, "\"ab\"", "\"abc\"", "\"é😀\"", "\"\\n\\u0041x\"");
        Rejects(g, "\"a\"", "\"abcd\"", "\"\"", "\"😀\"");
    }

    [Fact]
    public void NumbersAndIntegers()
    {
        var num = Schema("{'type':'number'}");
        Accepts(num, "0", "-0", "12", "3.25", "-1e5", "6.02E+23", "1e-0");
        Rejects(num, "01", "1.", ".1", "+1", "1e", "--1", "0x10", "NaN", "1 2");
        var integer = Schema("{'type':'integer'}");
        Accepts(integer, "0", "-7", "120");
        Rejects(integer, "1.0", "1e3", "-", "007");
    }

    [Fact]
    public void PropertiesInSchemaOrderRequiredAndOptional()
    {
        var g = Schema("""
            {'type':'object','properties':{'a':{'type':'integer'},'b':{'type':'string'},'c':{'type':'boolean'},'d':{'type':'null'}},
             'required':['b','d'],'additionalProperties':false}
            """);
        Accepts(g, "{\"b\":\"x\",\"d\":null}", "{\"a\":1,\"b\":\"x\",\"d\":null}", "{\"a\":1,\"b\":\"x\",\"c\":true,\"d\":null}",
            "{ \"b\" : \"x\" , \"c\" : false , \"d\" : null }");
        Rejects(g, "{}", "{\"b\":\"x\"}", "{\"d\":null,\"b\":\"x\"}", "{\"b\":\"x\",\"d\":null,\"e\":1}", "{\"a\":\"1\",\"b\":\"x\",\"d\":null}",
            "{,\"b\":\"x\",\"d\":null}", "{\"b\":\"x\",,\"d\":null}");
    }

    [Fact]
    public void NestedObjectsAndArrays()
    {
        var g = Schema("""
            {'type':'object','properties':{
               'user':{'type':'object','properties':{'id':{'type':'integer'},'roles':{'type':'array','items':{'enum':['admin','dev']}}},
                       'required':['id','roles'],'additionalProperties':false},
               'matrix':{'type':'array','items':{'type':'array','items':{'type':'number'},'minItems':2,'maxItems':2}}},
             'required':['user'],'additionalProperties':false}
            """);
        Accepts(g, "{\"user\":{\"id\":7,\"roles\":[]}}", "{\"user\":{\"id\":7,\"roles\":[\"dev\",\"admin\"]},\"matrix\":[[1,2],[3.5,-4e2]]}",
            "{\n  \"user\": {\n    \"id\": 7,\n    \"roles\": [\n      \"dev\"\n    ]\n  }\n}");
        Rejects(g, "{\"user\":{\"id\":7}}", "{\"user\":{\"id\":7,\"roles\":[\"root\"]}}", "{\"user\":{\"id\":7,\"roles\":[]},\"matrix\":[[1]]}",
            "{\"user\":{\"roles\":[],\"id\":7}}", "{\"user\":{\"id\":7,\"roles\":[]},\"matrix\":[[1,2,3]]}");
    }

    [Fact]
    public void AllOptionalPropertiesMayAllBeSkipped()
    {
        var g = Schema("{'type':'object','properties':{'a':{'type':'integer'},'b':{'type':'integer'},'c':{'type':'integer'}}}");
        Accepts(g, "{}", "{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"a\":1,\"c\":3}", "{\"a\":1,\"b\":2,\"c\":3}");
        Rejects(g, "{\"b\":2,\"a\":1}", "{\"a\":1,}", "{,\"a\":1}", "{\"z\":1}");
    }

    [Fact]
    public void ThousandsOfOptionalPropertiesStayIterative()
    {
        // each optional property is one more rule in a chain the recognizer expands at once: no deep recursion
        var props = string.Join(",", Enumerable.Range(0, 5000).Select(i => $"'p{i}':{{'type':'integer'}}"));
        var g = Schema($"{{'type':'object','properties':{{{props}}},'additionalProperties':false}}");
        foreach (var ok in new[] { "{}", "{\"p4999\":1}", "{\"p0\":0,\"p2500\":2,\"p4999\":4}" }) Assert.True(Recognizer.Matches(g, ok), ok);
        foreach (var bad in new[] { "{\"p5000\":1}", "{\"p2\":1,\"p1\":1}" }) Assert.False(Recognizer.Matches(g, bad), bad);
    }

    [Fact]
    public void AdditionalProperties()
    {
        var open = Schema("{'type':'object'}");
        Accepts(open, "{\"anything\":[1,{\"x\":null}]}");
        var map = Schema("{'type':'object','additionalProperties':{'type':'integer'}}");
        Accepts(map, "{}", "{\"a\":1,\"b\":2}");
        Rejects(map, "{\"a\":\"1\"}");
        var closed = Schema("{'type':'object','additionalProperties':false}");
        Accepts(closed, "{}", "{ }");
        Rejects(closed, "{\"a\":1}");
        // required but not listed: a member with the additionalProperties schema
        var req = Schema("{'type':'object','required':['id'],'additionalProperties':{'type':'string'}}");
        Accepts(req, "{\"id\":\"x\"}");
        Rejects(req, "{}", "{\"id\":1}");
    }

    [Fact]
    public void ArraysWithItemsAndBounds()
    {
        var g = Schema("{'type':'array','items':{'type':'integer'},'minItems':1,'maxItems':3}");
        Accepts(g, "[1]", "[1,2]", "[1, 2, 3]", "[\n  1,\n  2\n]");
        Rejects(g, "[]", "[1,2,3,4]", "[1,]", "[\"a\"]", "[1 2]");
        var any = Schema("{'type':'array'}");
        Accepts(any, "[]", "[1,\"a\",[],{}]");
        var none = Schema("{'type':'array','maxItems':0}");
        Accepts(none, "[]");
        Rejects(none, "[1]");
    }

    [Fact]
    public void EnumAndConstTakeAnyJsonValue()
    {
        var g = Schema("{'enum':['red','gre\\\"en',3,1.5,true,null,{'a':[1]},[]]}");
        Accepts(g, "\"red\"", "\"gre\\\"en\"", "3", "1.5", "true", "null", "{\"a\":[1]}", "[]");
        Rejects(g, "\"blue\"", "4", "false", "{\"a\":[2]}", "\"Red\"");
        var typed = Schema("{'type':'string','enum':['a',1]}");
        Accepts(typed, "\"a\"");
        Rejects(typed, "1");
        var c = Schema("{'const':'fixed'}");
        Accepts(c, "\"fixed\"");
        Rejects(c, "\"other\"");
        Accepts(Schema("{'enum':['日本']}"), "\"日本\"");
    }

    [Fact]
    public void TypeListsAnyOfOneOfAllOf()
    {
        var nullable = Schema("{'type':['string','null']}");
        Accepts(nullable, "\"a\"", "null");
        Rejects(nullable, "1");
        var any = Schema("{'anyOf':[{'type':'integer'},{'type':'object','properties':{'k':{'type':'string'}},'required':['k']}],'description':'x'}");
        Accepts(any, "5", "{\"k\":\"v\"}");
        Rejects(any, "\"5\"", "{}");
        var one = Schema("{'oneOf':[{'type':'boolean'},{'type':'null'}]}");
        Accepts(one, "true", "null");
        var all = Schema("{'allOf':[{'type':'integer'}],'title':'t'}");
        Accepts(all, "1");
        Rejects(all, "1.5");
    }

    [Fact]
    public void RefsToDefsAndDefinitionsIncludingRecursion()
    {
        var tree = Schema("""
            {'$ref':'#/$defs/node','$defs':{'node':{'type':'object','properties':{
               'value':{'type':'integer'},'children':{'type':'array','items':{'$ref':'#/$defs/node'}}},
               'required':['value'],'additionalProperties':false}}}
            """);
        Accepts(tree, "{\"value\":1}", "{\"value\":1,\"children\":[]}", "{\"value\":1,\"children\":[{\"value\":2,\"children\":[{\"value\":3}]},{\"value\":4}]}");
        Rejects(tree, "{\"value\":1,\"children\":[{}]}", "{\"children\":[]}");

        var defs = Schema("{'type':'object','properties':{'p':{'$ref':'#/definitions/pt'}},'required':['p'],'definitions':{'pt':{'type':'array','items':{'type':'number'}}}}");
        Accepts(defs, "{\"p\":[1,2.5]}");
        var root = Schema("{'type':'array','items':{'anyOf':[{'type':'integer'},{'$ref':'#'}]}}");
        Accepts(root, "[]", "[1,[2,[]],3]");
        Rejects(root, "[[\"a\"]]");
    }

    [Fact]
    public void AnnotationsAreIgnored()
    {
        var g = Schema("{'$schema':'https://json-schema.org/draft/2020-12/schema','title':'T','description':'d','type':'object','strict':true,"
                       + "'properties':{'when':{'type':'string','format':'date-time','default':'x','examples':['y']}},'required':['when'],'additionalProperties':false}");
        Accepts(g, "{\"when\":\"2024\"}");
    }

    [Theory]
    [InlineData("{'type':'string','pattern':'^a$'}", "pattern", "$")]
    [InlineData("{'type':'object','properties':{'n':{'type':'integer','minimum':0}}}", "minimum", "$.properties.n")]
    [InlineData("{'type':'array','items':{'not':{'type':'null'}}}", "not", "$.items")]
    [InlineData("{'if':{'type':'string'},'then':{'minLength':1}}", "if", "$")]
    [InlineData("{'type':'object','patternProperties':{'^x':{}}}", "patternProperties", "$")]
    [InlineData("{'anyOf':[{'type':'string','exclusiveMaximum':3}]}", "exclusiveMaximum", "$.anyOf[0]")]
    [InlineData("{'type':'objekt'}", "type", "$")]
    [InlineData("{'type':7}", "type", "$")]
    [InlineData("{'type':'object','properties':[]}", "properties", "$")]
    [InlineData("{'type':'object','properties':{'a':{'$ref':'#/$defs/missing'}}}", "$ref", "$.properties.a")]
    [InlineData("{'$ref':'http://example.com/s.json'}", "$ref", "$")]
    [InlineData("{'type':'object','properties':{'a':{}},'required':['b'],'additionalProperties':false}", "required", "$")]
    [InlineData("{'type':'object','required':'a'}", "required", "$")]
    [InlineData("{'type':'array','minItems':-1}", "minItems", "$")]
    [InlineData("{'type':'string','maxLength':1000000}", "maxLength", "$")]
    [InlineData("{'type':'string','minLength':3,'maxLength':2}", "maxLength", "$")]
    [InlineData("{'type':'array','items':[{'type':'string'}]}", "items", "$")]
    [InlineData("{'type':'string','$ref':'#'}", "type", "$")]
    [InlineData("{'allOf':[{'type':'string'},{'minLength':1}]}", "allOf", "$")]
    [InlineData("{'enum':[]}", "enum", "$")]
    [InlineData("{'type':'integer','enum':['a']}", "enum", "$")]
    [InlineData("{'$ref':'#/$defs/a','$defs':{'a':{'anyOf':[{'$ref':'#/$defs/b'},{'type':'null'}]},'b':{'$ref':'#/$defs/a'}}}", "$ref", "$")]
    public void UnsupportedOrMalformedSchemasNameKeywordAndPath(string schema, string keyword, string path)
    {
        var ex = Assert.Throws<SchemaException>(() => Schema(schema));
        Assert.Equal(keyword, ex.Keyword);
        Assert.Equal(path, ex.Path);
        Assert.Contains(keyword, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void NotJsonIsASchemaError() =>
        Assert.Contains("not valid JSON", Assert.Throws<SchemaException>(() => JsonGrammar.FromSchema("{type:")).Message);

    [Fact]
    public void JsonValueEmbedsInATemplateGrammar()
    {
        // a DeepSeek-style tool call: special tokens around a name and JSON arguments
        const int begin = 100, sep = 101, end = 102;
        var b = new GrammarBuilder();
        var args = b.JsonValue("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"],\"additionalProperties\":false}");
        var g = b.Build(Expr.Seq(Expr.Token(begin), Expr.Literal("function"), Expr.Token(sep), Expr.Literal("get_weather\n```json\n"), args, Expr.Literal("\n```"), Expr.Token(end)));
        var r = new Recognizer(g);
        Assert.True(r.AcceptToken(begin) && r.AcceptString("function") && r.AcceptToken(sep));
        Assert.True(r.AcceptString("get_weather\n```json\n{\"city\": \"Paris\"}\n```"));
        Assert.False(r.IsComplete);
        Assert.True(r.AcceptToken(end) && r.IsComplete && !r.CanContinue);
    }
}
