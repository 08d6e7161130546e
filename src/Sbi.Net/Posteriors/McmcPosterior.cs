using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Globalization;
using Sbi.Distributions;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Samplers;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's <c>MCMCPosterior</c> (sbi/inference/posteriors/mcmc_posterior.py): Markov chains over the potential in the
/// prior's unconstrained space. The chains target log p̃(T⁻¹(z)) + log|det ∂T⁻¹/∂z| over z = T(θ)
/// (<see cref="TransformedPotentialTarget"/>, sbi's <c>transformed_potential</c>), start where the init strategy puts
/// them, and their kept draws are mapped back to θ. Methods: <c>slice_np_vectorized</c> (sbi's default,
/// <see cref="VectorizedSliceKernel"/>), <c>slice_np</c> (<see cref="SliceKernel"/>), and Sbi.Net's own <c>hmc</c> and
/// <c>nuts</c>; sbi's Pyro and PyMC names run these (<see cref="McmcPosteriorParameters.CanonicalMethod"/>, said in
/// an info line).
/// </summary>
/// <remarks>
/// <para><b>Counts</b> (sbi's <c>_slice_np_mcmc</c>): for n samples each of the C chains discards its warm-up
/// (slice samplers: 50 tuning sweeps and WarmupSteps·Thin draws; HMC and NUTS: WarmupSteps adapting draws), then runs
/// ⌈n·Thin / C⌉ draws and keeps every Thin-th; the chains' kept draws are concatenated chain after chain and the first
/// n returned (<see cref="McmcSchedule.Sbi"/>). All kept draws, n or more, go into <see cref="Diagnostics"/>.</para>
/// <para><b>Reproducibility.</b> A run's seed is <see cref="McmcPosteriorParameters.Seed"/>, or one drawn from torch's
/// global generator (so <c>manual_seed</c> fixes it). Chain c draws from its own stream <see cref="ChainSeeds"/>(seed, c)
/// and the init strategy from torch's generator seeded from the same seed, and the chains are partitioned into kernel
/// blocks by the number of chains alone (<see cref="McmcKernels"/>: one chain per block, or for
/// <c>slice_np_vectorized</c> blocks of at most 20), never by <see cref="McmcPosteriorParameters.NumWorkers"/>: the
/// workers only decide which thread steps which block. So a seed gives bitwise the same samples with 1 or 16 workers.</para>
/// <para><b>Checks.</b> x must be finite and of the estimator's shape (k rows: k iid trials, sbi's <c>x_is_iid</c>, see
/// <see cref="PosteriorBasedPotential"/>); every start must have a finite log-density; a time limit
/// (<see cref="McmcPosteriorParameters.MaxSamplingSeconds"/>) stops with a <see cref="TimeoutException"/> that says how
/// far the chains got. After a run, a split-R̂ above 1.01 or chains that never moved are warned about, and a run whose
/// chains all stayed at their starts is an error.</para>
/// <para><see cref="LogProb"/> is the potential, unnormalised, as in sbi (which warns so; so does this, once).</para>
/// </remarks>
public sealed class McmcPosterior : PotentialPosterior, IPosterior
{
    /// <summary>The split-R̂ above which a run is warned about (the usual convergence threshold, Vehtari et al. 2021).</summary>
    public const double RhatThreshold = 1.01;

    private bool _warnedLogProb, _announcedMethod, _announcedWorkers;

    /// <summary>An MCMC posterior over <paramref name="potential"/>, chains started from <paramref name="proposal"/>. Warnings and information lines go to <paramref name="logger"/> (standard error when null; NullLogger.Instance silences them).</summary>
    public McmcPosterior(BasePotential potential, IDistribution proposal, IBijector? thetaTransform, McmcPosteriorParameters? parameters = null, ILogger? logger = null)
        : base(potential, proposal, thetaTransform ?? TransformOf(proposal), logger)
    {
        Parameters = parameters ?? new McmcPosteriorParameters();
        // sbi's MCMCPosterior.sample and log_prob call set_x(x, x_is_iid=True): k rows of x are k iid trials.
        if (potential is PosteriorBasedPotential p) p.XIsIid = true;
    }

