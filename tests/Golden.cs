// Golden logits written by tools/make_fixtures.py (golden.json beside each fixture model).
using System.Text.Json;

namespace SharpSeek.Tests;

/// <summary>LogitsIfBf16: v3-fp8 only, the logits when each dequantized FP8 weight is rounded to BF16 at load.</summary>
public sealed record Golden(int[] Ids, float[][] Logits, float[][]? MtpLogits, float[][]? LogitsIfBf16)
{
    public static Golden Read(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("models", model, "golden.json")));
        var root = doc.RootElement;
        float[][] Rows(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        return new Golden(
            root.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            Rows(root.GetProperty("logits")),
            root.TryGetProperty("mtp_logits", out var m) ? Rows(m) : null,
            root.TryGetProperty("logits_if_dequantized_to_bf16", out var b) ? Rows(b) : null);
    }

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"lengths differ: {a.Length} vs {b.Length}");
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
        return max;
    }
}
