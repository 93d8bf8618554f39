// `sharpseek tokenizer train --input FILES --vocab-size N --out DIR`: trains a byte-level BPE tokenizer
// (DeepSeek-V3 pre-tokenizer, DeepSeek special tokens, R1 chat template) that Hugging Face tooling loads.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Tokenizers;

namespace SharpSeek.Cli.Verbs;

public static class TokenizerTrainVerb
{
    public static Command Create()
    {
        var input = new Option<string[]>("--input") { Description = "UTF-8 text files (each file is one document)", Required = true, AllowMultipleArgumentsPerToken = true };
        var vocab = new Option<int>("--vocab-size") { Description = "total vocabulary: special tokens + 256 bytes + merges", Required = true };
        var output = new Option<string>("--out") { Description = "folder to write tokenizer.json and tokenizer_config.json into", Required = true };
        var minFreq = new Option<int>("--min-frequency") { Description = "never merge a pair seen fewer times (default 2)", DefaultValueFactory = _ => 2 };
        var digits = new Option<bool>("--individual-digits") { Description = "spell numbers digit by digit (HF Digits pre-tokenizer with individual_digits)" };
        var specials = new Option<string[]>("--special-tokens") { Description = "added tokens, ids 0.. in order (first BOS, second EOS); default: DeepSeek's", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "print {\"vocab_size\":..,\"merges\":..,\"seconds\":..}" };
        var train = new Command("train", "Train a byte-level BPE tokenizer.") { input, vocab, output, minFreq, digits, specials, json };
        train.SetAction(parse => CliErrors.Run(() =>
        {
            var files = parse.GetValue(input)!;
            foreach (var f in files) if (!File.Exists(f)) throw new ArgumentException($"--input {f} does not exist");
            var sw = Stopwatch.StartNew();
            var opts = new BpeTrainerOptions(parse.GetValue(vocab), parse.GetValue(minFreq),
                parse.GetValue(specials) is { Length: > 0 } s ? s : null, parse.GetValue(digits));
            var trained = BpeTrainer.Train(files.Select(File.ReadAllText), opts);
            var dir = parse.GetValue(output)!;
            trained.Save(dir);
            int size = trained.SpecialTokens.Count + trained.Tokens.Count;
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { vocab_size = size, merges = trained.Merges.Count, seconds = sw.Elapsed.TotalSeconds, @out = dir }));
            else
            {
                Console.WriteLine($"trained {size} tokens ({trained.Merges.Count} merges) in {sw.Elapsed.TotalSeconds:F1}s → {dir}");
                if (size < opts.VocabSize) Console.WriteLine($"note: stopped below --vocab-size {opts.VocabSize}: no pair occurs {opts.MinFrequency}+ times");
            }
            return 0;
        }));
        return new Command("tokenizer", "Tokenizer tools.") { train };
    }
}
