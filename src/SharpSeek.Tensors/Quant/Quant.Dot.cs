// Dot products of one weight row (any supported ggml type) with activations quantized on the fly, as llama.cpp
// does: Q8_0/Q4_0/Q5_0 weights meet Q8_0 activations, Q5_1 weights meet Q8_1 (Q8_0 plus s = d·Σq, which carries
// the min term), Q4_K/Q6_K weights meet Q8_K activations, float weights
// (F32/F16/BF16) meet f32 activations. Each kernel has a scalar reference (`DotReference`) and SIMD paths
// (Quant.Dot.*.cs) picked by `KernelPath`; tests run every path against the reference in one process.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors;

/// <summary>Which SIMD width the kernels use. Tests pin one; production code uses <see cref="Quant.BestPath"/>.</summary>
internal enum KernelPath { Scalar = 0, V128 = 1, V256 = 2, V512 = 3 }

public static partial class Quant
{
    /// <summary>The widest path this machine (and the DOTNET_Enable* switches) allows.</summary>
    internal static readonly KernelPath BestPath =
        Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? KernelPath.V512 :
        Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated ? KernelPath.V256 :
        Vector128.IsHardwareAccelerated ? KernelPath.V128 : KernelPath.Scalar;

    /// <summary>
    /// Whether the integer (quantized) kernels take their 512-bit form on the V512 path. AMD Zen 4 runs 512-bit
    /// ops as two 256-bit halves, so there the extra lane-crossing inserts make the 512-bit forms slower
    /// (cache-resident rows, one thread: Q8_0 21 vs 32 GB/s, Q4_K 17 vs 25); they use the 256-bit kernels there,
    /// while float rows keep 512 bits. Tests run the 512-bit integer kernels directly (<see cref="DotV512Int"/>).
    /// </summary>
    internal static readonly bool WideInt = !IsAmd();

