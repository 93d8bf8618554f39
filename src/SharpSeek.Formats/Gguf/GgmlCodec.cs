// f32 ↔ ggml tensor bytes for the GGUF reader and writer: plain floats here, quantized blocks through the
// kernels' SharpSeek.Tensors.Quant (Quantize / Dequantize), so the file layer owns no quantization math.
using System.Runtime.InteropServices;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Gguf;

public static class GgmlCodec
{
    static readonly GgmlType[] Plain = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, (GgmlType)28 /* F64 */];
    static readonly GgmlType[] Quantized = [GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q8_K];

    /// <summary>Types ReadFloat32 decodes.</summary>
    public static bool CanDecode(GgmlType type) => Plain.Contains(type) || QuantSupports(type);

    /// <summary>Types the writer can produce from f32.</summary>
    public static bool CanEncode(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 || QuantSupports(type);

    public static string DecodableNames =>
        string.Join(", ", Plain.Concat(Quantized).Where(CanDecode).Select(GgufTypes.Name));

    static bool QuantSupports(GgmlType type) => QuantBridge.Supports(type);

    /// <summary>source: whole blocks of `type`; destination: their elements.</summary>
    public static void Decode(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); break;
            case GgmlType.F16: Dtypes.F16ToF32(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
            case GgmlType.BF16: Dtypes.Bf16ToF32(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
            case (GgmlType)28:
                var d = MemoryMarshal.Cast<byte, double>(source);
                for (int i = 0; i < d.Length; i++) destination[i] = (float)d[i];
                break;
            default: QuantBridge.Dequantize(type, source, destination); break;
        }
    }

    /// <summary>source: a whole number of blocks' elements; destination: exactly their bytes.</summary>
    public static void Encode(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.AsBytes(source).CopyTo(destination); break;
            case GgmlType.F16: Dtypes.F32ToF16(source, MemoryMarshal.Cast<byte, ushort>(destination)); break;
            case GgmlType.BF16: Dtypes.F32ToBf16(source, MemoryMarshal.Cast<byte, ushort>(destination)); break;
            default: QuantBridge.Quantize(type, source, destination); break;
        }
    }

    /// <summary>f32 values [rows, cols] (row-major) → bytes of `type`; cols must be a multiple of the block size.</summary>
    public static byte[] Encode(GgmlType type, ReadOnlySpan<float> source)
    {
        long bytes = GgufTypes.ByteCount(type, source.Length);
        if (bytes < 0) throw new ArgumentException($"{source.Length} values are not whole {GgufTypes.Name(type)} blocks of {GgufTypes.BlockSize(type)}");
        var result = new byte[bytes];
        Encode(type, source, result);
        return result;
    }
}
