using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.NumSharp;

/// <summary>
/// Tensors over memory another library owns, and the data pointer of a CPU tensor. TorchSharp's public factories
/// only pin managed arrays (NumSharp's buffers are unmanaged), and it keeps its data accessor internal, so this calls
/// the two LibTorchSharp entry points TorchSharp's own factories call: <c>THSTensor_new</c> (libtorch's
/// <c>torch::from_blob</c> with a deleter, which libtorch runs when the last tensor on the storage is freed) and
/// <c>THSTensor_data</c>.
/// </summary>
internal static unsafe class ForeignTensors
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void Deleter(IntPtr data);

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_new(IntPtr data, Deleter deleter, long* sizes, int ndim, sbyte type, sbyte dtype,
                                               int deviceType, int deviceIndex, [MarshalAs(UnmanagedType.U1)] bool requiresGrad);

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr tensor);

    // Native code holds only a function pointer: the delegate (and the release it runs) must stay reachable until then.
    private static readonly ConcurrentDictionary<Deleter, Action> Pending = new();

    /// <summary>Deleters libtorch has not run yet (one per live foreign storage); for the tests' leak checks.</summary>
    internal static int PendingCount => Pending.Count;

    /// <summary>
    /// A contiguous CPU tensor of <paramref name="sizes"/> over <paramref name="data"/>; <paramref name="release"/> runs
    /// once, when libtorch frees the storage (or at once if the tensor cannot be made).
    /// </summary>
    public static Tensor Wrap(IntPtr data, long[] sizes, ScalarType dtype, Action release)
    {
        InitializeDeviceType(DeviceType.CPU); // TorchSharp loads libtorch and LibTorchSharp before the first call below
        Deleter deleter = null!;
        deleter = _ =>
        {
            if (Pending.TryRemove(deleter, out var r)) r();
        };
        Pending[deleter] = release;
        IntPtr handle;
        fixed (long* s = sizes)
            handle = THSTensor_new(data, deleter, s, sizes.Length, (sbyte)dtype, (sbyte)dtype, (int)DeviceType.CPU, -1, false);
        if (handle == IntPtr.Zero)
        {
            if (Pending.TryRemove(deleter, out var r)) r();
            CheckForErrors();
            throw new InvalidOperationException("libtorch made no tensor over the NumSharp buffer and reported no error");
        }
        return Tensor.UnsafeCreateTensor(handle);
    }

    /// <summary>The address of element 0 of a CPU tensor (its storage offset included).</summary>
    public static IntPtr Data(Tensor tensor)
    {
        var p = THSTensor_data(tensor.Handle);
        if (p == IntPtr.Zero) CheckForErrors();
        return p;
    }
}
