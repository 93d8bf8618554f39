// `sharpseek tokenize --tokenizer DIR|FILE (--text T | --file F) [--special] [--json]`: token ids of a text.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Tokenizers;

namespace SharpSeek.Cli.Verbs;

public static class TokenizeVerb
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "folder with tokenizer.json (+ tokenizer_config.json) or the tokenizer.json file", Required = true };
        var text = new Option<string?>("--text") { Description = "text to tokenize" };
        var file = new Option<string?>("--file") { Description = "UTF-8 file to tokenize" };
        var special = new Option<bool>("--special") { Description = "add BOS/EOS as the tokenizer's post-processor (or tokenizer_config) says" };
        var json = new Option<bool>("--json") { Description = "print {\"ids\":[..]}" };
        var tokens = new Option<bool>("--tokens") { Description = "also print each token (text mode only)" };
        var cmd = new Command("tokenize", "Print the token ids of a text (exact to the Hugging Face tokenizer).") { tokenizer, text, file, special, json, tokens };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var t = parse.GetValue(text);
            var f = parse.GetValue(file);
            if ((t is null) == (f is null)) throw new ArgumentException("give exactly one of --text or --file");
            var input = t ?? File.ReadAllText(f!);
            var tok = Tokenizer.Load(parse.GetValue(tokenizer)!);
            var ids = tok.Encode(input, parse.GetValue(special));
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(new { ids }));
            else if (parse.GetValue(tokens))
            {
                var relaxed = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
                foreach (var id in ids) Console.WriteLine($"{id}\t{JsonSerializer.Serialize(tok.Decode([id]), relaxed)}");
            }
            else Console.WriteLine(string.Join(' ', ids));
            return 0;
        }));
        return cmd;
    }
}
