using Microsoft.ML.OnnxRuntime;

namespace Sbi.Onnx.Runtime;

/// <summary>Builds ONNX Runtime session options, with CUDA on request and a CPU fallback.</summary>
internal static class SessionFactory
{
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>Creates options; <paramref name="provider"/> reports "CUDA" or "CPU".</summary>
    public static SessionOptions Create(OnnxPosteriorOptions o, Action<string> log, out string provider)
    {
        var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (o.IntraOpThreads > 0) so.IntraOpNumThreads = o.IntraOpThreads;
        so.InterOpNumThreads = 1; // our graphs are chains; parallelism comes from the intra-op pool
        provider = "CPU";
        if (o.UseCuda)
        {
            string[] available;
            try { available = OrtEnv.Instance().GetAvailableProviders(); }
            catch (Exception e) { available = Array.Empty<string>(); log($"Sbi.Onnx: could not list ONNX Runtime providers ({e.Message})."); }
            if (!available.Contains(CudaProvider))
            {
                log($"Sbi.Onnx: CUDA was requested but this ONNX Runtime build has no {CudaProvider} (available: {string.Join(", ", available)}); " +
                    "falling back to CPU. Reference Microsoft.ML.OnnxRuntime.Gpu instead of Microsoft.ML.OnnxRuntime to run on CUDA.");
            }
            else
            {
                try
                {
                    so.AppendExecutionProvider_CUDA(o.CudaDeviceId);
                    provider = "CUDA";
                }
                catch (Exception e)
                {
                    log($"Sbi.Onnx: CUDA execution provider could not be initialised on device {o.CudaDeviceId} ({e.Message}); falling back to CPU.");
                }
            }
        }
        return so;
    }
}
