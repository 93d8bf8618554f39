// sharpseek: the command-line entry point. Each verb lives in its own file under Verbs/ and exposes Create().
using System.CommandLine;
using SharpSeek.Cli.Verbs;

var root = new RootCommand("SharpSeek: DeepSeek-V3 / R1 on commodity CPUs, in C#.");
// verbs (one line each; keep sorted by the order users meet them)
root.Subcommands.Add(ChatVerb.Create());
root.Subcommands.Add(ServeVerb.Create());
root.Subcommands.Add(InfoVerb.Create());
root.Subcommands.Add(LogitsVerb.Create());
root.Subcommands.Add(GenerateVerb.Create());
root.Subcommands.Add(BenchVerb.Create());
root.Subcommands.Add(TokenizeVerb.Create());
root.Subcommands.Add(TemplateVerb.Create());
root.Subcommands.Add(TokenizerTrainVerb.Create());
root.Subcommands.Add(ConvertVerb.Create());
root.Subcommands.Add(PullVerb.Create());
root.Subcommands.Add(DataVerb.Create());
root.Subcommands.Add(TrainVerb.Create());
root.Subcommands.Add(EvalVerb.Create());
root.Subcommands.Add(R1DataVerb.Create());
root.Subcommands.Add(SftVerb.Create());
root.Subcommands.Add(GrpoVerb.Create());
root.Subcommands.Add(DistillVerb.Create());
return root.Parse(args).Invoke();
