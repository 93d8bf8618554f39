// Token-by-token decoding for streaming output: bytes of a UTF-8 character split across tokens are held back until
// the character is complete, so Push never returns half a character, and the concatenation of every Push and the
// final Flush equals Tokenizer.Decode of the same ids (tested).
using System.Text;

namespace SharpSeek.Tokenizers;

public sealed class StreamingDecoder
{
    readonly Tokenizer _tok;
    readonly bool _skipSpecial;
    readonly List<byte> _pending = new(8);
    bool _first = true;

    internal StreamingDecoder(Tokenizer tok, bool skipSpecialTokens)
    {
        _tok = tok;
        _skipSpecial = skipSpecialTokens;
    }

    /// <summary>Adds one token; returns the text that is now complete (possibly empty).</summary>
    public string Push(int id)
    {
        if (!_tok.ValidId(id)) throw new TokenizerException($"token id {id} is out of range (vocab size {_tok.VocabSize})");
        if (_skipSpecial && _tok.IsSkippable(id)) return "";
        if (_tok.DecoderKind == DecoderKind.JoinWithSpace)
        {
            var t = (_first ? "" : " ") + _tok.IdToToken(id);
            _first = false;
            return t;
        }
        if (_tok.AddedOf(id) is { } added)
        {
            // an added token ends any pending partial character (the full decode replaces it with U+FFFD too)
            return Flush() + added.Content;
        }
        _pending.AddRange(_tok.BytesOf(id)!);
        int complete = CompletePrefix(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        if (complete == 0) return "";
        var s = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending)[..complete]);
        _pending.RemoveRange(0, complete);
        return s;
    }

    /// <summary>Returns whatever is pending (an incomplete character becomes U+FFFD) and resets.</summary>
    public string Flush()
    {
        if (_pending.Count == 0) return "";
        var s = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return s;
    }

    /// <summary>
    /// Length of the prefix that can be decoded now: everything except a trailing sequence that is a valid but
    /// incomplete start of a character (lead byte plus fewer continuation bytes than it announces).
    /// </summary>
    internal static int CompletePrefix(ReadOnlySpan<byte> b)
    {
        int n = b.Length;
        // look back at most 3 bytes for a lead byte
        for (int k = 1; k <= 3 && k <= n; k++)
        {
            byte c = b[n - k];
            if ((c & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 1;
            if (need <= k) return n; // complete (or not a lead byte at all)
            // hold back only if the bytes so far could still form a valid character
            if (k >= 2 && !ValidSecond(c, b[n - k + 1])) return n;
            return n - k;
        }
        return n;
    }

    // second-byte ranges of UTF-8 (Unicode Table 3-7): excludes overlongs and surrogates
    static bool ValidSecond(byte lead, byte second) => lead switch
    {
        0xE0 => second is >= 0xA0 and <= 0xBF,
        0xED => second is >= 0x80 and <= 0x9F,
        0xF0 => second is >= 0x90 and <= 0xBF,
        0xF4 => second is >= 0x80 and <= 0x8F,
        _ => second is >= 0x80 and <= 0xBF,
    };
}
