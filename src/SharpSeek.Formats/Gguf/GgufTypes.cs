// GGUF's two type systems: metadata value types (gguf.h `enum gguf_type`) and tensor element types
// (ggml.h `enum ggml_type`) with their block geometry. Sizes are llama.cpp's ggml-common.h block structs.
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Gguf;

/// <summary>Metadata value types, numbered as in the GGUF spec.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

public static class GgufTypes
{
    /// <summary>Bytes of one scalar value; 0 for String and Array (variable length).</summary>
    public static int ScalarSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>The fewest bytes a value of this type can occupy in a file (a string is at least its u64 length,
    /// an array at least its u32 element type and u64 count): bounds counts before anything is allocated.</summary>
    public static int MinEncodedSize(GgufValueType type) => type switch
    {
        GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => ScalarSize(type),
    };

    public static bool IsValid(uint type) => type <= (uint)GgufValueType.Float64;

    // ggml type id → (name, elements per block, bytes per block). Ids 4, 5, 31–33, 36–38 were removed from ggml.
    static readonly (string Name, int Block, int Bytes)?[] Ggml = Build();

    static (string, int, int)?[] Build()
    {
        var t = new (string, int, int)?[43];
        t[0] = ("F32", 1, 4); t[1] = ("F16", 1, 2); t[2] = ("Q4_0", 32, 18); t[3] = ("Q4_1", 32, 20);
        t[6] = ("Q5_0", 32, 22); t[7] = ("Q5_1", 32, 24); t[8] = ("Q8_0", 32, 34); t[9] = ("Q8_1", 32, 36);
        t[10] = ("Q2_K", 256, 84); t[11] = ("Q3_K", 256, 110); t[12] = ("Q4_K", 256, 144); t[13] = ("Q5_K", 256, 176);
        t[14] = ("Q6_K", 256, 210); t[15] = ("Q8_K", 256, 292); t[16] = ("IQ2_XXS", 256, 66); t[17] = ("IQ2_XS", 256, 74);
        t[18] = ("IQ3_XXS", 256, 98); t[19] = ("IQ1_S", 256, 50); t[20] = ("IQ4_NL", 32, 18); t[21] = ("IQ3_S", 256, 110);
        t[22] = ("IQ2_S", 256, 82); t[23] = ("IQ4_XS", 256, 136); t[24] = ("I8", 1, 1); t[25] = ("I16", 1, 2);
        t[26] = ("I32", 1, 4); t[27] = ("I64", 1, 8); t[28] = ("F64", 1, 8); t[29] = ("IQ1_M", 256, 56);
        t[30] = ("BF16", 1, 2); t[34] = ("TQ1_0", 256, 54); t[35] = ("TQ2_0", 256, 66); t[39] = ("MXFP4", 32, 17);
        t[40] = ("NVFP4", 64, 36); t[41] = ("Q1_0", 128, 18); t[42] = ("Q2_0", 64, 18);
        return t;
    }

    public static bool IsKnown(GgmlType type) => (uint)type < (uint)Ggml.Length && Ggml[(int)type] is not null;

    public static string Name(GgmlType type) => IsKnown(type) ? Ggml[(int)type]!.Value.Name : $"type {(int)type}";

    /// <summary>Elements per quantization block (1 for plain floats).</summary>
    public static int BlockSize(GgmlType type) => IsKnown(type) ? Ggml[(int)type]!.Value.Block
        : throw new ArgumentException($"unknown ggml type id {(int)type}", nameof(type));

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgmlType type) => IsKnown(type) ? Ggml[(int)type]!.Value.Bytes
        : throw new ArgumentException($"unknown ggml type id {(int)type}", nameof(type));

    /// <summary>Bytes of `elements` values (a whole number of blocks), or -1 on overflow / partial block.</summary>
    public static long ByteCount(GgmlType type, long elements)
    {
        int block = BlockSize(type), bytes = BlockBytes(type);
        if (elements < 0 || elements % block != 0) return -1;
        long blocks = elements / block;
        return blocks > long.MaxValue / bytes ? -1 : blocks * bytes;
    }

    public static bool TryParse(string name, out GgmlType type)
    {
        for (int i = 0; i < Ggml.Length; i++)
            if (Ggml[i] is { } e && string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)) { type = (GgmlType)i; return true; }
        type = default;
        return false;
    }

    // llama_ftype (general.file_type): what most tensors are. 0 ALL_F32, 1 MOSTLY_F16, 2 Q4_0, 7 Q8_0, 14 Q4_K_S, 32 BF16.
    public static uint FileType(GgmlType mostly) => mostly switch
    {
        GgmlType.F32 => 0, GgmlType.F16 => 1, GgmlType.Q4_0 => 2, GgmlType.Q4_1 => 3, GgmlType.Q8_0 => 7,
        GgmlType.Q5_0 => 8, GgmlType.Q5_1 => 9, GgmlType.Q4_K => 14, GgmlType.Q6_K => 18, GgmlType.BF16 => 32,
        _ => throw new ArgumentException($"no llama_ftype for {Name(mostly)}", nameof(mostly)),
    };
}
