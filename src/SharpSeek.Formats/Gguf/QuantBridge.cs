// The one seam between the GGUF layer and the quantization kernels (SharpSeek.Tensors.Quant).
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Gguf;

static class QuantBridge
{
    public static bool Supports(GgmlType type) => false;

    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination) =>
        throw new NotSupportedException($"{GgufTypes.Name(type)} dequantization is not available yet");

    public static void Quantize(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination) =>
        throw new NotSupportedException($"{GgufTypes.Name(type)} quantization is not available yet");
}
