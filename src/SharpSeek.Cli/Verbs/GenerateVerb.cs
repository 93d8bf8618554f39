// `sharpseek generate --model M (--prompt TEXT | --prompt-ids 1,2,3) [--tokenizer DIR] [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S] [--json]`.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Model;
using SharpSeek.Tokenizers;

namespace SharpSeek.Cli.Verbs;

public static class GenerateVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF folder or .safetensors file", Required = true };
        var promptIds = new Option<string>("--prompt-ids") { Description = "comma-separated prompt token ids" };
        var promptText = new Option<string>("--prompt") { Description = "prompt text (tokenized with the model's tokenizer.json, BOS added)" };
        var tokenizerPath = new Option<string>("--tokenizer") { Description = "tokenizer.json or its folder (default: the model folder)" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "tokens to generate", DefaultValueFactory = _ => 32 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "0 = off" };
        var topP = new Option<float>("--top-p") { Description = "nucleus mass, 1 = off", DefaultValueFactory = _ => 1f };
        var seed = new Option<int>("--seed") { Description = "sampling seed" };
        var json = new Option<bool>("--json") { Description = "print {\"ids\":[..],\"text\":..}" };
        var cmd = new Command("generate", "Generate a completion (fp32 reference path).") { model, promptIds, promptText, tokenizerPath, maxTokens, temperature, topK, topP, seed, json };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var (text, idsText) = (parse.GetValue(promptText), parse.GetValue(promptIds));
            if ((text is null) == (idsText is null)) throw new ArgumentException("give exactly one of --prompt TEXT or --prompt-ids 1,2,3");
            Tokenizer? tokenizer = null;
            if (text is not null || parse.GetValue(tokenizerPath) is not null)
            {
                var tokPath = parse.GetValue(tokenizerPath) ?? ModelFolder(parse.GetValue(model)!);
                tokenizer = Tokenizer.Load(tokPath);
            }
            var prompt = text is not null ? tokenizer!.Encode(text, addSpecialTokens: true) : CliErrors.ParseIds(idsText!);
            var sampling = new SamplingOptions
            {
                Temperature = parse.GetValue(temperature), TopK = parse.GetValue(topK), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed),
            };
            sampling.Validate();
            var m = Transformer.Load(parse.GetValue(model)!, new LoadOptions { LoadMtp = false });
            var eos = ModelConfig.FirstId(m.Config.EosTokenId) ?? tokenizer?.EosId;
            var stop = eos is int e ? new HashSet<int> { e } : null;
            var output = new List<int>();
            var stream = tokenizer?.NewStreamingDecoder(skipSpecialTokens: true);
            bool asJson = parse.GetValue(json);
            foreach (var id in Generator.Generate(m, prompt, parse.GetValue(maxTokens), sampling, stop))
            {
                output.Add(id);
                if (!asJson) Console.Write(stream is null ? id + " " : stream.Push(id));
            }
            if (!asJson) Console.WriteLine(stream?.Flush() ?? "");
            else Console.WriteLine(JsonSerializer.Serialize(new { ids = output, text = tokenizer?.Decode(output.ToArray(), skipSpecialTokens: true) }));
            return 0;
        }));
        return cmd;
    }

    /// <summary>The folder holding the model (and, usually, its tokenizer.json).</summary>
    static string ModelFolder(string model) => Directory.Exists(model) ? model : Path.GetDirectoryName(Path.GetFullPath(model))!;
}
