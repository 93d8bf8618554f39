// `sharpseek pull REPO_ID [--endpoint URL] [--revision R] [--out DIR]`: downloads a Hugging Face model repo
// (resumable, each file verified by size and hash) with a progress bar per file. HF_ENDPOINT and HF_TOKEN are honoured.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Formats.HfHub;
using Spectre.Console;

namespace SharpSeek.Cli.Verbs;

public static class PullVerb
{
    public static Command Create()
    {
        var repo = new Argument<string>("repo") { Description = "Hugging Face repo id, e.g. deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B" };
        var endpoint = new Option<string?>("--endpoint") { Description = "hub URL (default: HF_ENDPOINT, else https://huggingface.co)" };
        var revision = new Option<string>("--revision") { Description = "branch, tag or commit", DefaultValueFactory = _ => "main" };
        var output = new Option<string?>("--out") { Description = "target folder (default: models/<name>)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object (no progress bars)" };
        var cmd = new Command("pull", "Download a model from the Hugging Face Hub (resumable, verified).") { repo, endpoint, revision, output, json };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string id = parse.GetValue(repo)!, rev = parse.GetValue(revision)!;
            HfHubClient.CheckRepoId(id);
            string dir = parse.GetValue(output) ?? Path.Combine("models", id.Split('/')[^1]);
            using var client = HfHubClient.FromEnvironment(parse.GetValue(endpoint));
            bool plain = parse.GetValue(json) || Console.IsOutputRedirected;
            var skipped = new List<string>();
            IReadOnlyList<HubFile> files;
            if (plain)
            {
                var progress = new HubProgress
                {
                    FileDone = (f, skip) =>
                    {
                        if (skip) skipped.Add(f.Path);
                        if (!parse.GetValue(json)) Console.WriteLine($"{(skip ? "have" : "got ")} {f.Path} ({new FileInfo(Path.Combine(dir, f.Path)).Length:N0} bytes)");
                    },
                };
                files = client.Download(id, rev, dir, progress).GetAwaiter().GetResult();
            }
            else
            {
                files = [];
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var tasks = new Dictionary<string, ProgressTask>();
                        ProgressTask Task(HubFile f) => tasks.TryGetValue(f.Path, out var t) ? t
                            : tasks[f.Path] = ctx.AddTask(Markup.Escape(f.Path), maxValue: Math.Max(1, f.Size ?? 1));
                        var progress = new HubProgress
                        {
                            FileStarted = f => Task(f),
                            Bytes = (f, have, total) => { var t = Task(f); if (total is { } n) t.MaxValue = Math.Max(1, n); t.Value = have; },
                            FileDone = (f, skip) => { var t = Task(f); t.Value = t.MaxValue; t.StopTask(); if (skip) skipped.Add(f.Path); },
                        };
                        files = await client.Download(id, rev, dir, progress);
                    }).GetAwaiter().GetResult();
            }
            long bytes = files.Sum(f => new FileInfo(Path.Combine(dir, f.Path)).Length);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { repo = id, revision = rev, path = Path.GetFullPath(dir), files = files.Count, skipped = skipped.Count, bytes }));
            else Console.WriteLine($"{id}@{rev}: {files.Count} files ({skipped.Count} already complete), {bytes / 1e6:F1} MB in {dir}");
            return 0;
        }));
        return cmd;
    }
}
