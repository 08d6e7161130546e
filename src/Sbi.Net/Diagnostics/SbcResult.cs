using static TorchSharp.torch;

namespace Sbi.Diagnostics;

/// <summary>What <see cref="Sbc.RunSbc"/> returns (sbi's <c>(ranks, dap_samples)</c>); deconstructs as that pair. Owns both tensors.</summary>
/// <param name="Ranks">Ranks (N, K), float32, each in 0..L.</param>
/// <param name="DapSamples">Data-averaged posterior samples (N, D): the first posterior draw at each observation.</param>
public sealed record SbcResult(Tensor Ranks, Tensor DapSamples) : IDisposable
{
    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Ranks.Dispose();
        DapSamples.Dispose();
    }
}

/// <summary>What <see cref="Sbc.CheckSbc"/> returns (sbi's dictionary <c>ks_pvals</c>, <c>c2st_ranks</c>, <c>c2st_dap</c>).</summary>
/// <param name="KsPvals">Per rank column, the KS p-value of uniformity (small: miscalibrated).</param>
/// <param name="C2stRanks">Per rank column, the C2ST accuracy of the ranks against uniform draws (near 0.5: calibrated).</param>
/// <param name="C2stDap">Per parameter, the C2ST accuracy of the data-averaged posterior against the prior (near 0.5: calibrated).</param>
public sealed record SbcChecks(double[] KsPvals, double[] C2stRanks, double[] C2stDap);

/// <summary>What <see cref="Tarp.RunTarp"/> returns (sbi's <c>(ecp, alpha)</c>); deconstructs as that pair. Owns both tensors.</summary>
/// <param name="Ecp">Expected coverage probability at each α (num_bins + 1), float64, starting at 0.</param>
/// <param name="Alpha">The credibility grid (num_bins + 1): the histogram's bin edges over the coverage values, float64.</param>
public sealed record TarpResult(Tensor Ecp, Tensor Alpha) : IDisposable
{
    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Ecp.Dispose();
        Alpha.Dispose();
    }
}
