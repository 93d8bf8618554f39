// Where one tensor lives: dtype, shape, file, and its byte range (Offset is absolute in the file).
namespace SharpSeek.Formats;

public sealed record TensorInfo(string Name, DType DType, long[] Shape, string File, long Offset, long Length)
{
    public long ElementCount => Length / DType.ElementSize();

    public string ShapeText => FormatShape(Shape);

    public static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}
