// `sharpseek convert --model M --out F.gguf --type f16|q8_0|q4_0|q4_k`: a Hugging Face folder to one GGUF file
// llama.cpp loads (tokenizer carried along); `sharpseek convert --model F.gguf --out DIR`: back to config.json +
// model.safetensors + tokenizer.json; `sharpseek convert --model DIR --out DIR2 --type bf16`: the HF folder with its
// floats recast (FP8 dequantized). The direction follows the paths: a .gguf input converts to a folder, a .gguf
// output is written from a folder, and a folder to a folder is a cast.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Model.Convert;

namespace SharpSeek.Cli.Verbs;

public static class ConvertVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF folder / .safetensors (→ GGUF) or a .gguf file (→ HF folder)", Required = true };
        var output = new Option<string>("--out") { Description = "output .gguf file; or a folder: from a .gguf input, or a cast copy of an HF folder", Required = true };
        var type = new Option<string>("--type") { Description = "GGUF tensor type: f32, f16, bf16, q8_0, q4_0, q4_k (default f16); for an HF → HF cast: f32, f16, bf16", DefaultValueFactory = _ => "f16" };
        var noMtp = new Option<bool>("--no-mtp") { Description = "leave DeepSeek-V3's multi-token-prediction layer out of the GGUF" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "list every tensor with its type and shape" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var cmd = new Command("convert", "Convert between a Hugging Face folder and GGUF.") { model, output, type, noMtp, verbose, json };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string input = parse.GetValue(model)!, outPath = parse.GetValue(output)!;
            Action<string>? log = parse.GetValue(verbose) ? Console.WriteLine : null;
            ConvertReport report;
            if (input.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && File.Exists(input))
            {
                if (parse.GetResult(type) is { Implicit: false })
                    throw new ArgumentException("--type applies to HF → GGUF; a .gguf input converts to safetensors in its stored precision (F16/BF16 kept, the rest F32)");
                if (File.Exists(outPath)) throw new ArgumentException($"--out {outPath} is a file; GGUF → HF writes a folder");
                report = GgufConvert.ToHf(input, outPath, log);
            }
            else if (!outPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            {
                string name = parse.GetValue(type)!;
                if (!HfCast.OutTypes.TryGetValue(name, out var dtype))
                    throw new ArgumentException($"--type {name}: an HF → HF cast writes {string.Join(", ", HfCast.OutTypes.Keys)} (quantized types go to a .gguf --out)");
                if (parse.GetValue(noMtp)) throw new ArgumentException("--no-mtp applies to HF → GGUF; a cast keeps every tensor");
                report = HfCast.Run(input, outPath, dtype, log);
            }
            else
            {
                string name = parse.GetValue(type)!;
                if (!GgufConvert.OutTypes.TryGetValue(name, out var ggml))
                    throw new ArgumentException($"--type {name} is not one of {string.Join(", ", GgufConvert.OutTypes.Keys)}");
                if (Directory.Exists(outPath)) throw new ArgumentException($"--out {outPath} is a folder; give the .gguf file to write");
                report = GgufConvert.ToGguf(input, outPath, ggml, includeMtp: !parse.GetValue(noMtp), log);
            }
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    output = report.Output, tensors = report.Tensors, types = report.Types, bytes = report.Bytes,
                    tokenizer = report.Tokenizer, notes = report.Notes,
                }));
            else
            {
                Console.WriteLine($"wrote {report.Output}: {report.Tensors} tensors ({string.Join(", ", report.Types.Select(kv => $"{kv.Value} {kv.Key}"))}), {report.Bytes / 1e6:F1} MB{(report.Tokenizer ? ", with tokenizer" : "")}");
                foreach (var note in report.Notes) Console.WriteLine("note: " + note);
            }
            return 0;
        }));
        return cmd;
    }
}
