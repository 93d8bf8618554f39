// The one seam between the GGUF layer and the quantization kernels (SharpSeek.Tensors.Quant, bit-exact with ggml).
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Gguf;

static class QuantBridge
{
    public static bool Supports(GgmlType type) =>
        type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16) && Quant.IsSupported(type);

    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination) =>
        Quant.Dequantize(type, source, destination);

    public static void Quantize(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination) =>
        Quant.Quantize(type, source, destination);
}
