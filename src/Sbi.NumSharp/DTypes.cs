using NumSharp;
using static TorchSharp.torch;

namespace Sbi.NumSharp;

/// <summary>The two dtypes the bridge carries, and the error for any other, naming the argument.</summary>
internal static class DTypes
{
    private const string Expected = "expected float32 or float64";

    public static ScalarType Torch(NDArray array, string argument)
    {
        ArgumentNullException.ThrowIfNull(array, argument);
        if (array.IsDisposed) throw new ArgumentException($"{argument} is a disposed NDArray", argument);
        return array.typecode switch
        {
            NPTypeCode.Single => ScalarType.Float32,
            NPTypeCode.Double => ScalarType.Float64,
            _ => throw new ArgumentException($"{argument} has dtype {Describe(array.typecode)}, shape ({string.Join(", ", array.shape)}); {Expected}", argument),
        };
    }

    public static NPTypeCode NumSharp(Tensor tensor, string argument)
    {
        ArgumentNullException.ThrowIfNull(tensor, argument);
        return tensor.dtype switch
        {
            ScalarType.Float32 => NPTypeCode.Single,
            ScalarType.Float64 => NPTypeCode.Double,
            _ => throw new ArgumentException($"{argument} has dtype {tensor.dtype}, shape ({string.Join(", ", tensor.shape)}); {Expected}", argument),
        };
    }

    // numpy's names, which NDArray users know (NPTypeCode.Int32 prints as "Int32", not numpy's "int32").
    private static string Describe(NPTypeCode code) => code switch
    {
        NPTypeCode.Boolean => "bool",
        NPTypeCode.Byte => "uint8",
        NPTypeCode.Int16 => "int16",
        NPTypeCode.UInt16 => "uint16",
        NPTypeCode.Int32 => "int32",
        NPTypeCode.UInt32 => "uint32",
        NPTypeCode.Int64 => "int64",
        NPTypeCode.UInt64 => "uint64",
        NPTypeCode.Half => "float16",
        _ => code.ToString(),
    };
}
