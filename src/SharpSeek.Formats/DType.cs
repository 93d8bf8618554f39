// Element types of safetensors tensors, their sizes, and their names in the safetensors header.
namespace SharpSeek.Formats;

public enum DType { F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U8, BOOL }

public static class DTypes
{
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.F64 or DType.I64 => 8,
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 or DType.I16 => 2,
        DType.F8_E4M3 or DType.F8_E5M2 or DType.I8 or DType.U8 or DType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    // The header spelling is the enum name ("BF16", "F8_E4M3", …), matched exactly as the Rust crate does.
    public static string SafetensorsName(this DType dtype) => dtype.ToString();

    public static bool TryParse(string name, out DType dtype)
    {
        foreach (var candidate in Enum.GetValues<DType>())
            if (string.Equals(candidate.ToString(), name, StringComparison.Ordinal)) { dtype = candidate; return true; }
        dtype = default;
        return false;
    }

    public static string SupportedNames => string.Join(", ", Enum.GetNames<DType>());
}
