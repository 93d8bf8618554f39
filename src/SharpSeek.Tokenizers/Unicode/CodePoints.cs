// Code-point classification used by the pre-tokenizer fast paths: one flags byte per BMP character, computed once,
// and CharUnicodeInfo for the astral planes. Whitespace is Unicode White_Space (what Oniguruma's and Rust's \s mean).
using System.Globalization;
using System.Runtime.CompilerServices;

namespace SharpSeek.Tokenizers.Unicode;

[Flags]
public enum CpFlags : byte
{
    None = 0,
    Letter = 1,       // \p{L}
    Number = 2,       // \p{N}
    Mark = 4,         // \p{M}
    Punct = 8,        // \p{P}
    Symbol = 16,      // \p{S}
    Space = 32,       // \s  (White_Space)
    CrLf = 64,        // \r or \n
}

public static class CodePoints
{
    static readonly CpFlags[] Bmp = BuildBmp();

    static CpFlags[] BuildBmp()
    {
        var t = new CpFlags[0x10000];
        for (int c = 0; c < 0x10000; c++) t[c] = Compute(c);
        return t;
    }

    public static CpFlags Compute(int cp)
    {
        if (cp >= 0xD800 && cp <= 0xDFFF) return CpFlags.None; // lone surrogate: category Cs
        var f = FromCategory(CharUnicodeInfo.GetUnicodeCategory(cp));
        if (IsWhiteSpace(cp)) f |= CpFlags.Space;
        if (cp == '\r' || cp == '\n') f |= CpFlags.CrLf;
        return f;
    }

    /// <summary>Unicode White_Space: U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.</summary>
    public static bool IsWhiteSpace(int cp) => cp <= 0xFFFF && char.IsWhiteSpace((char)cp);

    public static CpFlags FromCategory(UnicodeCategory c) => c switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CpFlags.Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CpFlags.Number,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CpFlags.Mark,
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => CpFlags.Punct,
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
            or UnicodeCategory.OtherSymbol => CpFlags.Symbol,
        _ => CpFlags.None,
    };

    /// <summary>Flags of the code point at <paramref name="i"/>; <paramref name="width"/> is 1 or 2 UTF-16 units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CpFlags At(ReadOnlySpan<char> s, int i, out int width)
    {
        char c = s[i];
        if (!char.IsHighSurrogate(c) || i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
        {
            width = 1;
            return Bmp[c];
        }
        width = 2;
        return FromCategory(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, s[i + 1])));
    }
}
