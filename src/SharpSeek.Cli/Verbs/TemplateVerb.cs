// `sharpseek template --tokenizer DIR --messages F.json [--add-generation-prompt]`: prints the rendered chat prompt.
// F.json is either an array of messages or an object {"messages": [...], ...extra template variables}.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Tokenizers;
using SharpSeek.Tokenizers.Jinja;

namespace SharpSeek.Cli.Verbs;

public static class TemplateVerb
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "folder with tokenizer_config.json (chat_template, bos/eos tokens)", Required = true };
        var messages = new Option<string>("--messages") { Description = "JSON file: [{\"role\":..,\"content\":..}, ..] or {\"messages\": [..], \"tools\": .., ...}", Required = true };
        var agp = new Option<bool>("--add-generation-prompt") { Description = "end with the assistant prefix (R1: \"<｜Assistant｜><think>\\n\")" };
        var template = new Option<string?>("--template") { Description = "a .jinja file to use instead of the tokenizer's chat_template" };
        var cmd = new Command("template", "Render the chat template of a tokenizer for a list of messages.") { tokenizer, messages, agp, template };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var dir = parse.GetValue(tokenizer)!;
            var tok = Tokenizer.Load(dir);
            var source = parse.GetValue(template) is { } tf ? File.ReadAllText(tf) : tok.ChatTemplate
                ?? throw new ArgumentException($"{dir} has no chat_template in tokenizer_config.json; pass --template F.jinja");
            using var doc = JsonDocument.Parse(File.ReadAllText(parse.GetValue(messages)!));
            var ctx = new Dictionary<string, object?>();
            if (tok.BosId is int b) ctx["bos_token"] = tok.IdToToken(b);
            if (tok.EosId is int e) ctx["eos_token"] = tok.IdToToken(e);
            ctx["tools"] = null;
            switch (doc.RootElement.ValueKind)
            {
                case JsonValueKind.Array: ctx["messages"] = Values.FromJson(doc.RootElement); break;
                case JsonValueKind.Object:
                    foreach (var p in doc.RootElement.EnumerateObject()) ctx[p.Name] = Values.FromJson(p.Value);
                    if (!ctx.ContainsKey("messages")) throw new ArgumentException("--messages object has no \"messages\" array");
                    break;
                default: throw new ArgumentException("--messages must hold a JSON array of messages or an object with \"messages\"");
            }
            ctx["add_generation_prompt"] = parse.GetValue(agp);
            Console.Write(new ChatTemplate(source).RenderContext(ctx));
            return 0;
        }));
        return cmd;
    }
}