    /// <summary>The settings.</summary>
    public McmcPosteriorParameters Parameters { get; }

    /// <summary>The diagnostics of the last <see cref="Sample(long, Tensor?)"/> call, or null before one.</summary>
    public McmcDiagnostics? Diagnostics { get; private set; }

    /// <summary>False: <see cref="LogProb"/> is the unnormalised potential (NPE-B refuses this posterior as a proposal).</summary>
    public override bool IsNormalized => false;

    /// <summary>Sets the default observation, (1, *x_shape) or k iid trials (k, *x_shape); it must be finite.</summary>
    public new McmcPosterior SetDefaultX(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Finite(x, nameof(x));
        base.SetDefaultX(x);
        return this;
    }

    IPosterior IPosterior.SetDefaultX(Tensor x) => SetDefaultX(x);

    /// <summary><paramref name="n"/> samples (n, D) at x (1, *x_shape), or at k iid trials x (k, *x_shape), or at the default x.</summary>
    public override Tensor Sample(long n, Tensor? x = null) => Sample(n, x, null, default);

    /// <summary>As <see cref="Sample(long, Tensor?)"/>, reporting progress and stopping when cancelled.</summary>
    /// <exception cref="ArgumentException">n is not positive, or x is not finite or has the wrong shape.</exception>
    /// <exception cref="InvalidOperationException">No start with a finite log-density, or every chain stayed at its start.</exception>
    /// <exception cref="TimeoutException">The run passed <see cref="McmcPosteriorParameters.MaxSamplingSeconds"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Tensor Sample(long n, Tensor? x, IProgress<McmcProgress>? progress, CancellationToken cancellationToken = default)
    {
        Guard.Positive(n, nameof(n));
        if (x is not null) Guard.Finite(x, nameof(x));
        var clock = Stopwatch.StartNew();
        var p = Parameters;
        AnnounceMethod(p);
        return AtX(x, () => Run(n, p, progress, cancellationToken, clock));
    }

    /// <summary>
    /// The unnormalised log-posterior (the potential) of rows θ (n, D) at x (or the default x; k rows: iid trials), as
    /// sbi's <c>log_prob</c>, which warns that it is unnormalised (here once per posterior); returns (n).
    /// </summary>
    public override Tensor LogProb(Tensor theta, Tensor? x = null)
    {
        var t = CheckTheta(theta);
        if (x is not null) Guard.Finite(x, nameof(x));
        if (!_warnedLogProb)
        {
            _warnedLogProb = true;
            Logger.LogWarning(LogEvents.Mcmc, "McmcPosterior.LogProb is the potential, unnormalised (as sbi's MCMCPosterior.log_prob): it differs from the log posterior " +
                        "density by an unknown constant.");
        }
        return AtX(x, () => Potential.Evaluate(t, trackGradients: false));
    }

