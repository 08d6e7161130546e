namespace Sbi.Samplers;

/// <summary>
/// The convergence diagnostics of one run of chains, per parameter in θ-space: rank-normalised split-R̂ and bulk
/// effective sample size (Vehtari, Gelman, Simpson, Carpenter and Bürkner 2021, as ArviZ and Stan compute them), the
/// mean acceptance statistic (HMC/NUTS; null for slice samplers) and the number of divergent transitions (NUTS/HMC).
/// </summary>
/// <param name="SplitRhat">Split-R̂ per dimension (1 at convergence; sbi users warn above 1.01).</param>
/// <param name="BulkEss">Bulk ESS per dimension, over all chains' kept draws.</param>
/// <param name="AcceptanceRate">Mean acceptance statistic over kept draws and chains, or null.</param>
/// <param name="Divergences">Divergent transitions among kept draws.</param>
/// <param name="NumChains">Chains.</param>
/// <param name="DrawsPerChain">Kept draws per chain.</param>
public sealed record McmcDiagnostics(double[] SplitRhat, double[] BulkEss, double? AcceptanceRate, int Divergences, int NumChains, int DrawsPerChain)
{
    /// <summary>The largest split-R̂ over dimensions.</summary>
    public double MaxSplitRhat => SplitRhat.Length == 0 ? double.NaN : SplitRhat.Max();

    /// <summary>The smallest bulk ESS over dimensions.</summary>
    public double MinBulkEss => BulkEss.Length == 0 ? double.NaN : BulkEss.Min();
}
