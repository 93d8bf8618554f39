// DType: safetensors names and element sizes.
using SharpSeek.Formats;

namespace SharpSeek.Formats.Tests;

public class DTypeTests
{
    [Theory]
    [InlineData("F64", DType.F64, 8)] [InlineData("F32", DType.F32, 4)] [InlineData("F16", DType.F16, 2)]
    [InlineData("BF16", DType.BF16, 2)] [InlineData("F8_E4M3", DType.F8_E4M3, 1)] [InlineData("F8_E5M2", DType.F8_E5M2, 1)]
    [InlineData("I64", DType.I64, 8)] [InlineData("I32", DType.I32, 4)] [InlineData("I16", DType.I16, 2)]
    [InlineData("I8", DType.I8, 1)] [InlineData("U8", DType.U8, 1)] [InlineData("BOOL", DType.BOOL, 1)]
    public void Names_ParseAndRoundTrip(string name, DType dtype, int size)
    {
        Assert.True(DTypes.TryParse(name, out var parsed));
        Assert.Equal(dtype, parsed);
        Assert.Equal(name, dtype.SafetensorsName());
        Assert.Equal(size, dtype.ElementSize());
    }

    [Theory]
    [InlineData("bf16")]
    [InlineData("F4")]
    [InlineData("U16")]
    [InlineData("")]
    [InlineData("float32")]
    public void UnknownNames_DoNotParse(string name) => Assert.False(DTypes.TryParse(name, out _));
}
