// Native buffers a tensor source owns (the layout copies it makes at load), freed with it; and the one layout copy
// every source offers its projections: Q4_0/Q8_0/F16/BF16 interleaved for the kernels (Quant.Interleaves). The copy
// replaces the mapped rows, whose pages are handed back (madvise DONTNEED), so resident memory stays about the
// file's size.
using System.Runtime.InteropServices;
using SharpSeek.Model.Inference;
using SharpSeek.Tensors;

namespace SharpSeek.Model;

internal sealed unsafe class OwnedBuffers : IDisposable
{
    readonly List<nint> owned = [];

    /// <summary>Whether Interleaved makes the copy (default: yes, unless SHARPSEEK_LAYOUT=plain).</summary>
    public bool Interleave { get; set; } = Environment.GetEnvironmentVariable("SHARPSEEK_LAYOUT") != "plain";

    /// <summary>64-byte aligned, owned until Dispose.</summary>
    public byte* Alloc(long bytes)
    {
        var p = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
        owned.Add((nint)p);
        return p;
    }

    /// <summary>Frees p if it is owned here.</summary>
    public bool Free(byte* p)
    {
        if (!owned.Remove((nint)p)) return false;
        NativeMemory.AlignedFree(p);
        return true;
    }

    /// <summary>m interleaved into an owned copy when the kernels prefer its type and it can be (else m itself); the
    /// original's memory freed if owned, its mapped pages handed back if not.</summary>
    public WeightMatrix Interleaved(WeightMatrix m)
    {
        if (!Interleave || !Quant.Interleaves(m.Type)) return m;
        byte* to = Alloc(m.Bytes);
        if (!Quant.TryInterleave(m.Type, m.Data, m.Rows, m.Cols, new Span<byte>(to, checked((int)m.Bytes))))
        {
            Free(to);
            return m;
        }
        fixed (byte* from = m.Data)
            if (!Free(from)) Release(from, m.Bytes);
        return new WeightMatrix(m.Type, m.Rows, m.Cols, to, interleaved: true);
    }

    /// <summary>Drops the whole pages of a mapped range from this process (they are read again from the file if touched).</summary>
    static void Release(byte* p, long bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        long page = Environment.SystemPageSize, start = ((long)p + page - 1) & ~(page - 1), end = ((long)p + bytes) & ~(page - 1);
        if (end > start) _ = Madvise((nint)start, (nuint)(end - start), 4 /* MADV_DONTNEED */);
    }

    [DllImport("libc", EntryPoint = "madvise")]
    static extern int Madvise(nint addr, nuint length, int advice);

    public void Dispose()
    {
        foreach (var p in owned) NativeMemory.AlignedFree((void*)p);
        owned.Clear();
    }
}