    static bool IsAmd()
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        return ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163;   // "AuthenticAMD"
    }

    /// <summary>Path used by the public entry points; tests and benches may narrow it.</summary>
    internal static KernelPath Path { get; set; } = BestPath;

    /// <summary>A requested path narrowed to what the machine supports.</summary>
    internal static KernelPath Clamp(KernelPath p) => p > BestPath ? BestPath : p;

    /// <summary>Name of the path the kernels run on here (for logs, `info` and benches).</summary>
    public static string KernelPathName => Path switch
    {
        KernelPath.V512 => "AVX-512BW",
        KernelPath.V256 => AvxVnni.IsSupported ? "AVX2+AVX-VNNI" : "AVX2",
        KernelPath.V128 => "Vector128",
        _ => "scalar",
    };

    /// <summary>The activation type a row of <paramref name="weightType"/> is multiplied with.</summary>
    public static GgmlType ActivationType(GgmlType weightType) => weightType switch
    {
        GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 => GgmlType.Q8_0,
        GgmlType.Q5_1 => GgmlType.Q8_1,
        GgmlType.Q4_K or GgmlType.Q6_K => GgmlType.Q8_K,
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => GgmlType.F32,
        _ => throw Unsupported(weightType),
    };

    /// <summary>Bytes <see cref="QuantizeActivations"/> writes for n values.</summary>
    public static int ActivationBytes(GgmlType weightType, int n) => checked((int)RowBytes(ActivationType(weightType), n));

    /// <summary>x → the activation blocks that <see cref="Dot"/> pairs with a <paramref name="weightType"/> row.</summary>
    public static unsafe void QuantizeActivations(GgmlType weightType, ReadOnlySpan<float> x, Span<byte> xq)
    {
        var at = ActivationType(weightType);
        CheckSizes(at, xq.Length, x.Length, "the activation buffer");
        fixed (float* px = x)
        fixed (byte* q = xq)
            QuantizeActivations(at, px, q, x.Length);
    }

    internal static unsafe void QuantizeActivations(GgmlType activationType, float* x, byte* q, int n)
    {
        switch (activationType)
        {
            case GgmlType.Q8_0:
                if (Avx2.IsSupported) for (int b = 0; b < n / QK; b++) QuantizeQ8_0V256(x + b * QK, q + b * 34);
                else for (int b = 0; b < n / QK; b++) QuantizeQ8_0(x + b * QK, q + b * 34);
                break;
            case GgmlType.Q8_1:
                if (Avx2.IsSupported) for (int b = 0; b < n / QK; b++) QuantizeQ8_1V256(x + b * QK, q + b * 36);
                else for (int b = 0; b < n / QK; b++) QuantizeQ8_1(x + b * QK, q + b * 36);
                break;
            case GgmlType.Q8_K: for (int b = 0; b < n / QK_K; b++) QuantizeQ8_K(x + b * QK_K, q + b * 292); break;
            default: Buffer.MemoryCopy(x, q, (long)n * 4, (long)n * 4); break;
        }
    }

    /// <summary>Σ row·x over n values, x given as <see cref="QuantizeActivations"/> made it.</summary>
    public static float Dot(GgmlType weightType, ReadOnlySpan<byte> row, ReadOnlySpan<byte> xq, int n) =>
        Dot(weightType, row, xq, n, Path);

    /// <summary>Scalar reference of <see cref="Dot"/>: integer block sums, then blocks summed in order in f32.</summary>
    public static float DotReference(GgmlType weightType, ReadOnlySpan<byte> row, ReadOnlySpan<byte> xq, int n) =>
        Dot(weightType, row, xq, n, KernelPath.Scalar);

    internal static unsafe float Dot(GgmlType weightType, ReadOnlySpan<byte> row, ReadOnlySpan<byte> xq, int n, KernelPath path)
    {
        CheckSizes(weightType, row.Length, n, "the weight row");
        CheckSizes(ActivationType(weightType), xq.Length, n, "the activations");
        fixed (byte* w = row)
        fixed (byte* x = xq)
            return DotKernel(weightType, w, x, n, Clamp(path));
    }

    /// <summary>One row · activations on the given path; no argument checks (callers did them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float DotKernel(GgmlType t, byte* w, byte* x, int n, KernelPath path) => t switch
    {
        GgmlType.Q4_0 => path switch
        {
            KernelPath.V512 when WideInt => DotQ4_0V512(w, x, n / QK),
            KernelPath.V512 => DotQ4_0V256(w, x, n / QK),
            KernelPath.V256 => DotQ4_0V256(w, x, n / QK),
            KernelPath.V128 => DotQ4_0V128(w, x, n / QK),
            _ => DotQ4_0Ref(w, x, n / QK),
        },
        GgmlType.Q8_0 => path switch
        {
            KernelPath.V512 when WideInt => DotQ8_0V512(w, x, n / QK),
            KernelPath.V512 => DotQ8_0V256(w, x, n / QK),
            KernelPath.V256 => DotQ8_0V256(w, x, n / QK),
            KernelPath.V128 => DotQ8_0V128(w, x, n / QK),
            _ => DotQ8_0Ref(w, x, n / QK),
        },
        // Q5_0 / Q5_1 have no 512-bit kernels: V512 runs the 256-bit ones (as the V512 path does on AMD for all types).
        GgmlType.Q5_0 => path switch
        {
            KernelPath.V512 or KernelPath.V256 => DotQ5_0V256(w, x, n / QK),
            KernelPath.V128 => DotQ5_0V128(w, x, n / QK),
            _ => DotQ5_0Ref(w, x, n / QK),
        },
        GgmlType.Q5_1 => path switch
        {
            KernelPath.V512 or KernelPath.V256 => DotQ5_1V256(w, x, n / QK),
            KernelPath.V128 => DotQ5_1V128(w, x, n / QK),
            _ => DotQ5_1Ref(w, x, n / QK),
        },
        GgmlType.Q4_K => path switch
        {
            KernelPath.V512 when WideInt => DotQ4_KV512(w, x, n / QK_K),
            KernelPath.V512 => DotQ4_KV256(w, x, n / QK_K),
            KernelPath.V256 => DotQ4_KV256(w, x, n / QK_K),
            KernelPath.V128 => DotQ4_KV128(w, x, n / QK_K),
            _ => DotQ4_KRef(w, x, n / QK_K),
        },
        GgmlType.Q6_K => path switch
        {
            KernelPath.V512 when WideInt => DotQ6_KV512(w, x, n / QK_K),
            KernelPath.V512 => DotQ6_KV256(w, x, n / QK_K),
            KernelPath.V256 => DotQ6_KV256(w, x, n / QK_K),
            KernelPath.V128 => DotQ6_KV128(w, x, n / QK_K),
            _ => DotQ6_KRef(w, x, n / QK_K),
        },
        GgmlType.F32 => DotF32(w, (float*)x, n, path),
        GgmlType.F16 => DotF16(w, (float*)x, n, path),
        GgmlType.BF16 => DotBf16(w, (float*)x, n, path),
        _ => throw Unsupported(t),
    };

    /// <summary>The 512-bit integer kernels whatever <see cref="WideInt"/> says (for tests on AMD machines).</summary>
    internal static unsafe float DotV512Int(GgmlType t, ReadOnlySpan<byte> row, ReadOnlySpan<byte> xq, int n)
    {
        CheckSizes(t, row.Length, n, "the weight row");
        CheckSizes(ActivationType(t), xq.Length, n, "the activations");
        fixed (byte* w = row)
        fixed (byte* x = xq)
            return t switch
            {
                GgmlType.Q4_0 => DotQ4_0V512(w, x, n / QK),
                GgmlType.Q8_0 => DotQ8_0V512(w, x, n / QK),
                GgmlType.Q4_K => DotQ4_KV512(w, x, n / QK_K),
                GgmlType.Q6_K => DotQ6_KV512(w, x, n / QK_K),
                _ => throw Unsupported(t),
            };
    }

    // ---- scalar references (ggml ggml_vec_dot_*_generic) ----

    static unsafe float DotQ8_0Ref(byte* w, byte* x, int nb)
    {
        float sum = 0;
        for (int b = 0; b < nb; b++, w += 34, x += 34)
        {
            sbyte* qw = (sbyte*)(w + 2), qx = (sbyte*)(x + 2);
            int sumi = 0;
            for (int j = 0; j < QK; j++) sumi += qw[j] * qx[j];
            sum += sumi * (F16(w) * F16(x));
        }
        return sum;
    }

    static unsafe float DotQ4_0Ref(byte* w, byte* x, int nb)
    {
        float sum = 0;
        for (int b = 0; b < nb; b++, w += 18, x += 34)
        {
            byte* qw = w + 2;
            sbyte* qx = (sbyte*)(x + 2);
            int sumi = 0;
            for (int j = 0; j < QK / 2; j++)
                sumi += ((qw[j] & 0xF) - 8) * qx[j] + ((qw[j] >> 4) - 8) * qx[j + QK / 2];
            sum += sumi * (F16(w) * F16(x));
        }
        return sum;
    }

    // Q5_0 · Q8_0: block = d_w·d_x·Σ (q5 − 16)·x (ggml_vec_dot_q5_0_q8_0_generic).
    static unsafe float DotQ5_0Ref(byte* w, byte* x, int nb)
    {
        float sum = 0;
        for (int b = 0; b < nb; b++, w += 22, x += 34)
        {
            uint qh = *(uint*)(w + 2);
            byte* qw = w + 6;
            sbyte* qx = (sbyte*)(x + 2);
            int sumi = 0;
            for (int j = 0; j < QK / 2; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
                sumi += (((qw[j] & 0xF) | h0) - 16) * qx[j] + (((qw[j] >> 4) | h1) - 16) * qx[j + QK / 2];
            }
            sum += sumi * (F16(w) * F16(x));
        }
        return sum;
    }

    // Q5_1 · Q8_1: block = d_w·d_x·Σ q5·x + m·s, s = d_x·Σ x_q from the Q8_1 block (ggml_vec_dot_q5_1_q8_1_generic).
    static unsafe float DotQ5_1Ref(byte* w, byte* x, int nb)
    {
        float sum = 0;
        for (int b = 0; b < nb; b++, w += 24, x += 36)
        {
            uint qh = *(uint*)(w + 4);
            byte* qw = w + 8;
            sbyte* qx = (sbyte*)(x + 4);
            int sumi = 0;
            for (int j = 0; j < QK / 2; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
                sumi += ((qw[j] & 0xF) | h0) * qx[j] + ((qw[j] >> 4) | h1) * qx[j + QK / 2];
            }
            sum += F16(w) * F16(x) * sumi + F16(w + 2) * F16(x + 2);
        }
        return sum;
    }

    // Q4_K · Q8_K: block = dx·(d·Σ_j sc_j·Σ q·x − dmin·Σ_j m_j·Σ x), the Σ x taken from the Q8_K bsums.
    static unsafe float DotQ4_KRef(byte* w, byte* x, int nb)
    {
        float sum = 0;
        for (int b = 0; b < nb; b++, w += 144, x += 292)
        {
            byte* q = w + 16;
            sbyte* q8 = (sbyte*)(x + 4);
            short* bsums = (short*)(x + 260);
            int sumq = 0, summ = 0;
            for (int j = 0; j < 8; j++)
            {
                ScaleMinK4(j, w + 4, out int sc, out int m);
                byte* qq = q + (j / 2) * 32;
                int shift = (j & 1) * 4, s = 0;
                for (int l = 0; l < 32; l++) s += ((qq[l] >> shift) & 0xF) * q8[j * 32 + l];
                sumq += sc * s;
                summ += m * (bsums[2 * j] + bsums[2 * j + 1]);
            }
            float dx = *(float*)x;
            sum += dx * F16(w) * sumq - dx * F16(w + 2) * summ;
        }
        return sum;
    }

    // Q6_K · Q8_K: block = dx·d·Σ_g sc_g·Σ (q6 − 32)·x over 16 groups of 16.
    static unsafe float DotQ6_KRef(byte* w, byte* x, int nb)
    {
        float sum = 0;
        for (int b = 0; b < nb; b++, w += 210, x += 292)
        {
            sbyte* sc = (sbyte*)(w + 192);
            sbyte* q8 = (sbyte*)(x + 4);
            int sumi = 0;
            for (int h = 0; h < 2; h++)
            {
                byte* ql = w + 64 * h, qh = w + 128 + 32 * h;
                for (int l = 0; l < 32; l++)
                {
                    int g = 8 * h + l / 16;
                    int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0 & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2 & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32;
                    sbyte* xx = q8 + 128 * h + l;
                    sumi += sc[g] * q1 * xx[0] + sc[g + 2] * q2 * xx[32] + sc[g + 4] * q3 * xx[64] + sc[g + 6] * q4 * xx[96];
                }
            }
            sum += *(float*)x * F16(w + 208) * sumi;
        }
        return sum;
    }

    static unsafe float DotFloatRef(GgmlType t, byte* w, float* x, int n)
    {
        float sum = 0;
        for (int i = 0; i < n; i++)
        {
            float wi = t switch
            {
                GgmlType.F32 => ((float*)w)[i],
                GgmlType.F16 => F16Table[((ushort*)w)[i]],
                _ => BitConverter.UInt32BitsToSingle((uint)((ushort*)w)[i] << 16),
            };
            sum += wi * x[i];
        }
        return sum;
    }
}
