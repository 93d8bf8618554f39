// `sharpseek generate --model M --prompt-ids 1,2,3 [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S] [--json]`.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Model;

namespace SharpSeek.Cli.Verbs;

public static class GenerateVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF folder or .safetensors file", Required = true };
        var promptIds = new Option<string>("--prompt-ids") { Description = "comma-separated prompt token ids", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "tokens to generate", DefaultValueFactory = _ => 32 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "0 = off" };
        var topP = new Option<float>("--top-p") { Description = "nucleus mass, 1 = off", DefaultValueFactory = _ => 1f };
        var seed = new Option<int>("--seed") { Description = "sampling seed" };
        var json = new Option<bool>("--json") { Description = "print {\"ids\":[..]}" };
        var cmd = new Command("generate", "Generate a completion (fp32 reference path).") { model, promptIds, maxTokens, temperature, topK, topP, seed, json };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var prompt = CliErrors.ParseIds(parse.GetValue(promptIds)!);
            var sampling = new SamplingOptions
            {
                Temperature = parse.GetValue(temperature), TopK = parse.GetValue(topK), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed),
            };
            sampling.Validate();
            var m = Transformer.Load(parse.GetValue(model)!, new LoadOptions { LoadMtp = false });
            var eos = ModelConfig.FirstId(m.Config.EosTokenId);
            var stop = eos is int e ? new HashSet<int> { e } : null;
            var output = new List<int>();
            foreach (var id in Generator.Generate(m, prompt, parse.GetValue(maxTokens), sampling, stop))
            {
                output.Add(id);
                if (!parse.GetValue(json)) Console.Write(id + " ");
            }
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(new { ids = output }) : "");
            return 0;
        }));
        return cmd;
    }
}