    private Tensor Run(long n, McmcPosteriorParameters p, IProgress<McmcProgress>? progress, CancellationToken cancellationToken, Stopwatch clock)
    {
        using var scope = NewDisposeScope();
        if (Potential.XO is { } xo) Guard.Finite(xo, "x");
        string method = p.CanonicalMethod;
        int chains = p.NumChains, thin = p.EffectiveThin;
        long seed = p.Seed ?? McmcInit.DrawSeed();
        var defaults = new McmcKernelSettings(TargetAccept: p.TargetAccept);
        int warmup = McmcKernels.WarmupDraws(method, p.WarmupSteps, thin, defaults);
        var settings = defaults with { WarmupSteps = warmup };
        var schedule = McmcSchedule.Sbi(n, chains, warmup, thin);
        var target = new TransformedPotentialTarget(Potential, ThetaTransform, Dim);
        TimeSpan? limit = p.MaxSamplingSeconds is { } s ? TimeSpan.FromSeconds(s) : null;

        var starts = McmcInit.Starts(p.InitStrategy, chains, p.NumCandidateSamples, ChainSeeds.For(seed, -1), Proposal, target.Potential, ThetaTransform, cancellationToken);
        CheckStarts(starts, target, p);
        if (limit is { } l && clock.Elapsed > l)
            throw new TimeoutException($"MCMC sampling passed its time limit of {l.TotalSeconds:G4} s while finding the {chains} chains' starts " +
                                       $"(init strategy '{p.InitStrategy}', {clock.Elapsed.TotalSeconds:F1} s): raise McmcPosteriorParameters.MaxSamplingSeconds, " +
                                       "or use fewer NumCandidateSamples or InitStrategy 'proposal'.");

        var blocks = McmcKernels.Create(method, target, starts, ChainSeeds.Streams(seed, chains), settings, schedule.TotalDraws);
        AnnounceWorkers(method, blocks.Length, p);
        // Every worker evaluates with the caller's libtorch thread count, whatever the number of workers (a reduction
        // split over another number of threads could round differently, and a fresh thread's default contends).
        int torchThreads = get_num_threads();
        var run = McmcRunner.Run(blocks, schedule, p.NumWorkers, progress, limit, cancellationToken, clock,
            "Raise McmcPosteriorParameters.MaxSamplingSeconds, or ask for fewer samples, fewer WarmupSteps or a smaller Thin, or run chains in " +
            "parallel (NumWorkers with slice_np, hmc or nuts, or with more than 20 chains for slice_np_vectorized).",
            workerSetup: () => set_num_threads(torchThreads));

        using var _ = no_grad();
        var z = tensor(run.Draws.Select(v => (float)v).ToArray(), new long[] { run.Draws.Length / Dim, Dim });
        var device = TransformedPotentialTarget.DeviceOf(Potential);
        var theta = ThetaTransform.Inverse(device.type == TorchSharp.DeviceType.CPU ? z : z.to(device));
        var theta64 = theta.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        Diagnostics = ConvergenceDiagnostics.Compute(theta64, run.NumChains, run.DrawsPerChain, Dim, run.AcceptStatistics, run.Divergent);
        // Judged in θ-space as returned (float32): a chain on a point mass may still move z by less than θ's rounding.
        Judge(run with { Draws = theta64 }, Diagnostics, method);
        return theta.narrow(0, 0, n).MoveToOuterDisposeScope();
    }

    /// <summary>Every start must map to a finite z with a finite log-density, or no chain can move from it.</summary>
    private void CheckStarts(double[] starts, TransformedPotentialTarget target, McmcPosteriorParameters p)
    {
        int d = Dim;
        for (int c = 0; c < p.NumChains; c++)
        {
            if (starts.AsSpan(c * d, d).ToArray().All(double.IsFinite)) continue;
            throw new ArgumentException(
                $"the ThetaTransform ({ThetaTransform.GetType().Name}) maps chain {c}'s start, drawn by init strategy '{p.InitStrategy}', to a non-finite " +
                $"point z = [{Format(starts.AsSpan(c * d, d))}]: MCMC runs in the transform's unconstrained space, so it needs a bijector that maps the " +
                "prior's support onto ℝ^D. Give the prior a usable ThetaTransform (IDistribution.ThetaTransform), or pass thetaTransform " +
                "(PotentialFactory.ThetaTransformOf(prior, enableTransform: false) for the identity).", "thetaTransform");
        }
        var logDensity = new double[p.NumChains];
        target.LogDensity(starts, p.NumChains, logDensity);
        var bad = Enumerable.Range(0, p.NumChains).Where(c => !double.IsFinite(logDensity[c])).ToList();
        if (bad.Count == 0) return;
        int first = bad[0];
        throw new InvalidOperationException(
            $"MCMC: {bad.Count} of {p.NumChains} chain starts (init strategy '{p.InitStrategy}') have a log-density of {logDensity[first]} " +
            $"(chain {first} at z = [{Format(starts.AsSpan(first * d, d))}]), and a chain cannot move from there. " +
            (p.InitStrategy == "proposal"
                ? "The proposal drew points where the potential is −∞: use InitStrategy 'sir' or 'resample', which start where the potential has mass."
                : "The potential or the transform's Jacobian is not finite there: check the potential and the prior's ThetaTransform."));
    }

