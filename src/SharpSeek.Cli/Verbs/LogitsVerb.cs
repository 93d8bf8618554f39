// `sharpseek logits --model M --ids 1,2,3 --json`: every position's logits from the fp32 reference path.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Model;

namespace SharpSeek.Cli.Verbs;

public static class LogitsVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF folder or .safetensors file", Required = true };
        var ids = new Option<string>("--ids") { Description = "comma-separated token ids", Required = true };
        var json = new Option<bool>("--json") { Description = "print {\"ids\":[..],\"logits\":[[..],..]}" };
        var naive = new Option<bool>("--naive-mla") { Description = "use the naive MLA cache instead of the absorbed one" };
        var cmd = new Command("logits", "Print the logits of every position (fp32 reference path).") { model, ids, json, naive };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var tokens = CliErrors.ParseIds(parse.GetValue(ids)!);
            var m = Transformer.Load(parse.GetValue(model)!, new LoadOptions { MlaMode = parse.GetValue(naive) ? MlaMode.Naive : MlaMode.Absorbed, LoadMtp = false });
            if (tokens.Length > m.Config.MaxPositionEmbeddings)
                throw new ArgumentException($"--ids has {tokens.Length} tokens, more than max_position_embeddings {m.Config.MaxPositionEmbeddings}");
            var logits = m.Forward(tokens, m.NewCache(tokens.Length));
            int v = m.Config.VocabSize;
            var rows = Enumerable.Range(0, tokens.Length).Select(t => logits.AsSpan(t * v, v).ToArray()).ToArray();
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { ids = tokens, logits = rows }));
            else
                for (int t = 0; t < tokens.Length; t++)
                    Console.WriteLine($"{t}\tid {tokens[t]}\targmax {Sampler.Argmax(rows[t])}\tmax {rows[t].Max():G6}");
            return 0;
        }));
        return cmd;
    }
}
