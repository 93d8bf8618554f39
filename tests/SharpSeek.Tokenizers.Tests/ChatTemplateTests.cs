// Chat templates against @huggingface/jinja renders (golden_templates.json) of the real DeepSeek-V3, R1-Distill,
// Qwen2.5, Qwen3 and Llama-3.2 templates, plus unit checks of the interpreter and the R1 semantics.
using System.Text.Json;
using SharpSeek.Tests;
using SharpSeek.Tokenizers.Jinja;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeek.Tokenizers.Tests;

public class ChatTemplateTests(ITestOutputHelper output)
{
    [Fact]
    public void RendersMatchReference()
    {
        var root = TestData.GoldenTemplates.Value.RootElement;
        int same = 0, total = 0;
        var failures = new List<string>();
        foreach (var r in root.GetProperty("renders").EnumerateArray())
        {
            var name = r.GetProperty("template").GetString()!;
            var tpl = new ChatTemplate(File.ReadAllText(Fixtures.Path("tokenizers", "templates", name + ".jinja")));
            var ctx = new Dictionary<string, object?>
            {
                ["messages"] = Values.FromJson(r.GetProperty("messages")),
                ["add_generation_prompt"] = r.GetProperty("add_generation_prompt").GetBoolean(),
                ["tools"] = null,
                ["bos_token"] = Values.FromJson(r.GetProperty("bos_token")),
                ["eos_token"] = Values.FromJson(r.GetProperty("eos_token")),
            };
            foreach (var p in r.GetProperty("extra").EnumerateObject()) ctx[p.Name] = Values.FromJson(p.Value);
            total++;
            var expected = r.GetProperty("rendered").GetString();
            string actual;
            try { actual = tpl.RenderContext(ctx); }
            catch (Exception e) { actual = "EXCEPTION " + e.Message; }
            if (actual == expected) same++;
            else failures.Add($"{name}/{r.GetProperty("conversation").GetString()}/agp={ctx["add_generation_prompt"]}:\n--- expected\n{expected}\n--- actual\n{actual}");
        }
        output.WriteLine($"{same}/{total} template renders identical to @huggingface/jinja");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)));
    }

    [Fact]
    public void R1TemplateDropsEarlierReasoningAndOpensThinking()
    {
        var tpl = new ChatTemplate(File.ReadAllText(Fixtures.Path("tokenizers", "templates", "deepseek_r1_distill_qwen.jinja")));
        var text = tpl.Render(
            [new ChatMessage("user", "1+1?"), new ChatMessage("assistant", "<think>\nadd\n</think>\n\n2"), new ChatMessage("user", "2+2?")],
            addGenerationPrompt: true, new Dictionary<string, object?> { ["bos_token"] = "<｜begin▁of▁sentence｜>" });
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>1+1?<｜Assistant｜>\n\n2<｜end▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜><think>\n", text);
    }

    [Fact]
    public void TokenizerChatTemplateBindsSpecialTokens()
    {
        var tok = TestData.Get("deepseek_v3");
        var text = ChatTemplate.Render(tok, [new ChatMessage("user", "hi")], addGenerationPrompt: true);
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜>", text);
    }

    [Theory]
    [InlineData("{{ 'a,b,,c'.split(',') | length }}", "4")]
    [InlineData("{{ '  x  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n\\na'.lstrip('\\n') }}", "x|hi|a")]
    [InlineData("{{ 'hello'[1:3] }}{{ 'hello'[::-1] }}{{ [1,2,3][-1] }}", "elolleh3")]
    [InlineData("{% for x in [3,4,5] %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }};{% endfor %}", "0truefalse;1falsefalse;2falsetrue;")]
    [InlineData("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "6")]
    [InlineData("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", "1")]
    [InlineData("{{ 'a' if none else 'b' }}{{ 'c' if 'x' in 'xyz' }}{{ 3 // 2 }}{{ 7 % 3 }}{{ 2 ~ 'x' }}", "bc112x")]
    [InlineData("{%- if x is not defined -%}  undefined  {%- endif -%}", "undefined")]
    [InlineData("{{ {'b': [1, 2], 'a': 'é\"'} | tojson }}", "{\"b\": [1, 2], \"a\": \"é\\\"\"}")]
    [InlineData("{{ [1] | tojson(indent=2) }}", "[\n  1\n]")]
    [InlineData("{% macro f(a, b='B') %}{{ a }}{{ b }}{% endmacro %}{{ f('A') }}{{ f('A', b='C') }}", "ABAC")]
    [InlineData("{% for x in [1,2,3,4] %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}", "12")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }} {% endfor %}", "a=1 b=2 ")]
    [InlineData("{{ 'Hello World'.startswith(('Hi', 'He')) }}{{ 'abc'.endswith('c') }}{{ 'ab' * 2 }}", "truetrueabab")]
    [InlineData("{{ [1, 2] + [3] }}{{ none }}{{ true }}", "[1, 2, 3]true")]
    [InlineData("line\n  {% if true %}\n  x\n  {% endif %}\nend", "line\n  x\nend")]
    public void InterpreterUnits(string source, string expected) =>
        Assert.Equal(expected, new ChatTemplate(source).RenderContext(new Dictionary<string, object?>()));

    [Fact]
    public void RaiseExceptionAndSyntaxErrorsAreChatTemplateExceptions()
    {
        var e = Assert.Throws<ChatTemplateException>(() => new ChatTemplate("{{ raise_exception('no system role') }}").RenderContext(new Dictionary<string, object?>()));
        Assert.Contains("no system role", e.Message);
        Assert.Throws<ChatTemplateException>(() => new ChatTemplate("{% if x %}unterminated"));
        Assert.Throws<ChatTemplateException>(() => new ChatTemplate("{{ 1 + }}"));
        Assert.Throws<ChatTemplateException>(() => new ChatTemplate("{% frobnicate %}"));
    }
}
