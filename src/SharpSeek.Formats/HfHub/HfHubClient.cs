// A Hugging Face Hub download client: the file list from GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true,
// each file from {endpoint}/{repo}/resolve/{rev}/{path} (following the hub's redirect to its CDN), with
//   - HF_ENDPOINT / HF_TOKEN from the environment (the token as "Authorization: Bearer …", not sent across redirects);
//   - resume: bytes land in "<file>.incomplete" and a retry (or the next run) asks for "Range: bytes=<have>-";
//   - verification: size (API, X-Linked-Size, Content-Length) and hash — sha256 from the API's lfs.sha256 or a
//     64-hex X-Linked-Etag/ETag, or git's blob sha1 for a 40-hex ETag — before the file is renamed into place.
// Errors are HubException (an IOException) with the repo, file and HTTP status in words.
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SharpSeek.Formats.HfHub;

public sealed class HubException(string message, HttpStatusCode? status = null, Exception? inner = null) : IOException(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>One file of a repo revision: its path, size, sha256 (LFS files) and git blob id, as far as the API gives them.</summary>
public sealed record HubFile(string Path, long? Size, string? Sha256, string? GitSha1 = null);

/// <summary>Progress callbacks (the CLI draws bars from them); all optional.</summary>
public sealed class HubProgress
{
    public Action<HubFile>? FileStarted { get; init; }
    /// <summary>(file, bytes on disk so far, total bytes when known).</summary>
    public Action<HubFile, long, long?>? Bytes { get; init; }
    /// <summary>(file, skipped because it was already complete).</summary>
    public Action<HubFile, bool>? FileDone { get; init; }
}

public sealed class HfHubClient : IDisposable
{
    public const string DefaultEndpoint = "https://huggingface.co";
    readonly HttpClient http;
    readonly bool ownsHttp;

    public string Endpoint { get; }
    public string? Token { get; }
    /// <summary>Attempts per file before a dropped connection is an error (each resumes where the last stopped).</summary>
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public HfHubClient(string endpoint, string? token, HttpClient? http = null)
    {
        Endpoint = endpoint.TrimEnd('/');
        Token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        ownsHttp = http is null;
        this.http = http ?? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>--endpoint, else HF_ENDPOINT, else huggingface.co; HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) when set.</summary>
    public static HfHubClient FromEnvironment(string? endpoint = null)
    {
        string? fromEnv = Environment.GetEnvironmentVariable("HF_ENDPOINT");
        string chosen = !string.IsNullOrWhiteSpace(endpoint) ? endpoint : !string.IsNullOrWhiteSpace(fromEnv) ? fromEnv : DefaultEndpoint;
        if (!Uri.TryCreate(chosen, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"endpoint '{chosen}' is not an http(s) URL");
        return new(chosen, Environment.GetEnvironmentVariable("HF_TOKEN") ?? Environment.GetEnvironmentVariable("HUGGING_FACE_HUB_TOKEN"));
    }

    public static void CheckRepoId(string repo)
    {
        var parts = repo.Split('/');
        if (parts.Length is < 1 or > 2 || parts.Any(p => p.Length == 0 || p is "." or ".." || p.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
            throw new ArgumentException($"'{repo}' is not a Hugging Face repo id (expected owner/name, e.g. deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B)");
    }

    HttpRequestMessage Request(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        if (Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("sharpseek", "0.1"));
        return request;
    }

    HubException Failure(HttpResponseMessage r, string repo, string what)
    {
        string detail = r.StatusCode switch
        {
            HttpStatusCode.Unauthorized => Token is null
                ? $"{repo} needs authentication: set HF_TOKEN to a Hugging Face access token"
                : $"the token in HF_TOKEN was refused for {repo}",
            HttpStatusCode.Forbidden => $"access to {repo} is forbidden (gated repo? accept its terms on the hub first)",
            HttpStatusCode.NotFound => $"{what} not found on {Endpoint}",
            _ => $"{what}: the hub answered {(int)r.StatusCode} {r.ReasonPhrase}",
        };
        return new HubException($"{(int)r.StatusCode} {r.StatusCode}: {detail}", r.StatusCode);
    }

    /// <summary>The revision's commit sha and its files.</summary>
    public async Task<(string? Sha, IReadOnlyList<HubFile> Files)> ListFiles(string repo, string revision = "main", CancellationToken ct = default)
    {
        CheckRepoId(repo);
        string url = $"{Endpoint}/api/models/{repo}/revision/{Uri.EscapeDataString(revision)}?blobs=true";
        using var response = await Send(() => Request(HttpMethod.Get, url), ct);
        if (!response.IsSuccessStatusCode) throw Failure(response, repo, $"repository {repo} (revision {revision})");
        string body = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            string? sha = root.TryGetProperty("sha", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            var files = new List<HubFile>();
            if (!root.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
                throw new HubException($"the hub's answer for {repo} has no 'siblings' file list");
            foreach (var f in siblings.EnumerateArray())
            {
                string path = f.GetProperty("rfilename").GetString()!;
                CheckPath(path);
                long? size = f.TryGetProperty("size", out var z) && z.ValueKind == JsonValueKind.Number ? z.GetInt64() : null;
                string? sha256 = null;
                string? blob = f.TryGetProperty("blobId", out var b) && b.ValueKind == JsonValueKind.String && b.GetString()!.Length == 40 ? b.GetString()!.ToLowerInvariant() : null;
                if (f.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                {
                    if (lfs.TryGetProperty("sha256", out var h) && h.ValueKind == JsonValueKind.String) sha256 = h.GetString()!.ToLowerInvariant();
                    if (lfs.TryGetProperty("size", out var ls) && ls.ValueKind == JsonValueKind.Number) size = ls.GetInt64();
                }
                files.Add(new HubFile(path, size, sha256, sha256 is null ? blob : null));
            }
            return (sha, files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new HubException($"the hub's file list for {repo} is not the expected JSON: {e.Message}", inner: e);
        }
    }

    /// <summary>Rejects paths that would escape the output folder.</summary>
    static void CheckPath(string path)
    {
        if (path.Length == 0 || Path.IsPathRooted(path) || path.Contains('\\') || path.Split('/').Any(p => p is "" or "." or ".."))
            throw new HubException($"the hub listed an unsafe file path '{path}'");
    }

    /// <summary>Downloads every file of the revision into `outDir`; returns the files (already-complete ones are skipped).</summary>
    public async Task<IReadOnlyList<HubFile>> Download(string repo, string revision, string outDir, HubProgress? progress = null, CancellationToken ct = default)
    {
        var (_, files) = await ListFiles(repo, revision, ct);
        Directory.CreateDirectory(outDir);
        foreach (var file in files) await DownloadFile(repo, revision, file, outDir, progress, ct);
        return files;
    }

    public async Task DownloadFile(string repo, string revision, HubFile file, string outDir, HubProgress? progress = null, CancellationToken ct = default)
    {
        CheckPath(file.Path);
        string target = Path.Combine(outDir, file.Path.Replace('/', Path.DirectorySeparatorChar));
        string partial = target + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        progress?.FileStarted?.Invoke(file);
        if (File.Exists(target) && file.Size is { } known && new FileInfo(target).Length == known
            && (file.Sha256 is null || await Sha256Of(target, ct) == file.Sha256)
            && (file.GitSha1 is null || await GitBlobSha1Of(target, ct) == file.GitSha1))
        {
            progress?.Bytes?.Invoke(file, known, known);
            progress?.FileDone?.Invoke(file, true);
            return;
        }

        string url = $"{Endpoint}/{repo}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}";
        long? expectedSize = file.Size;
        string? sha256 = file.Sha256, gitSha1 = file.GitSha1;
        for (int attempt = 1; ; attempt++)
        {
            long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            try
            {
                using var response = await Send(() =>
                {
                    var r = Request(HttpMethod.Get, url);
                    if (have > 0) r.Headers.Range = new RangeHeaderValue(have, null);
                    return r;
                }, ct, HttpCompletionOption.ResponseHeadersRead);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0 && (expectedSize is null || have == expectedSize))
                    break;   // the partial file is already whole
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) { File.Delete(partial); continue; }
                if (!response.IsSuccessStatusCode) throw Failure(response, repo, $"file {file.Path} of {repo}@{revision}");

                var fromHeaders = HashesFromHeaders(response, sha256);
                sha256 = fromHeaders.Sha256;
                gitSha1 ??= fromHeaders.GitSha1;
                if (response.Headers.TryGetValues("X-Linked-Size", out var ls) && long.TryParse(ls.FirstOrDefault(), out long linked)) expectedSize ??= linked;
                bool append = response.StatusCode == HttpStatusCode.PartialContent && have > 0;
                if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange is { } cr)
                {
                    if (cr.From != have) throw new HubException($"{file.Path}: asked for bytes from {have}, the hub sent a range from {cr.From}");
                    if (cr.Length is { } total) expectedSize ??= total;
                }
                else if (response.Content.Headers.ContentLength is { } len) expectedSize ??= len;
                if (!append) have = 0;
                if (expectedSize is { } size && have > size) { File.Delete(partial); have = 0; continue; }

                await using (var output = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                await using (var input = await response.Content.ReadAsStreamAsync(ct))
                {
                    var buffer = new byte[1 << 16];
                    long lastReport = 0;
                    int n;
                    while ((n = await input.ReadAsync(buffer, ct)) > 0)
                    {
                        await output.WriteAsync(buffer.AsMemory(0, n), ct);
                        have += n;
                        if (have - lastReport >= 1 << 20 || have == expectedSize) { progress?.Bytes?.Invoke(file, have, expectedSize); lastReport = have; }
                    }
                }
                if (expectedSize is { } want && have < want)
                    throw new IOException($"connection closed after {have} of {want} bytes");
                break;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && e is not HubException && attempt < MaxAttempts && !ct.IsCancellationRequested)
            {
                await Task.Delay(RetryDelay * attempt, ct);   // then resume from what is on disk
            }
            catch (Exception e) when (e is IOException or HttpRequestException && e is not HubException)
            {
                throw new HubException($"{file.Path}: download failed after {attempt} attempts ({e.Message}); rerun to resume from {new FileInfo(partial).Length} bytes", inner: e);
            }
        }

        await Verify(file, partial, expectedSize, sha256, gitSha1, ct);
        File.Move(partial, target, overwrite: true);
        long final = new FileInfo(target).Length;
        progress?.Bytes?.Invoke(file, final, final);
        progress?.FileDone?.Invoke(file, false);
    }

    /// <summary>sha256 from the API, else a 64-hex X-Linked-Etag / ETag; a 40-hex ETag is git's blob sha1.</summary>
    static (string? Sha256, string? GitSha1) HashesFromHeaders(HttpResponseMessage r, string? sha256)
    {
        static string? Clean(string? etag) => etag?.Trim().TrimStart('W', '/').Trim('"').ToLowerInvariant();
        static bool Hex(string? s, int n) => s is not null && s.Length == n && s.All(Uri.IsHexDigit);
        string? linked = r.Headers.TryGetValues("X-Linked-Etag", out var l) ? Clean(l.FirstOrDefault()) : null;
        string? etag = Clean(r.Headers.ETag?.Tag);
        if (sha256 is null && Hex(linked, 64)) sha256 = linked;
        if (sha256 is null && Hex(etag, 64)) sha256 = etag;
        string? gitSha1 = sha256 is null && Hex(etag, 40) ? etag : null;
        return (sha256, gitSha1);
    }

    static async Task Verify(HubFile file, string partial, long? size, string? sha256, string? gitSha1, CancellationToken ct)
    {
        long have = new FileInfo(partial).Length;
        if (size is { } want && have != want)
        {
            File.Delete(partial);
            throw new HubException($"{file.Path}: size mismatch: expected {want} bytes, got {have}; the partial file was removed, rerun to download again");
        }
        string? actual = null, expected = null, kind = null;
        if (sha256 is not null) { kind = "sha256"; expected = sha256; actual = await Sha256Of(partial, ct); }
        else if (gitSha1 is not null) { kind = "git blob sha1"; expected = gitSha1; actual = await GitBlobSha1Of(partial, ct); }
        if (kind is not null && actual != expected)
        {
            File.Delete(partial);
            throw new HubException($"{file.Path}: {kind} mismatch: expected {expected}, got {actual}; the file is corrupt and was removed, rerun to download again");
        }
    }

    public static async Task<string> Sha256Of(string path, CancellationToken ct = default)
    {
        await using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(s, ct));
    }

    /// <summary>git's object id of a blob: sha1("blob {size}\0" + content).</summary>
    public static async Task<string> GitBlobSha1Of(string path, CancellationToken ct = default)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(Encoding.ASCII.GetBytes($"blob {new FileInfo(path).Length}\0"));
        await using var s = File.OpenRead(path);
        var buffer = new byte[1 << 16];
        int n;
        while ((n = await s.ReadAsync(buffer, ct)) > 0) sha.AppendData(buffer, 0, n);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Sends, turning connection failures into HubException with the endpoint named.</summary>
    async Task<HttpResponseMessage> Send(Func<HttpRequestMessage> request, CancellationToken ct, HttpCompletionOption option = HttpCompletionOption.ResponseContentRead)
    {
        using var r = request();
        try { return await http.SendAsync(r, option, ct); }
        catch (HttpRequestException e) when (e.InnerException is System.Net.Sockets.SocketException)
        {
            throw new HubException($"cannot reach {Endpoint}: {e.Message} (set --endpoint or HF_ENDPOINT for a mirror)", inner: e);
        }
    }

    public void Dispose() { if (ownsHttp) http.Dispose(); }
}
