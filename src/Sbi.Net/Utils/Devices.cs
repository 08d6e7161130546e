using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Utils;

/// <summary>Resolves sbi's device strings ("cpu", "cuda", "cuda:N", "gpu").</summary>
public static class Devices
{
    /// <summary>
    /// Parses a device name; "gpu" means CUDA. Asking for CUDA where it is not available raises an
    /// <see cref="InvalidOperationException"/> that says so (rather than failing later inside libtorch).
    /// </summary>
    public static Device Resolve(string? name, string argumentName = "device")
    {
        var n = (name ?? "cpu").Trim().ToLowerInvariant();
        if (n == "gpu") n = "cuda";
        if (n == "cpu") return CPU;
        if (n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new InvalidOperationException(
                    $"{argumentName} '{name}' asks for CUDA, but CUDA is not available in this process (TorchSharp CPU backend or no GPU). " +
                    "Build with -p:SbiTorchBackend=cuda on a CUDA machine (see README, Running on CUDA).");
            int index = 0;
            if (n.Length > 5 && !int.TryParse(n[5..], out index))
                throw new ArgumentException($"{argumentName} must be 'cpu', 'cuda', 'cuda:N' or 'gpu'; got '{name}'.", argumentName);
            if (index >= cuda.device_count())
                throw new ArgumentException($"{argumentName} '{name}' names CUDA device {index}, but only {cuda.device_count()} are present.", argumentName);
            return new Device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"{argumentName} must be 'cpu', 'cuda', 'cuda:N' or 'gpu'; got '{name}'.", argumentName);
    }
}
