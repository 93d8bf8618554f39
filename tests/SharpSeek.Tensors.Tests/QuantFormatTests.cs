// Block sizes, row sizes and argument errors of the ggml formats.
using SharpSeek.Tensors;

namespace SharpSeek.Tensors.Tests;

public class QuantFormatTests
{
    [Theory]
    [InlineData(GgmlType.F32, 1, 4)]
    [InlineData(GgmlType.F16, 1, 2)]
    [InlineData(GgmlType.BF16, 1, 2)]
    [InlineData(GgmlType.Q8_0, 32, 34)]
    [InlineData(GgmlType.Q4_0, 32, 18)]
    [InlineData(GgmlType.Q5_0, 32, 22)]
    [InlineData(GgmlType.Q5_1, 32, 24)]
    [InlineData(GgmlType.Q8_1, 32, 36)]
    [InlineData(GgmlType.Q4_K, 256, 144)]
    [InlineData(GgmlType.Q6_K, 256, 210)]
    [InlineData(GgmlType.Q8_K, 256, 292)]
    public void Sizes_match_ggml(GgmlType t, int block, int bytes)
    {
        Assert.Equal(block, Quant.BlockSize(t));
        Assert.Equal(bytes, Quant.BlockBytes(t));
        Assert.Equal(bytes * 3L, Quant.RowBytes(t, 3L * block));
    }

    [Fact]
    public void Row_sizes_must_be_whole_blocks()
    {
        var e = Assert.Throws<ArgumentException>(() => Quant.RowBytes(GgmlType.Q4_K, 100));
        Assert.Contains("multiple of 256", e.Message);
        Assert.Throws<NotSupportedException>(() => Quant.BlockSize(GgmlType.Q4_1));
        Assert.Throws<ArgumentException>(() => Quant.Dequantize(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.Throws<ArgumentException>(() => Quant.Quantize(GgmlType.Q4_0, new float[32], new byte[17]));
        Assert.Throws<ArgumentException>(() => Quant.Dot(GgmlType.Q4_0, new byte[18], new byte[18], 32));
    }

    [Fact]
    public void Activation_types_follow_llama_cpp()
    {
        Assert.Equal(GgmlType.Q8_0, Quant.ActivationType(GgmlType.Q4_0));
        Assert.Equal(GgmlType.Q8_0, Quant.ActivationType(GgmlType.Q8_0));
        Assert.Equal(GgmlType.Q8_0, Quant.ActivationType(GgmlType.Q5_0));   // ggml type_traits_cpu vec_dot_type
        Assert.Equal(GgmlType.Q8_1, Quant.ActivationType(GgmlType.Q5_1));
        Assert.Equal(36 * 4, Quant.ActivationBytes(GgmlType.Q5_1, 128));
        Assert.Equal(GgmlType.Q8_K, Quant.ActivationType(GgmlType.Q4_K));
        Assert.Equal(GgmlType.Q8_K, Quant.ActivationType(GgmlType.Q6_K));
        Assert.Equal(GgmlType.F32, Quant.ActivationType(GgmlType.BF16));
        Assert.Equal(292 * 2, Quant.ActivationBytes(GgmlType.Q6_K, 512));
    }

    [Fact]
    public void Nearest_int_rounds_half_to_even_like_ggml()
    {
        Assert.Equal(2, Quant.NearestInt(2.5f));
        Assert.Equal(4, Quant.NearestInt(3.5f));
        Assert.Equal(-2, Quant.NearestInt(-2.5f));
        Assert.Equal(-3, Quant.NearestInt(-2.6f));
        Assert.Equal(0, Quant.NearestInt(0.49f));
    }
}
