// Dtypes: conversions between the storage dtypes of checkpoints (bf16, f16, fp8 e4m3) and f32, plus the
// FP8 block dequantization of DeepSeek-V3. Each op has a scalar reference (`...Scalar`) and a SIMD fast
// path (Vector512 → Vector256 → Vector128, scalar tail) picked at run time; tests hold one to the other.
// Not here: quantized GEMM formats (Q8_0, Q4_K…), which live beside their kernels.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

[assembly: InternalsVisibleTo("SharpSeek.Formats.Tests")]

namespace SharpSeek.Tensors;

public static partial class Dtypes
{
    // Which vector width the public span conversions use on this machine (for logs and `info`).
    public static int VectorBits =>
        Vector512.IsHardwareAccelerated ? 512 :
        Vector256.IsHardwareAccelerated ? 256 :
        Vector128.IsHardwareAccelerated ? 128 : 0;

    static void CheckDestination(int sourceLength, int destinationLength)
    {
        if (destinationLength < sourceLength)
            throw new ArgumentException(
                $"destination holds {destinationLength} elements but the source has {sourceLength}", "destination");
    }
}
