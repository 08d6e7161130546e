namespace Sbi.Nn.Fused;

/// <summary>
/// Whether the fused CPU kernels can run in this process at all, whatever the estimator: the machine must have
/// AVX2/FMA and libtorch's MKL <c>sgemm_</c> (<see cref="TorchNative"/>), and the environment variable
/// <c>SBI_NET_FUSED</c> must not be <c>0</c> (read once at start-up: with it every training and sampling call takes
/// the module/autograd reference path, which the test suite uses to run everything on that path too).
/// </summary>
internal static class FusedAvailability
{
    /// <summary>The environment variable that switches the fused kernels off when set to 0.</summary>
    public const string EnvironmentVariable = "SBI_NET_FUSED";

    private static readonly bool SwitchedOff = Environment.GetEnvironmentVariable(EnvironmentVariable) == "0";

    /// <summary>Why no fused kernel runs in this process, or null when they can.</summary>
    public static string? Reason
    {
        get
        {
            if (SwitchedOff) return $"the fused kernels are switched off ({EnvironmentVariable}=0)";
            if (!VectorMath.Supported) return "the CPU lacks AVX2/FMA";
            return TorchNative.Available ? null : TorchNative.MissingReason;
        }
    }
}
