// A stand-in Hugging Face Hub on 127.0.0.1 (Kestrel, port 0) serving repos the way the hub does:
//   GET /api/models/{owner}/{name}/revision/{rev}  → {"id","sha","siblings":[{"rfilename","size","blobId","lfs":{…}}]}
//   GET /{owner}/{name}/resolve/{rev}/{path}       → small files with a git-sha1 ETag; LFS files as a 302 to /cdn/…
//                                                    carrying X-Linked-Etag (sha256) and X-Linked-Size, like the hub
// with Range support, optional Bearer-token protection, connections dropped mid-file, and corrupted bodies.
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SharpSeek.Gguf.Tests;

sealed class FakeHub : IAsyncDisposable
{
    public sealed record Repo(Dictionary<string, byte[]> Files, HashSet<string> Lfs);

    readonly WebApplication app;
    public Dictionary<string, Repo> Repos { get; } = [];
    public string? RequiredToken { get; set; }
    /// <summary>path → (bytes to send before dropping the connection, how many requests to drop).</summary>
    public ConcurrentDictionary<string, (int Bytes, int Times)> Drop { get; } = new();
    /// <summary>path → bytes served instead of the real content (the API still lists the real hash and size).</summary>
    public Dictionary<string, byte[]> Corrupt { get; } = [];
    public ConcurrentQueue<string> Log { get; } = new();
    public string Url { get; private set; } = "";

    public FakeHub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapGet("/api/models/{owner}/{name}/revision/{rev}", (HttpContext ctx, string owner, string name, string rev) =>
        {
            if (!Authorized(ctx)) return Results.StatusCode(401);
            if (!Repos.TryGetValue($"{owner}/{name}", out var repo)) return Results.NotFound(new { error = "Repository not found" });
            var siblings = repo.Files.Select(kv => repo.Lfs.Contains(kv.Key)
                ? (object)new { rfilename = kv.Key, size = kv.Value.Length, blobId = GitSha1(kv.Value), lfs = new { sha256 = Sha256(kv.Value), size = kv.Value.Length, pointerSize = 134 } }
                : new { rfilename = kv.Key, size = kv.Value.Length, blobId = GitSha1(kv.Value) });
            return Results.Json(new { id = $"{owner}/{name}", sha = "0123456789abcdef0123456789abcdef01234567", siblings });
        });
        app.MapGet("/{owner}/{name}/resolve/{rev}/{**path}", async (HttpContext ctx, string owner, string name, string rev, string path) =>
        {
            Log.Enqueue($"resolve {path} range={ctx.Request.Headers.Range}");
            if (!Authorized(ctx)) { ctx.Response.StatusCode = 401; return; }
            if (!Repos.TryGetValue($"{owner}/{name}", out var repo) || !repo.Files.TryGetValue(path, out var content)) { ctx.Response.StatusCode = 404; return; }
            if (repo.Lfs.Contains(path))
            {
                ctx.Response.Headers["X-Linked-Etag"] = $"\"{Sha256(content)}\"";
                ctx.Response.Headers["X-Linked-Size"] = content.Length.ToString();
                ctx.Response.Redirect($"/cdn/{owner}/{name}/{path}");
                return;
            }
            ctx.Response.Headers.ETag = $"\"{GitSha1(content)}\"";
            await Serve(ctx, path, Corrupt.GetValueOrDefault(path) ?? content);
        });
        app.MapGet("/cdn/{owner}/{name}/{**path}", async (HttpContext ctx, string owner, string name, string path) =>
        {
            Log.Enqueue($"cdn {path} range={ctx.Request.Headers.Range} auth={ctx.Request.Headers.Authorization}");
            var content = Repos[$"{owner}/{name}"].Files[path];
            await Serve(ctx, path, Corrupt.GetValueOrDefault(path) ?? content);
        });
    }

    public async Task<FakeHub> Start()
    {
        await app.StartAsync();
        Url = app.Urls.First();
        return this;
    }

    bool Authorized(HttpContext ctx) => RequiredToken is null || ctx.Request.Headers.Authorization == $"Bearer {RequiredToken}";

    async Task Serve(HttpContext ctx, string path, byte[] content)
    {
        long from = 0;
        string range = ctx.Request.Headers.Range.ToString();
        if (range.StartsWith("bytes=") && range.EndsWith('-') && long.TryParse(range[6..^1], out long start))
        {
            if (start >= content.Length)
            {
                ctx.Response.StatusCode = 416;
                ctx.Response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }
            from = start;
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers.ContentRange = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        ctx.Response.ContentLength = content.Length - from;
        ctx.Response.ContentType = "application/octet-stream";
        if (Drop.TryGetValue(path, out var drop) && drop.Times > 0)
        {
            Drop[path] = (drop.Bytes, drop.Times - 1);
            int n = (int)Math.Min(drop.Bytes, content.Length - from);
            await ctx.Response.Body.WriteAsync(content.AsMemory((int)from, n));
            await ctx.Response.Body.FlushAsync();
            ctx.Abort();
            return;
        }
        await ctx.Response.Body.WriteAsync(content.AsMemory((int)from));
    }

    public static string Sha256(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));
    public static string GitSha1(byte[] b) => Convert.ToHexStringLower(SHA1.HashData(Encoding.ASCII.GetBytes($"blob {b.Length}\0").Concat(b).ToArray()));

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
