// NFC / NFD / NFKC / NFKD over code points, from generated tables (UnicodeNormalizationData.g.cs).
// Written because the runtime runs with InvariantGlobalization, where string.Normalize leaves non-ASCII text unchanged.
using System.Text;

namespace SharpSeek.Tokenizers.Unicode;

public enum NormalizationForm { Nfc, Nfd, Nfkc, Nfkd }

public static class UnicodeNormalizer
{
    // Hangul syllable algorithm constants (Unicode §3.12).
    const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    static readonly Dictionary<int, int> DecompIndex = BuildDecompIndex();
    static readonly Dictionary<long, int> Compose = BuildCompose();
    static readonly HashSet<int> CompositionSeconds = [.. UnicodeNormalizationData.CompSecond.ToArray()];
    static readonly bool[] NfcInertBmp = BuildNfcInert();

    /// <summary>
    /// BMP characters NFC leaves alone whatever surrounds them: combining class 0, no canonical decomposition, and
    /// never the second half of a composition (Hangul jamo V/T included). A text of these (and of astral characters
    /// checked one by one) is returned unchanged without decomposing.
    /// </summary>
    static bool[] BuildNfcInert()
    {
        var t = new bool[0x10000];
        var seconds = CompositionSeconds;
        for (int c = 0; c < 0x10000; c++)
        {
            bool decomposes = (c >= SBase && c < SBase + SCount) || (DecompIndex.TryGetValue(c, out int idx) && (UnicodeNormalizationData.DecompInfo[idx] & 0x8000_0000u) == 0);
            bool jamoVT = (c >= VBase && c < VBase + VCount) || (c > TBase && c < TBase + TCount);
            t[c] = !decomposes && !jamoVT && !seconds.Contains(c) && CombiningClass(c) == 0 && !(c >= 0xD800 && c <= 0xDFFF);
        }
        return t;
    }

    static bool IsNfcInert(string s, int from)
    {
        for (int i = from; i < s.Length; i++)
        {
            char c = s[i];
            if (NfcInertBmp[c]) continue;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                int cp = char.ConvertToUtf32(c, s[i + 1]);
                if (CombiningClass(cp) != 0 || DecompIndex.ContainsKey(cp) || CompositionSeconds.Contains(cp)) return false;
                i++;
                continue;
            }
            return false;
        }
        return true;
    }

    static Dictionary<int, int> BuildDecompIndex()
    {
        var keys = UnicodeNormalizationData.DecompKeys;
        var d = new Dictionary<int, int>(keys.Length);
        for (int i = 0; i < keys.Length; i++) d[keys[i]] = i;
        return d;
    }

    static Dictionary<long, int> BuildCompose()
    {
        var f = UnicodeNormalizationData.CompFirst;
        var s = UnicodeNormalizationData.CompSecond;
        var r = UnicodeNormalizationData.CompResult;
        var d = new Dictionary<long, int>(f.Length);
        for (int i = 0; i < f.Length; i++) d[((long)f[i] << 21) | (uint)s[i]] = r[i];
        return d;
    }

    public static int CombiningClass(int cp)
    {
        if (cp < 0x300) return 0;
        var starts = UnicodeNormalizationData.CccStart;
        int lo = 0, hi = starts.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            if (starts[mid] > cp) hi = mid - 1;
            else if (UnicodeNormalizationData.CccEnd[mid] < cp) lo = mid + 1;
            else return UnicodeNormalizationData.CccValue[mid];
        }
        return 0;
    }

    /// <summary>Normalizes <paramref name="s"/>; returns the same instance when nothing changes.</summary>
    public static string Normalize(string s, NormalizationForm form)
    {
        // Fast path: nothing below U+0300 decomposes to something that recomposes differently under NFC,
        // and nothing below U+00A0 has any decomposition at all.
        int limit = form == NormalizationForm.Nfc ? 0x300 : 0xA0;
        int i0 = 0;
        while (i0 < s.Length && s[i0] < limit) i0++;
        if (i0 == s.Length) return s;
        if (form == NormalizationForm.Nfc && IsNfcInert(s, i0)) return s;

        bool compat = form is NormalizationForm.Nfkc or NormalizationForm.Nfkd;
        bool compose = form is NormalizationForm.Nfc or NormalizationForm.Nfkc;
        var cps = new List<int>(s.Length + 8);
        for (int i = 0; i < s.Length;)
        {
            int cp = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])
                ? char.ConvertToUtf32(s[i], s[i + 1]) : s[i];
            i += cp > 0xFFFF ? 2 : 1;
            Decompose(cp, compat, cps);
        }
        CanonicalOrder(cps);
        if (compose) ComposeInPlace(cps);
        var sb = new StringBuilder(cps.Count + 8);
        foreach (var cp in cps)
        {
            if (cp > 0xFFFF) sb.Append(char.ConvertFromUtf32(cp)); else sb.Append((char)cp);
        }
        var result = sb.ToString();
        return result == s ? s : result;
    }

    static void Decompose(int cp, bool compat, List<int> output)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            int si = cp - SBase;
            output.Add(LBase + si / NCount);
            output.Add(VBase + si % NCount / TCount);
            int t = TBase + si % TCount;
            if (t != TBase) output.Add(t);
            return;
        }
        if (cp < 0xA0 || !DecompIndex.TryGetValue(cp, out int idx)) { output.Add(cp); return; }
        uint info = UnicodeNormalizationData.DecompInfo[idx];
        bool isCompat = (info & 0x8000_0000u) != 0;
        if (isCompat && !compat) { output.Add(cp); return; }
        int len = (int)((info >> 24) & 0x7F), off = (int)(info & 0xFFFFFF);
        var data = UnicodeNormalizationData.DecompData;
        for (int k = 0; k < len; k++) Decompose(data[off + k], compat, output);
    }

    static void CanonicalOrder(List<int> cps)
    {
        // Stable insertion sort of each run of non-starters by combining class.
        for (int i = 1; i < cps.Count; i++)
        {
            int c = CombiningClass(cps[i]);
            if (c == 0) continue;
            int j = i;
            var cp = cps[i];
            while (j > 0)
            {
                int pc = CombiningClass(cps[j - 1]);
                if (pc <= c || pc == 0) break;
                cps[j] = cps[j - 1];
                j--;
            }
            cps[j] = cp;
        }
    }

    static void ComposeInPlace(List<int> cps)
    {
        if (cps.Count == 0) return;
        int starterPos = -1;
        int lastClass = -1;
        int write = 0;
        for (int read = 0; read < cps.Count; read++)
        {
            int cp = cps[read];
            int cc = CombiningClass(cp);
            // C composes with the last starter S unless blocked: some kept character between them has class 0 or >= C's.
            if (starterPos >= 0 && (write - 1 == starterPos || lastClass < cc))
            {
                int composite = TryCompose(cps[starterPos], cp);
                if (composite >= 0) { cps[starterPos] = composite; continue; }
            }
            if (cc == 0) { starterPos = write; lastClass = 0; }
            else lastClass = cc;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    static int TryCompose(int a, int b)
    {
        // Hangul LV and LVT.
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
            return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
            return a + (b - TBase);
        return Compose.TryGetValue(((long)a << 21) | (uint)b, out int r) ? r : -1;
    }
}