    /// <summary>Warnings on the diagnostics: chains that never moved (an error when all did), and a split-R̂ above <see cref="RhatThreshold"/>.</summary>
    private void Judge(McmcChains run, McmcDiagnostics diagnostics, string method)
    {
        var stuck = run.StuckChains();
        if (stuck.Count == run.NumChains)
            throw new InvalidOperationException(
                $"MCMC ({method}): every one of the {run.NumChains} chains stayed at its start for all {run.DrawsPerChain} kept draws, so the samples " +
                "are the starts, not posterior draws. The target is flat, +∞ or −∞ around them: check the potential (is x possible under the prior " +
                "and the estimator?) and the prior's ThetaTransform.");
        if (stuck.Count > 0)
            Logger.LogWarning(LogEvents.Mcmc, $"MCMC ({method}): {stuck.Count} of {run.NumChains} chains never moved (chain{(stuck.Count > 1 ? "s" : "")} " +
                        $"{string.Join(", ", stuck.Take(10))}{(stuck.Count > 10 ? ", …" : "")}: all {run.DrawsPerChain} kept draws equal), so their " +
                        "samples repeat one point. The target is flat or not finite around them: check the potential, or use another InitStrategy.");
        double rhat = diagnostics.MaxSplitRhat;
        if (rhat > RhatThreshold)
        {
            int dim = Array.IndexOf(diagnostics.SplitRhat, rhat);
            Logger.LogWarning(LogEvents.Mcmc, $"MCMC ({method}): the largest split-R̂ is {rhat.ToString("F3", CultureInfo.InvariantCulture)} (parameter {dim}) > {RhatThreshold}, " +
                        $"so the {run.NumChains} chains have not converged to one distribution (bulk ESS {diagnostics.MinBulkEss:F0}). Use more warm-up " +
                        "(WarmupSteps), more chains (NumChains), or thinning (Thin), and check McmcPosterior.Diagnostics.");
        }
        else if (double.IsNaN(rhat) && run.DrawsPerChain >= 4 && stuck.Count == 0)
        {
            Logger.LogWarning(LogEvents.Mcmc, $"MCMC ({method}): split-R̂ could not be computed (the draws of a parameter do not vary within the chains, or are not finite); " +
                        "check McmcPosterior.Diagnostics and the samples.");
        }
    }

    private void AnnounceMethod(McmcPosteriorParameters p)
    {
        if (_announcedMethod || p.CanonicalMethod == p.Method) return;
        _announcedMethod = true;
        string engine = p.Method.EndsWith("_pyro", StringComparison.Ordinal) ? "Pyro" : "PyMC";
        Logger.LogInformation(LogEvents.Mcmc, $"MCMC method '{p.Method}' is sbi's {engine} sampler; Sbi.Net runs no {engine} and samples with its own '{p.CanonicalMethod}' instead.");
    }

    private void AnnounceWorkers(string method, int blocks, McmcPosteriorParameters p)
    {
        if (_announcedWorkers || p.NumWorkers <= blocks) return;
        _announcedWorkers = true;
        Logger.LogInformation(LogEvents.Mcmc, $"MCMC ({method}): the {p.NumChains} chains run as {blocks} block(s) (a partition fixed by the number of chains, so that a seed gives the " +
                 $"same samples with any NumWorkers), so NumWorkers = {p.NumWorkers} runs {blocks} thread(s)" +
                 (method == "slice_np_vectorized" ? $"; blocks hold up to {McmcKernels.VectorizedBlockSize} chains, so more chains (or slice_np) run in parallel." : "."));
    }

    /// <summary>The proposal's ThetaTransform, or an error that says MCMC needs one.</summary>
    private static IBijector TransformOf(IDistribution proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        try { return proposal.ThetaTransform; }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or NotImplementedException)
        {
            throw new ArgumentException(
                $"the proposal {proposal.GetType().Name} has no usable ThetaTransform ({e.Message}). MCMC samples in the prior's unconstrained space: " +
                "give the prior a ThetaTransform (IDistribution.ThetaTransform; the default z-scores with Mean and Stddev, which must be finite and " +
                "positive), or pass thetaTransform (PotentialFactory.ThetaTransformOf(prior, enableTransform: false) for the identity).", "thetaTransform", e);
        }
    }

    private static string Format(ReadOnlySpan<double> values) => string.Join(", ", values.ToArray().Select(v => v.ToString("G4", CultureInfo.InvariantCulture)));
}
