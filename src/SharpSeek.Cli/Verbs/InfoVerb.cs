// `sharpseek info --model M`: architecture, parameter counts (total / active), dtypes, memory.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Model;

namespace SharpSeek.Cli.Verbs;

public static class InfoVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF folder or .safetensors file", Required = true };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var cmd = new Command("info", "Print a model's architecture, parameter counts, dtypes and memory.") { model, json };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var m = Transformer.Load(parse.GetValue(model)!);
            var c = m.Config;
            var cache = m.NewCache(1);
            var info = new
            {
                architecture = c.ModelType,
                layers = c.NumHiddenLayers,
                hidden_size = c.HiddenSize,
                vocab_size = c.VocabSize,
                attention = c is DeepseekV3Config ? "MLA (absorbed latent cache)" : $"GQA {c.NumAttentionHeads}/{c.KvHeads} heads",
                moe = c is DeepseekV3Config { HasMoe: true } d
                    ? $"{d.NRoutedExperts} routed (top-{d.NumExpertsPerTok}, {d.ScoringFunc}, {d.TopkMethod}) + {d.NSharedExperts} shared"
                    : "dense",
                mtp = m.Mtp is not null,
                parameters_total = m.ParameterCount + (m.Mtp?.ParameterCount ?? 0),
                parameters_active = m.ActiveParameterCount,
                dtypes = m.DTypes,
                memory_f32_bytes = 4 * (m.ParameterCount + (m.Mtp?.ParameterCount ?? 0)),
                kv_cache_bytes_per_token_f32 = cache.BytesPerToken,
                max_position_embeddings = c.MaxPositionEmbeddings,
            };
            if (parse.GetValue(json)) { Console.WriteLine(JsonSerializer.Serialize(info)); return 0; }
            foreach (var p in info.GetType().GetProperties())
            {
                var value = p.GetValue(info);
                var text = value is System.Collections.IDictionary dict
                    ? string.Join(", ", dict.Keys.Cast<object>().Select(k => $"{k}: {dict[k]}"))
                    : value is long n ? n.ToString("N0") : value?.ToString();
                Console.WriteLine($"{p.Name,-30} {text}");
            }
            return 0;
        }));
        return cmd;
    }
}
