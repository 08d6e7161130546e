using System.Runtime.InteropServices;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Data;

/// <summary>
/// The bridge between numpy arrays (<see cref="NpyArray"/>, read and written by Sbi.Numpy without libtorch) and
/// TorchSharp tensors. Supported dtypes: float32, float64, int32, int64, bool.
/// </summary>
public static class NpyTensors
{
    // The dtypes both sides hold, in one table for both directions.
    private static readonly (NpyElementType? Npy, ScalarType? Torch)[] Types =
    {
        (NpyElementType.Float32, ScalarType.Float32),
        (NpyElementType.Float64, ScalarType.Float64),
        (NpyElementType.Int32, ScalarType.Int32),
        (NpyElementType.Int64, ScalarType.Int64),
        (NpyElementType.Bool, ScalarType.Bool),
    };

    /// <summary>A new CPU tensor with the array's shape and dtype (unicode arrays have no tensor form).</summary>
    public static Tensor ToTensor(this NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        var st = Types.FirstOrDefault(p => p.Npy == array.ElementType).Torch
            ?? throw new InvalidOperationException($"ToTensor: array has dtype {array.DType}; unicode arrays have no tensor form");
        var t = empty(array.Shape, st, CPU);
        // TorchSharp's setter copies from the span and never writes to it.
        var raw = array.RawBytes;
        if (raw.Length > 0) t.bytes = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(raw), raw.Length);
        return t;
    }

    /// <summary>A copy of the tensor (any device; made contiguous) as an array.</summary>
    public static NpyArray ToNpy(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var et = Types.FirstOrDefault(p => p.Torch == tensor.dtype).Npy
            ?? throw new ArgumentException($"tensor has dtype {tensor.dtype}; expected Float32, Float64, Int32, Int64 or Bool", nameof(tensor));
        using var c = tensor.detach().cpu().contiguous();
        byte[] bytes = c.numel() == 0 ? Array.Empty<byte>() : c.bytes.ToArray();
        return NpyArray.FromBytes(et, (long[])tensor.shape.Clone(), bytes);
    }
}
