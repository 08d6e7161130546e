using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// Entry points of the native libraries TorchSharp has already loaded: MKL's <c>sgemm_</c>, which the official
/// libtorch builds link into <c>libtorch_cpu.so</c> and export, and <c>THSTensor_data</c> for a CPU tensor's
/// data pointer. The libraries are found by the path the process mapped them from (/proc/self/maps), so the
/// handles are TorchSharp's own. Anything missing leaves <see cref="Available"/> false and callers fall back
/// to autograd.
/// </summary>
internal static unsafe class TorchNative
{
    private static readonly object Gate = new();
    private static bool _probed;
    private static delegate* unmanaged<byte*, byte*, int*, int*, int*, float*, float*, int*, float*, int*, float*, float*, int*, void> _sgemm;
    private static delegate* unmanaged<IntPtr, IntPtr> _tensorData;
    private static delegate* unmanaged<int, int> _mklSetThreadsLocal;

    /// <summary>Why the native entry points are unavailable (null when they are).</summary>
    public static string? MissingReason { get; private set; }

    /// <summary>True when sgemm and the tensor data accessor were found.</summary>
    public static bool Available
    {
        get
        {
            Probe();
            return MissingReason is null;
        }
    }

    private static void Probe()
    {
        lock (Gate)
        {
            if (_probed) return;
            _probed = true;
            if (!OperatingSystem.IsLinux()) { MissingReason = "the fused CPU kernels are built for Linux libtorch"; return; }
            using (var t = zeros(1)) { } // makes sure TorchSharp has loaded its native libraries
            var torchCpu = Export("libtorch_cpu.so", "sgemm_");
            var sharp = Export("libLibTorchSharp.so", "THSTensor_data");
            if (torchCpu == IntPtr.Zero) { MissingReason = "libtorch_cpu.so exports no sgemm_ (libtorch without MKL)"; return; }
            if (sharp == IntPtr.Zero) { MissingReason = "libLibTorchSharp.so exports no THSTensor_data"; return; }
            _sgemm = (delegate* unmanaged<byte*, byte*, int*, int*, int*, float*, float*, int*, float*, int*, float*, float*, int*, void>)torchCpu;
            _tensorData = (delegate* unmanaged<IntPtr, IntPtr>)sharp;
            _mklSetThreadsLocal = (delegate* unmanaged<int, int>)Export("libtorch_cpu.so", "MKL_Set_Num_Threads_Local");
        }
    }

    private static IntPtr Export(string library, string symbol)
    {
        string? path = null;
        try
        {
            path = File.ReadLines("/proc/self/maps")
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 6 && f[^1].EndsWith("/" + library, StringComparison.Ordinal))
                .Select(f => f[^1]).FirstOrDefault();
        }
        catch (IOException) { }
        if (!NativeLibrary.TryLoad(path ?? library, out var handle)) return IntPtr.Zero;
        return NativeLibrary.TryGetExport(handle, symbol, out var address) ? address : IntPtr.Zero;
    }

    /// <summary>
    /// Runs MKL single-threaded on this thread until disposed. The kernels' GEMMs are a few hundred kFLOP each: with
    /// <c>torch.set_num_threads(2)</c> MKL would split them and lose more to synchronisation than it gains.
    /// </summary>
    public static SingleThreaded SingleThreadedMkl() => new(_mklSetThreadsLocal is null ? -1 : _mklSetThreadsLocal(1));

    /// <summary>Restores MKL's previous thread-local setting.</summary>
    public readonly struct SingleThreaded(int previous) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose()
        {
            if (previous >= 0 && _mklSetThreadsLocal is not null) _mklSetThreadsLocal(previous);
        }
    }

    /// <summary>The data pointer of a contiguous float32 CPU tensor (storage offset included).</summary>
    public static float* Data(Tensor t)
    {
        if (t.dtype != ScalarType.Float32 || t.device_type != TorchSharp.DeviceType.CPU || !t.is_contiguous())
            throw new ArgumentException($"expected a contiguous float32 CPU tensor; got {t.dtype} on {t.device}, contiguous {t.is_contiguous()}.", nameof(t));
        Probe();
        return (float*)_tensorData(t.Handle);
    }

    /// <summary>
    /// Row-major single-precision GEMM, C(M×N) = α op(A)(M×K) op(B)(K×N) + β C, through column-major <c>sgemm_</c>
    /// (a row-major product is the transposed column-major one with the operands swapped).
    /// </summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
                            float beta, float* c, int ldc)
    {
        byte ta = transB ? (byte)'T' : (byte)'N', tb = transA ? (byte)'T' : (byte)'N';
        _sgemm(&ta, &tb, &n, &m, &k, &alpha, b, &ldb, a, &lda, &beta, c, &ldc);
    }
}
