// The grammars the API's constrained outputs use: JSON output (response_format) and tool calls in the model's
// format with each function's arguments constrained to its parameters schema. Markers that are added tokens of
// the tokenizer (<｜tool▁call▁begin｜>, <tool_call>) are matched as those tokens, never spelled with ordinary ones.
using System.Text.Json;
using SharpSeek.Engine.Constrained;
using SharpSeek.Tokenizers;

namespace SharpSeek.Engine;

public static class OutputGrammars
{
    /// <summary>Whitespace allowed before the answer ("\n\n" after &lt;/think&gt;): at most 4 spaces or newlines.</summary>
    static Expr Lead => Expr.Repeat(Expr.Class(" \n"), 0, 4);

    /// <summary>response_format: a JSON value of the schema, or any JSON object when schema is null.</summary>
    /// <exception cref="SchemaException">an unsupported keyword or a malformed schema</exception>
    public static Grammar Json(JsonElement? schema)
    {
        var b = new GrammarBuilder();
        var value = schema is JsonElement s ? b.JsonValue(s) : b.JsonValue("""{"type":"object"}""");
        return b.Build(Expr.Seq(Lead, value));
    }

    /// <summary>tool_choice auto with JSON output: the answer is either the tool calls or the JSON value.</summary>
    public static Grammar JsonOrToolCalls(Tokenizer tokenizer, ToolCallFormat format, IReadOnlyList<ToolDefinition> tools, bool parallel, JsonElement? schema)
    {
        var b = new GrammarBuilder();
        var value = schema is JsonElement s ? b.JsonValue(s) : b.JsonValue("""{"type":"object"}""");
        return b.Build(Expr.Seq(Lead, Expr.Choice(value, CallsExpr(b, tokenizer, format, tools, null, parallel, afterMarker: false, lead: false))));
    }

    /// <summary>
    /// One or more calls (one when !parallel) of the given tools (only <paramref name="only"/> when set), in the
    /// format's syntax. afterMarker: the format's opening marker has already been written (tool_choice auto,
    /// where the constraint starts once the model opens its calls).
    /// </summary>
    /// <exception cref="SchemaException">a function's parameters schema is unsupported or malformed</exception>
    public static Grammar ToolCalls(Tokenizer tokenizer, ToolCallFormat format, IReadOnlyList<ToolDefinition> tools, string? only, bool parallel, bool afterMarker)
    {
        var b = new GrammarBuilder();
        return b.Build(CallsExpr(b, tokenizer, format, tools, only, parallel, afterMarker, lead: true));
    }

    static Expr CallsExpr(GrammarBuilder b, Tokenizer tokenizer, ToolCallFormat format, IReadOnlyList<ToolDefinition> tools, string? only, bool parallel, bool afterMarker, bool lead)
    {
        Expr M(string text) => tokenizer.AddedTokens.FirstOrDefault(t => t.Content == text) is { } added ? Expr.Token(added.Id) : Expr.Literal(text);
        var args = new List<(string Name, Expr Args)>();
        foreach (var t in tools)
        {
            if (only is not null && t.Name != only) continue;
            try { args.Add((t.Name, t.Parameters is JsonElement p ? b.JsonValue(p) : b.JsonValue("""{"type":"object"}"""))); }
            catch (SchemaException e) { throw new SchemaException($"tool '{t.Name}': {e.Message}", e.Path, e.Keyword); }
        }
        if (args.Count == 0) throw new ArgumentException("no tool to call", nameof(tools));
        // a call = its opening marker + body; the calls = block open + call (+ "\n" call)* + block close
        Expr callOpen, body, open, close;
        if (format is DeepSeekToolFormat)
        {
            callOpen = M(DeepSeekToolFormat.CallBegin);
            body = Expr.Choice([.. args.Select(a => Expr.Seq(Expr.Literal("function"), M(DeepSeekToolFormat.Sep),
                Expr.Literal(a.Name + "\n```json\n"), a.Args, Expr.Literal("\n```"), M(DeepSeekToolFormat.CallEnd)))]);
            (open, close) = (M(DeepSeekToolFormat.Begin), M(DeepSeekToolFormat.End));
        }
        else
        {
            callOpen = M(HermesToolFormat.Open);
            body = Expr.Choice([.. args.Select(a => Expr.Seq(Expr.Literal("\n{\"name\": " + JsonSerializer.Serialize(a.Name) + ", \"arguments\": "),
                a.Args, Expr.Literal("}\n"), M(HermesToolFormat.Close)))]);
            (open, close) = (Expr.Empty, Expr.Empty);
        }
        var more = parallel ? Expr.Star(Expr.Seq(Expr.Literal("\n"), callOpen, body)) : Expr.Empty;
        // after the marker: DeepSeek's marker is the block's opening, Hermes' that of the first call
        return !afterMarker ? Expr.Seq(lead ? Lead : Expr.Empty, open, callOpen, body, more, close)
            : format is DeepSeekToolFormat ? Expr.Seq(callOpen, body, more, close)
            : Expr.Seq(body, more);
    }
}
