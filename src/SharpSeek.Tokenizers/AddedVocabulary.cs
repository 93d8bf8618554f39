// Added tokens (`added_tokens` of tokenizer.json): found in the text before the model sees it, leftmost-longest,
// honouring lstrip / rstrip / single_word. Tokens with normalized=false are matched on the raw text, the others on
// the normalized text (the HF tokenizers order).
using System.Buffers;

namespace SharpSeek.Tokenizers;

public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);

/// <summary>A segment of text: either plain text [Start, Start+Length) or a matched added token.</summary>
public readonly record struct Segment(int Start, int Length, AddedToken? Token);

public sealed class AddedTokenMatcher
{
    readonly Dictionary<char, AddedToken[]> _byFirstChar = [];
    readonly SearchValues<char> _firstChars;

    public int Count { get; }

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        var list = tokens.Where(t => t.Content.Length > 0).ToList();
        Count = list.Count;
        foreach (var g in list.GroupBy(t => t.Content[0]))
            _byFirstChar[g.Key] = g.OrderByDescending(t => t.Content.Length).ToArray();
        _firstChars = SearchValues.Create(_byFirstChar.Keys.ToArray());
    }

    /// <summary>Splits <paramref name="text"/> into plain segments and added-token segments.</summary>
    public void Split(string text, List<Segment> output)
    {
        if (Count == 0) { if (text.Length > 0) output.Add(new Segment(0, text.Length, null)); return; }
        int plainStart = 0, i = 0;
        var span = text.AsSpan();
        while (i < text.Length)
        {
            int k = span[i..].IndexOfAny(_firstChars);
            if (k < 0) break;
            i += k;
            AddedToken? hit = null;
            foreach (var t in _byFirstChar[text[i]])
            {
                if (!span[i..].StartsWith(t.Content, StringComparison.Ordinal)) continue;
                if (t.SingleWord && !IsWordBoundary(text, i, i + t.Content.Length)) continue;
                hit = t;
                break;
            }
            if (hit == null) { i++; continue; }
            int start = i, end = i + hit.Content.Length;
            if (hit.LStrip) while (start > plainStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (hit.RStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > plainStart) output.Add(new Segment(plainStart, start - plainStart, null));
            output.Add(new Segment(start, end - start, hit));
            i = plainStart = end;
        }
        if (plainStart < text.Length) output.Add(new Segment(plainStart, text.Length - plainStart, null));
    }

    static bool IsWord(char c) => char.IsLetterOrDigit(c) || c == '_';

    static bool IsWordBoundary(string s, int start, int end) =>
        (start == 0 || !IsWord(s[start - 1])) && (end == s.Length || !IsWord(s[end]));
}
