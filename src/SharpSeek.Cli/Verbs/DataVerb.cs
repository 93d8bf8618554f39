// `sharpseek data --tokenizer DIR --out DIR [--field text] [--shard-tokens N] FILE...`: tokenize text files (one
// document each) or JSONL (one document per line) into uint32 token shards for `train`, EOS after each document.
using System.CommandLine;
using SharpSeek.Tokenizers;
using SharpSeek.Training;

namespace SharpSeek.Cli.Verbs;

public static class DataVerb
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer folder or tokenizer.json", Required = true };
        var output = new Option<string>("--out") { Description = "output folder for shard_NNNNN.bin", Required = true };
        var field = new Option<string>("--field") { Description = "JSONL field holding the text", DefaultValueFactory = _ => "text" };
        var shardTokens = new Option<int>("--shard-tokens") { Description = "tokens per shard", DefaultValueFactory = _ => 1 << 24 };
        var files = new Argument<string[]>("files") { Description = ".txt or .jsonl inputs", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("data", "Tokenize text/JSONL into token shards for training.") { tokenizer, output, field, shardTokens, files };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            try
            {
                var tok = Tokenizer.Load(parse.GetValue(tokenizer)!);
                string outDir = parse.GetValue(output)!;
                Directory.CreateDirectory(outDir);
                var shards = TokenShard.Tokenize(tok, parse.GetValue(files)!, outDir, parse.GetValue(field)!, parse.GetValue(shardTokens));
                long total = shards.Sum(s => (new FileInfo(s).Length - TokenShard.HeaderSize) / 4);
                Console.WriteLine($"{total:N0} tokens in {shards.Count} shard(s) under {outDir}");
                return 0;
            }
            catch (Exception e) when (e is DataFormatException or TokenizerException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        }));
        return cmd;
    }
}
