using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// The prior and proposal-mixture log-densities of every stored row for one NPE-B <c>Train</c> call (proposals
/// are frozen during it), evaluated in chunks so that memory stays bounded. Kept on the data device.
/// </summary>
internal sealed class ImportanceTerms : IDisposable
{
    private const long Chunk = 10_000;

    public ImportanceTerms(Tensor theta, IDistribution prior, IReadOnlyList<IDensity?> proposals, IReadOnlyList<long> counts)
    {
        var a = new List<Tensor>();
        var m = new List<Tensor>();
        using (var scope = NewDisposeScope())
        {
            for (long start = 0; start < theta.shape[0]; start += Chunk)
            {
                var (lp, lm) = NpeBLoss.LogDensities(theta.narrow(0, start, Math.Min(Chunk, theta.shape[0] - start)), prior, proposals, counts);
                a.Add(lp.to(theta.device));
                m.Add(lm.to(theta.device));
            }
            LogPrior = cat(a, 0).DetachFromDisposeScope();
            LogMixture = cat(m, 0).DetachFromDisposeScope();
        }
    }

    /// <summary>log p(θ_i) for every stored row.</summary>
    public Tensor LogPrior { get; }

    /// <summary>logsumexp_k(log α_k + log q̃_k(θ_i)) for every stored row.</summary>
    public Tensor LogMixture { get; }

    public void Dispose()
    {
        LogPrior.Dispose();
        LogMixture.Dispose();
    }
}
