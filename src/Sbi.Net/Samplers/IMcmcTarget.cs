namespace Sbi.Samplers;

/// <summary>
/// What an MCMC kernel samples: an unnormalised log-density over rows z ∈ ℝ^D (the prior's unconstrained space in
/// <c>McmcPosterior</c>), evaluated for a block of rows at once so that vectorised kernels pay one network call per
/// step. Rows are laid out row-major in float64, as sbi's numpy slice sampler holds them. Implementations must be
/// safe to call from several threads at once (chains run on <c>numWorkers</c> threads) and return −∞, never NaN or
/// an exception, where the density is zero.
/// </summary>
public interface IMcmcTarget
{
    /// <summary>Dimension D of a row.</summary>
    int Dim { get; }

    /// <summary>log p̃(z) for <paramref name="rows"/> rows of <paramref name="z"/> (rows × D) into <paramref name="logDensity"/> (rows).</summary>
    void LogDensity(ReadOnlySpan<double> z, int rows, Span<double> logDensity);

    /// <summary>log p̃(z) and its gradient ∂/∂z (rows × D) for <paramref name="rows"/> rows; the gradient of a −∞ row is 0.</summary>
    void LogDensityAndGradient(ReadOnlySpan<double> z, int rows, Span<double> logDensity, Span<double> gradient);
}
