using NumSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.NumSharp;

/// <summary>
/// NumSharp <see cref="NDArray"/> ↔ TorchSharp <see cref="Tensor"/> for float32 and float64, in C and Fortran order,
/// sharing memory where the layout allows and copying once where it does not.
/// </summary>
/// <remarks>
/// <para><see cref="ToTensor(NDArray, bool)"/> shares the array's buffer (no copy; writes through either side show in the other)
/// exactly when <see cref="SharesMemory(NDArray)"/>: a live, writeable, non-empty array whose elements are dense in C
/// order (<c>Shape.IsContiguous</c>, also a contiguous slice such as <c>a["2:5"]</c>) or in Fortran order
/// (<c>Shape.IsFContiguous</c>; the tensor is then the transposed view of the reversed shape, strides as NumPy's).
/// Any other array (a strided or reversed slice, a broadcast, a read-only array, which libtorch could not keep from
/// writing) is copied once into a new C-order buffer that the tensor then owns.</para>
/// <para><see cref="ToNDArray(Tensor, bool)"/> shares the tensor's storage exactly when <see cref="SharesMemory(Tensor)"/>: a
/// non-empty CPU tensor dense in C or Fortran order (for instance <c>t.T</c> of a contiguous matrix). Otherwise it
/// copies once: a tensor on another device must be, because NumSharp's buffers are host memory; a strided CPU view is
/// made contiguous (libtorch's <c>contiguous()</c>) and that copy is shared.</para>
/// <para>Lifetimes are independent: the shared buffer stays alive while either side uses it. The tensor holds a
/// NumSharp view of the array that is released when libtorch frees the storage; the array holds a tensor alias
/// (outside every dispose scope) that is disposed when NumSharp releases the buffer. Disposing the original tensor
/// or array early is safe.</para>
/// <para>Other dtypes are refused with an <see cref="ArgumentException"/> naming the argument, the expected dtypes and
/// the actual one; the result's dtype is the input's (float64 stays float64).</para>
/// </remarks>
public static class NDArrayTensors
{
    /// <summary>
    /// The array as a CPU tensor of the same shape and dtype, sharing its buffer where <see cref="SharesMemory(NDArray)"/>,
    /// else a copy (see the class remarks). Like every TorchSharp factory, the tensor joins the current dispose scope.
    /// </summary>
    /// <param name="array">A float32 or float64 array.</param>
    /// <param name="copy">True for a copy even where the buffer could be shared.</param>
    /// <exception cref="ArgumentException">the dtype is not float32 or float64, or the array was disposed.</exception>
    public static Tensor ToTensor(this NDArray array, bool copy = false) => ToTensor(array, nameof(array), copy);

    /// <summary>As <see cref="ToTensor(NDArray, bool)"/>, with <paramref name="argument"/> named in errors.</summary>
    internal static unsafe Tensor ToTensor(NDArray array, string argument, bool copy = false)
    {
        var dtype = DTypes.Torch(array, argument);
        if (!copy && SharesMemory(array)) return Share(array, dtype);
        if (array.size == 0) return empty(array.shape.Select(d => (long)d).ToArray(), dtype, CPU);
        // NumSharp writes the C-order copy; the tensor takes it over, so the data is copied once.
        var dense = array.copy('C');
        try
        {
            return Share(dense, dtype);
        }
        finally
        {
            dense.Dispose(); // Share holds its own view
        }
    }

    /// <summary>Whether <see cref="ToTensor(NDArray, bool)"/> shares this array's buffer instead of copying it.</summary>
    /// <param name="array">Any array.</param>
    public static bool SharesMemory(NDArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.IsDisposed || array.size == 0 || !array.Shape.IsWriteable || array.Shape.IsBroadcasted) return false;
        if (array.typecode is not (NPTypeCode.Single or NPTypeCode.Double)) return false;
        return array.Shape.IsContiguous || array.Shape.IsFContiguous;
    }

    private static unsafe Tensor Share(NDArray array, ScalarType dtype)
    {
        var storage = array.Unsafe.Storage;
        var shape = array.Shape;
        var address = (IntPtr)(storage.Address + shape.Offset * array.dtypesize);
        long[] dims = shape.Dimensions.ToArray();
        bool fortran = !shape.IsContiguous;
        // The view is the tensor's reference on the buffer: the buffer outlives a Dispose of the caller's array.
        var keep = array.view();
        var blob = ForeignTensors.Wrap(address, fortran ? dims.Reverse().ToArray() : dims, dtype, keep.Dispose);
        if (!fortran) return blob;
        using (blob) return blob.permute(Enumerable.Range(0, dims.Length).Reverse().Select(i => (long)i).ToArray());
    }

    /// <summary>
    /// The tensor as an array of the same shape and dtype, sharing its storage where <see cref="SharesMemory(Tensor)"/>,
    /// else a copy (see the class remarks). Gradients are not tracked (the data of <c>tensor.detach()</c>).
    /// </summary>
    /// <param name="tensor">A float32 or float64 tensor on any device.</param>
    /// <param name="copy">True for a copy even where the storage could be shared.</param>
    /// <exception cref="ArgumentException">the dtype is not float32 or float64.</exception>
    public static NDArray ToNDArray(this Tensor tensor, bool copy = false) => ToNDArray(tensor, nameof(tensor), copy);

    /// <summary>As <see cref="ToNDArray(Tensor, bool)"/>, with <paramref name="argument"/> named in errors.</summary>
    internal static NDArray ToNDArray(Tensor tensor, string argument, bool copy = false)
    {
        var code = DTypes.NumSharp(tensor, argument);
        var shape = tensor.shape;
        if (tensor.numel() == 0) return np.zeros(new Shape(shape), code);
        // The alias is the array's reference on the storage, outside every dispose scope: disposing the caller's
        // tensor (or its scope) leaves the array's data alive.
        Tensor alias;
        using (var scope = NewDisposeScope())
        {
            var source = tensor.detach();
            if (copy || !SharesMemory(source)) source = source.cpu().contiguous().clone();
            alias = source.alias().DetachFromDisposeScope();
        }
        bool fortran = !alias.is_contiguous();
        long count = alias.numel(), bytes = count * alias.ElementSize;
        var flat = np.frombuffer(ForeignTensors.Data(alias), bytes, code, count, 0, alias.Dispose);
        try
        {
            if (!fortran) return flat.reshape(shape);
            using var reversed = flat.reshape(shape.Reverse().ToArray());
            return reversed.transpose(Enumerable.Range(0, shape.Length).Reverse().ToArray());
        }
        finally
        {
            flat.Dispose(); // the returned view holds the buffer
        }
    }

    /// <summary>Whether <see cref="ToNDArray(Tensor, bool)"/> shares this tensor's storage instead of copying it.</summary>
    /// <param name="tensor">Any tensor.</param>
    public static bool SharesMemory(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.device_type != DeviceType.CPU || tensor.numel() == 0) return false;
        if (tensor.dtype is not (ScalarType.Float32 or ScalarType.Float64)) return false;
        if (tensor.is_contiguous()) return true;
        using var reversed = tensor.permute(Enumerable.Range(0, (int)tensor.dim()).Reverse().Select(i => (long)i).ToArray());
        return reversed.is_contiguous();
    }
}
