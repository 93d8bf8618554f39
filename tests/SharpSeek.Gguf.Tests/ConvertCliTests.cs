// `sharpseek convert` in-process, both directions, with its errors as one line on stderr and exit code 1.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Cli.Verbs;
using SharpSeek.Formats.Gguf;
using Xunit;

namespace SharpSeek.Gguf.Tests;

[CollectionDefinition("Console", DisableParallelization = true)]
public class ConsoleCollection;

[Collection("Console")]
public class ConvertCliTests
{
    internal static (int code, string stdout, string stderr) Run(Command verb, params string[] args)
    {
        var root = new RootCommand { verb };
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o); Console.SetError(e);
        try { return (root.Parse(args).Invoke(), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Fact]
    public void Convert_to_gguf_and_back()
    {
        using var dir = new TempDir();
        string src = ConvertTests.ModelWithTokenizer(dir, "v3-qlora-yarn-mtp"), gguf = dir.File("m.gguf"), back = dir.File("back");
        var (code, stdout, stderr) = Run(ConvertVerb.Create(), "convert", "--model", src, "--out", gguf, "--type", "q8_0", "--json");
        Assert.True(code == 0, stderr);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.True(doc.RootElement.GetProperty("tokenizer").GetBoolean());
            Assert.True(doc.RootElement.GetProperty("types").TryGetProperty("F32", out _));
        }
        using (var f = GgufFile.Open(gguf)) Assert.Equal(7, f.GetInt("general.file_type"));
        (code, stdout, stderr) = Run(ConvertVerb.Create(), "convert", "--model", gguf, "--out", back);
        Assert.True(code == 0, stderr);
        Assert.Contains("with tokenizer", stdout);
        Assert.True(File.Exists(Path.Combine(back, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(back, "config.json")));
        Assert.True(File.Exists(Path.Combine(back, "tokenizer.json")));
    }

    [Fact]
    public void Bad_arguments_and_bad_files_are_one_line_errors()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Run(ConvertVerb.Create(), "convert", "--model", dir.Path, "--out", dir.File("x.gguf"), "--type", "q3_k");
        Assert.Equal(1, code);
        Assert.Contains("--type q3_k is not one of", stderr);
        string bad = dir.Write("bad.gguf", "GGUF\u0003\0\0\0"u8.ToArray().Concat(new byte[30]).ToArray());
        (code, _, stderr) = Run(ConvertVerb.Create(), "convert", "--model", bad, "--out", dir.File("out"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
