// tokenizer.json `normalizer` components: NFC, NFD, NFKC, NFKD, Lowercase, Strip, Replace (string or regex), Prepend, Sequence.
using System.Text.RegularExpressions;
using SharpSeek.Tokenizers.Unicode;

namespace SharpSeek.Tokenizers;

public abstract class Normalizer
{
    public abstract string Normalize(string text);
}

public sealed class UnicodeFormNormalizer(NormalizationForm form) : Normalizer
{
    public NormalizationForm Form { get; } = form;
    public override string Normalize(string text) => UnicodeNormalizer.Normalize(text, Form);
}

public sealed class SequenceNormalizer(IReadOnlyList<Normalizer> steps) : Normalizer
{
    public IReadOnlyList<Normalizer> Steps { get; } = steps;

    public override string Normalize(string text)
    {
        foreach (var n in Steps) text = n.Normalize(text);
        return text;
    }
}

public sealed class PrependNormalizer(string prepend) : Normalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prepend + text;
}

public sealed class LowercaseNormalizer : Normalizer
{
    public override string Normalize(string text) => text.ToLowerInvariant();
}

public sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override string Normalize(string text) =>
        left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;
}

/// <summary>Replace every match of a literal string or a regex (translated to code-point classes) with <c>content</c>.</summary>
public sealed class ReplaceNormalizer : Normalizer
{
    readonly string? _literal;
    readonly Regex? _regex;
    readonly string _content;

    public ReplaceNormalizer(string? literal, string? regex, string content)
    {
        _literal = literal;
        _content = content;
        if (regex != null)
            _regex = new Regex(new PreTokenization.CodePointRegex(regex).Translated, RegexOptions.CultureInvariant);
    }

    public override string Normalize(string text)
    {
        if (_literal != null) return _literal.Length == 0 ? text : text.Replace(_literal, _content, StringComparison.Ordinal);
        return _regex!.Replace(text, _content.Replace("$", "$$"));
    }
}
