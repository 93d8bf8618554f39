// One GGUF metadata value: a scalar, a string, or an array of one element type (arrays may nest).
// Scalars are kept as their exact .NET type so a file written back carries the same types it was read with.
using System.Globalization;

namespace SharpSeek.Formats.Gguf;

public sealed class GgufValue
{
    public GgufValueType Type { get; }
    /// <summary>byte, sbyte, ushort, short, uint, int, float, bool, string, ulong, long, double, or GgufArray.</summary>
    public object Raw { get; }

    GgufValue(GgufValueType type, object raw) { Type = type; Raw = raw; }

    public static GgufValue U8(byte v) => new(GgufValueType.UInt8, v);
    public static GgufValue I8(sbyte v) => new(GgufValueType.Int8, v);
    public static GgufValue U16(ushort v) => new(GgufValueType.UInt16, v);
    public static GgufValue I16(short v) => new(GgufValueType.Int16, v);
    public static GgufValue U32(uint v) => new(GgufValueType.UInt32, v);
    public static GgufValue I32(int v) => new(GgufValueType.Int32, v);
    public static GgufValue F32(float v) => new(GgufValueType.Float32, v);
    public static GgufValue Bool(bool v) => new(GgufValueType.Bool, v);
    public static GgufValue String(string v) => new(GgufValueType.String, v ?? throw new ArgumentNullException(nameof(v)));
    public static GgufValue U64(ulong v) => new(GgufValueType.UInt64, v);
    public static GgufValue I64(long v) => new(GgufValueType.Int64, v);
    public static GgufValue F64(double v) => new(GgufValueType.Float64, v);
    public static GgufValue Array(GgufArray v) => new(GgufValueType.Array, v);

    public static GgufValue Strings(IReadOnlyList<string> items) => Array(new GgufArray(GgufValueType.String, items.ToArray()));
    public static GgufValue Int32s(IReadOnlyList<int> items) => Array(new GgufArray(GgufValueType.Int32, items.ToArray()));
    public static GgufValue Float32s(IReadOnlyList<float> items) => Array(new GgufArray(GgufValueType.Float32, items.ToArray()));

    /// <summary>Builds a scalar value of `type` from a boxed value of the matching .NET type.</summary>
    internal static GgufValue Scalar(GgufValueType type, object raw) => new(type, raw);

    public bool IsInteger => Type is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16 or GgufValueType.Int16
        or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>Any integer type as long (u64 above long.MaxValue is an error); bools are not integers here.</summary>
    public long AsInt64() => Raw switch
    {
        byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => throw new InvalidCastException($"{Type} value {this} is not an integer"),
    };

    /// <summary>Float32, Float64 or any integer type as double.</summary>
    public double AsDouble() => Raw switch
    {
        float v => v, double v => v,
        _ when IsInteger => AsInt64(),
        _ => throw new InvalidCastException($"{Type} value {this} is not a number"),
    };

    public bool AsBool() => Raw is bool b ? b : throw new InvalidCastException($"{Type} value {this} is not a bool");
    public string AsString() => Raw as string ?? throw new InvalidCastException($"{Type} value is not a string");
    public GgufArray AsArray() => Raw as GgufArray ?? throw new InvalidCastException($"{Type} value is not an array");

    public override string ToString() => Raw switch
    {
        string s => s.Length > 60 ? $"\"{s[..57]}…\"" : $"\"{s}\"",
        GgufArray a => a.ToString(),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(Raw, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>
/// An array value: ElementType plus Items, a typed array (string[], int[], float[], … or GgufArray[] for nested arrays).
/// </summary>
public sealed class GgufArray
{
    public GgufValueType ElementType { get; }
    public System.Array Items { get; }
    public int Count => Items.Length;

    public GgufArray(GgufValueType elementType, System.Array items)
    {
        var expected = elementType switch
        {
            GgufValueType.UInt8 => typeof(byte[]), GgufValueType.Int8 => typeof(sbyte[]),
            GgufValueType.UInt16 => typeof(ushort[]), GgufValueType.Int16 => typeof(short[]),
            GgufValueType.UInt32 => typeof(uint[]), GgufValueType.Int32 => typeof(int[]),
            GgufValueType.Float32 => typeof(float[]), GgufValueType.Bool => typeof(bool[]),
            GgufValueType.String => typeof(string[]), GgufValueType.Array => typeof(GgufArray[]),
            GgufValueType.UInt64 => typeof(ulong[]), GgufValueType.Int64 => typeof(long[]),
            GgufValueType.Float64 => typeof(double[]),
            _ => throw new ArgumentException($"invalid element type {elementType}", nameof(elementType)),
        };
        if (items.GetType() != expected)
            throw new ArgumentException($"a {elementType} array needs items of type {expected.Name}, got {items.GetType().Name}", nameof(items));
        ElementType = elementType;
        Items = items;
    }

    public string[] AsStrings() => Items as string[] ?? throw new InvalidCastException($"array of {ElementType} is not an array of strings");

    /// <summary>Integer elements of any integer type as longs.</summary>
    public long[] AsInt64s()
    {
        var result = new long[Items.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = Items.GetValue(i) switch
            {
                byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, long v => v,
                ulong v when v <= long.MaxValue => (long)v,
                var other => throw new InvalidCastException($"array of {ElementType} element {i} ({other}) is not an integer"),
            };
        return result;
    }

    public float[] AsFloat32s()
    {
        if (Items is float[] f) return f;
        if (Items is double[] d) return d.Select(x => (float)x).ToArray();
        return AsInt64s().Select(x => (float)x).ToArray();
    }

    public override string ToString() =>
        $"[{ElementType} × {Count}: " + string.Join(", ", Items.Cast<object>().Take(4).Select(x => x is string s ? $"\"{s}\"" : x?.ToString()))
        + (Count > 4 ? ", …]" : "]");
}
