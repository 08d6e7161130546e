using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>Anything with a log-density over parameters theta: priors, and posteriors used as proposals.</summary>
public interface IDensity
{
    /// <summary>Log-density of each row of <paramref name="theta"/> (shape (n, D)); returns shape (n).</summary>
    Tensor LogProb(Tensor theta);
}
