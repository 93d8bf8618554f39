// The web chat page: plain HTML/CSS/JS embedded in this assembly (wwwroot/**), served at / with no CDN.
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SharpSeek.Server;

static class WebPage
{
    static readonly Dictionary<string, string> Types = new()
    {
        [".html"] = "text/html; charset=utf-8", [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8", [".svg"] = "image/svg+xml", [".ico"] = "image/x-icon",
    };

    public static void Map(WebApplication app)
    {
        var asm = typeof(WebPage).Assembly;
        var files = new Dictionary<string, (byte[] Data, string Type)>();
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            using var s = asm.GetManifestResourceStream(name)!;
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            files["/" + name["wwwroot/".Length..]] = (ms.ToArray(), Types.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream"));
        }
        app.MapGet("/", (HttpContext ctx) => Serve(ctx, files, "/index.html"));
        app.MapGet("/{file}", (HttpContext ctx, string file) => Serve(ctx, files, "/" + file));
    }

    static IResult Serve(HttpContext ctx, Dictionary<string, (byte[] Data, string Type)> files, string path)
    {
        if (!files.TryGetValue(path, out var f)) return Results.NotFound();
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
        return Results.Bytes(f.Data, f.Type);
    }
}
