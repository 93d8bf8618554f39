// `pull` against the stand-in hub: file list, nested paths, LFS redirects, resume after a dropped connection and
// across runs (Range onto .incomplete), hash and size verification, 401 without a token, 404, and the CLI verb.
using System.Net;
using System.Text.Json;
using SharpSeek.Cli.Verbs;
using SharpSeek.Formats.HfHub;
using Xunit;

namespace SharpSeek.Gguf.Tests;

[Collection("Console")]
public class PullTests
{
    static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    static async Task<FakeHub> Hub()
    {
        var hub = new FakeHub();
        hub.Repos["org/tiny"] = new FakeHub.Repo(new Dictionary<string, byte[]>
        {
            ["config.json"] = "{\"model_type\":\"qwen2\"}"u8.ToArray(),
            ["model.safetensors"] = Bytes(300_000, 1),
            ["sub/dir/notes.txt"] = "hello"u8.ToArray(),
        }, ["model.safetensors"]);
        return await hub.Start();
    }

    static HfHubClient Client(FakeHub hub, string? token = null) => new(hub.Url, token) { RetryDelay = TimeSpan.FromMilliseconds(1) };

    [Fact]
    public async Task Downloads_and_verifies_every_file()
    {
        await using var hub = await Hub();
        using var dir = new TempDir();
        using var client = Client(hub);
        var (sha, list) = await client.ListFiles("org/tiny");
        Assert.Equal(40, sha!.Length);
        Assert.Equal(FakeHub.Sha256(hub.Repos["org/tiny"].Files["model.safetensors"]), list.Single(f => f.Path == "model.safetensors").Sha256);
        var files = await client.Download("org/tiny", "main", dir.Path);
        Assert.Equal(3, files.Count);
        foreach (var (path, content) in hub.Repos["org/tiny"].Files)
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(dir.Path, path)));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.incomplete", SearchOption.AllDirectories));
        Assert.Contains(hub.Log, l => l.StartsWith("cdn model.safetensors") && l.EndsWith("auth="));   // redirected, token not forwarded
    }

    [Fact]
    public async Task Resumes_after_a_dropped_connection_with_a_range_request()
    {
        await using var hub = await Hub();
        hub.Drop["model.safetensors"] = (100_000, 2);
        using var dir = new TempDir();
        using var client = Client(hub);
        await client.Download("org/tiny", "main", dir.Path);
        Assert.Equal(hub.Repos["org/tiny"].Files["model.safetensors"], File.ReadAllBytes(dir.File("model.safetensors")));
        // Three requests: the first from 0, each retry from what reached the disk (≤ 100 000 bytes per dropped request).
        var starts = hub.Log.Where(l => l.StartsWith("cdn")).Select(l => l.Split(" range=")[1].Split(' ')[0])
            .Select(r => r == "" ? 0 : long.Parse(r["bytes=".Length..^1])).ToList();
        Assert.Equal(3, starts.Count);
        Assert.Equal(0, starts[0]);
        Assert.True(starts[1] > 0 && starts[1] <= 100_000 && starts[2] > starts[1] && starts[2] <= 200_000, string.Join(", ", starts));
    }

    [Fact]
    public async Task Resumes_an_incomplete_file_from_an_earlier_run_and_skips_complete_ones()
    {
        await using var hub = await Hub();
        using var dir = new TempDir();
        var content = hub.Repos["org/tiny"].Files["model.safetensors"];
        File.WriteAllBytes(dir.File("model.safetensors.incomplete"), content[..123_456]);
        using var client = Client(hub);
        await client.Download("org/tiny", "main", dir.Path);
        Assert.Equal(content, File.ReadAllBytes(dir.File("model.safetensors")));
        Assert.Contains(hub.Log, l => l.Contains("range=bytes=123456-"));

        int before = hub.Log.Count;
        var skipped = new List<string>();
        await client.Download("org/tiny", "main", dir.Path, new HubProgress { FileDone = (f, skip) => { if (skip) skipped.Add(f.Path); } });
        Assert.Equal(3, skipped.Count);
        Assert.Equal(before, hub.Log.Count);   // nothing fetched again
    }

    [Fact]
    public async Task A_corrupted_file_is_a_hash_mismatch_and_is_not_kept()
    {
        await using var hub = await Hub();
        var good = hub.Repos["org/tiny"].Files["model.safetensors"];
        var bad = (byte[])good.Clone();
        bad[1234] ^= 0x40;
        hub.Corrupt["model.safetensors"] = bad;
        using var dir = new TempDir();
        using var client = Client(hub);
        var e = await Assert.ThrowsAsync<HubException>(() => client.Download("org/tiny", "main", dir.Path));
        Assert.Contains("model.safetensors: sha256 mismatch", e.Message);
        Assert.False(File.Exists(dir.File("model.safetensors")));
        Assert.False(File.Exists(dir.File("model.safetensors.incomplete")));

        hub.Corrupt.Clear();
        using var dir2 = new TempDir();
        hub.Corrupt["config.json"] = "{\"model_type\":\"llama3\"}"u8.ToArray();   // small file: checked by its git blob sha1
        e = await Assert.ThrowsAsync<HubException>(() => client.Download("org/tiny", "main", dir2.Path));
        Assert.Contains("config.json: size mismatch", e.Message);
        hub.Corrupt["config.json"] = "{\"model_type\":\"qwen3\"}"u8.ToArray();   // same size, other bytes
        e = await Assert.ThrowsAsync<HubException>(() => client.Download("org/tiny", "main", dir2.Path));
        Assert.Contains("config.json: git blob sha1 mismatch", e.Message);
        Assert.False(File.Exists(dir2.File("config.json")));
    }

    [Fact]
    public async Task Token_is_required_when_the_hub_says_401()
    {
        await using var hub = await Hub();
        hub.RequiredToken = "hf_secret";
        using var dir = new TempDir();
        using (var anonymous = Client(hub))
        {
            var e = await Assert.ThrowsAsync<HubException>(() => anonymous.Download("org/tiny", "main", dir.Path));
            Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
            Assert.Contains("set HF_TOKEN", e.Message);
        }
        using (var wrong = Client(hub, "hf_wrong"))
            Assert.Contains("was refused", (await Assert.ThrowsAsync<HubException>(() => wrong.Download("org/tiny", "main", dir.Path))).Message);
        using var authorized = Client(hub, "hf_secret");
        await authorized.Download("org/tiny", "main", dir.Path);
        Assert.True(File.Exists(dir.File("sub/dir/notes.txt")));
    }

    [Fact]
    public async Task Unknown_repo_is_404()
    {
        await using var hub = await Hub();
        using var dir = new TempDir();
        using var client = Client(hub);
        var e = await Assert.ThrowsAsync<HubException>(() => client.Download("org/missing", "main", dir.Path));
        Assert.Equal(HttpStatusCode.NotFound, e.Status);
        Assert.Contains("repository org/missing (revision main) not found", e.Message);
        Assert.Throws<ArgumentException>(() => HfHubClient.CheckRepoId("../etc"));
    }

    [Fact]
    public async Task Cli_pull_uses_the_endpoint_and_environment()
    {
        await using var hub = await Hub();
        hub.RequiredToken = "hf_env";
        using var dir = new TempDir();
        string? oldEndpoint = Environment.GetEnvironmentVariable("HF_ENDPOINT"), oldToken = Environment.GetEnvironmentVariable("HF_TOKEN");
        try
        {
            Environment.SetEnvironmentVariable("HF_ENDPOINT", hub.Url);
            Environment.SetEnvironmentVariable("HF_TOKEN", "hf_env");
            var (code, stdout, stderr) = ConvertCliTests.Run(PullVerb.Create(), "pull", "org/tiny", "--out", dir.File("tiny"), "--json");
            Assert.True(code == 0, stderr);
            using var doc = JsonDocument.Parse(stdout);
            Assert.Equal(3, doc.RootElement.GetProperty("files").GetInt32());
            Assert.Equal(300_000 + 5 + 22, doc.RootElement.GetProperty("bytes").GetInt64());

            Environment.SetEnvironmentVariable("HF_TOKEN", null);
            (code, _, stderr) = ConvertCliTests.Run(PullVerb.Create(), "pull", "org/tiny", "--out", dir.File("t2"), "--endpoint", hub.Url);
            Assert.Equal(1, code);
            Assert.Contains("401", stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_ENDPOINT", oldEndpoint);
            Environment.SetEnvironmentVariable("HF_TOKEN", oldToken);
        }
    }
}
