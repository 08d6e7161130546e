using Sbi.Distributions;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's MCMC init strategies (sbi/samplers/mcmc/init_strategy.py), one start per chain, in the unconstrained space
/// z = T(θ): "proposal" draws θ from the proposal (<c>proposal_init</c>); "sir" resamples one of
/// numCandidates proposal draws with weights exp(potential − log proposal) (<c>sir_init</c>, sampling-importance
/// resampling as sbi/samplers/importance/sir.py selects: the first candidate whose cumulative normalised weight reaches
/// a uniform draw); "resample" the same with weights exp(potential) (<c>resample_given_potential_fn</c>). Non-finite
/// log weights get weight 0, as sbi sets NaN and infinite probabilities to 0.
/// </summary>
/// <remarks>
/// The draws come from torch's global generator seeded with the given seed for the duration (its CPU state is
/// saved and restored, so the caller's stream is untouched): the starts depend on the seed and the number of chains
/// only, whatever the worker count. (sbi seeds each worker's generator the same way when it parallelises inits.)
/// </remarks>
internal static class McmcInit
{
    /// <summary>The starts (chains × D, row-major) for <paramref name="strategy"/>.</summary>
    /// <param name="strategy">"proposal", "sir" or "resample".</param>
    /// <param name="numChains">Starts to draw, one per chain.</param>
    /// <param name="numCandidates">Proposal candidates per start ("sir", "resample").</param>
    /// <param name="seed">Seeds torch's generator for the draws.</param>
    /// <param name="proposal">Where candidates come from.</param>
    /// <param name="potential">θ rows (n, D) ↦ the potential (n), without gradient.</param>
    /// <param name="transform">z = T(θ) of the chosen θ.</param>
    /// <param name="cancellationToken">Checked between chains.</param>
    public static double[] Starts(string strategy, int numChains, int numCandidates, long seed, IDistribution proposal, Func<Tensor, Tensor> potential,
                                  IBijector transform, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var state = random.get_rng_state();
        try
        {
            manual_seed(seed);
            Tensor theta;
            if (strategy == "proposal")
            {
                theta = proposal.Sample(numChains);
            }
            else
            {
                var rows = new List<Tensor>(numChains);
                for (int c = 0; c < numChains; c++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var step = NewDisposeScope();
                    rows.Add(Resample(strategy, c, numCandidates, proposal, potential).MoveToOuterDisposeScope());
                }
                theta = cat(rows, 0);
            }
            var z = transform.Forward(theta.to(ScalarType.Float32)).to(ScalarType.Float64).cpu().contiguous();
            return z.data<double>().ToArray();
        }
        finally
        {
            random.set_rng_state(state);
            state.Dispose();
        }
    }

    /// <summary>One of <paramref name="numCandidates"/> proposal draws, chosen by its weight; (1, D).</summary>
    private static Tensor Resample(string strategy, int chain, int numCandidates, IDistribution proposal, Func<Tensor, Tensor> potential)
    {
        var candidates = proposal.Sample(numCandidates);
        var logWeights = potential(candidates).to(ScalarType.Float64);
        if (strategy == "sir") logWeights = logWeights - proposal.LogProb(candidates).to(ScalarType.Float64, logWeights.device);
        var lw = logWeights.cpu().contiguous().data<double>().ToArray();
        double max = double.NegativeInfinity;
        foreach (var v in lw) if (double.IsFinite(v) && v > max) max = v;
        if (double.IsNegativeInfinity(max))
        {
            string weights = strategy == "sir" ? "exp(potential − log proposal)" : "exp(potential)";
            throw new InvalidOperationException(
                $"MCMC init strategy '{strategy}' found no candidate with mass for chain {chain}: the weight {weights} is zero (or not finite) for all " +
                $"{numCandidates} proposal draws, so the potential is −∞ wherever the proposal draws. Check that x is possible under the prior and " +
                "the estimator (a non-finite or far-off x), or use a proposal that covers the posterior; more candidates (NumCandidateSamples) " +
                "help only if some mass was close to being found.");
        }
        var cumulative = new double[lw.Length];
        double total = 0;
        for (int i = 0; i < lw.Length; i++)
        {
            total += double.IsFinite(lw[i]) ? Math.Exp(lw[i] - max) : 0;
            cumulative[i] = total;
        }
        using var u = rand(1, dtype: ScalarType.Float64);
        double level = u.item<double>() * total;
        int chosen = Array.FindIndex(cumulative, w => w >= level && w > 0);
        if (chosen < 0) chosen = Array.FindLastIndex(lw, double.IsFinite);
        return candidates.narrow(0, chosen, 1);
    }

    /// <summary>The run's seed when none was set: drawn from torch's global generator, so <c>manual_seed</c> fixes it.</summary>
    public static long DrawSeed()
    {
        using var t = randint(0, int.MaxValue, new long[] { 1 }, dtype: ScalarType.Int64);
        return t.item<long>();
    }
}
