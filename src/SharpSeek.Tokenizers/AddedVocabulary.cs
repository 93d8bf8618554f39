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
    // character trie over the token contents; a node's Tokens are those ending there
    sealed class TrieNode
    {
        public readonly Dictionary<char, TrieNode> Next = [];
        public AddedToken? Token;
    }

    readonly TrieNode _root = new();
    readonly SearchValues<char> _firstChars;

    public int Count { get; }

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        var list = tokens.Where(t => t.Content.Length > 0).ToList();
        Count = list.Count;
        foreach (var t in list)
        {
            var node = _root;
            foreach (char c in t.Content)
            {
                if (!node.Next.TryGetValue(c, out var n)) node.Next[c] = n = new TrieNode();
                node = n;
            }
            node.Token ??= t; // first definition wins on duplicates
        }
        _firstChars = SearchValues.Create(_root.Next.Keys.ToArray());
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
            // longest token starting at i (that satisfies single_word)
            AddedToken? hit = null;
            var node = _root;
            for (int j = i; j < text.Length && node.Next.TryGetValue(text[j], out node); j++)
                if (node.Token is { } t && (!t.SingleWord || IsWordBoundary(text, i, j + 1))) hit = t;
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
