using Sbi.Distributions;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Samplers;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

// CONTRACT SKELETON (issue 14, in progress): the public surface the CLI and benchmark code against; the sampling
// bodies are being written on branch h14-mcmc. Not wired into PosteriorBuilder until they land.

/// <summary>
/// sbi's <c>MCMCPosterior</c> (sbi/inference/posteriors/mcmc_posterior.py): Markov chains over the potential in the
/// prior's unconstrained space.
/// </summary>
public sealed class McmcPosterior : PotentialPosterior
{
    /// <summary>An MCMC posterior over <paramref name="potential"/>, chains started from <paramref name="proposal"/>.</summary>
    public McmcPosterior(BasePotential potential, IDistribution proposal, IBijector? thetaTransform, McmcPosteriorParameters? parameters = null, SbiLog? log = null)
        : base(potential, proposal, thetaTransform, log)
    {
        Parameters = parameters ?? new McmcPosteriorParameters();
    }

    /// <summary>The settings.</summary>
    public McmcPosteriorParameters Parameters { get; }

    /// <summary>The diagnostics of the last <see cref="Sample(long, Tensor?)"/> call, or null before one.</summary>
    public McmcDiagnostics? Diagnostics { get; private set; }

    /// <summary><paramref name="n"/> samples (n, D) at x (1, *x_shape), or at k iid trials x (k, *x_shape), or at the default x.</summary>
    public override Tensor Sample(long n, Tensor? x = null) => Sample(n, x, null, default);

    /// <summary>As <see cref="Sample(long, Tensor?)"/>, reporting progress and stopping when cancelled.</summary>
    public Tensor Sample(long n, Tensor? x, IProgress<McmcProgress>? progress, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("McmcPosterior sampling lands with branch h14-mcmc.");

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor theta, Tensor? x = null) =>
        throw new NotImplementedException("McmcPosterior.LogProb lands with branch h14-mcmc.");
}
