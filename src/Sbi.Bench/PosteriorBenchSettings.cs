using Sbi.Posteriors.Parameters;

namespace Sbi.Bench;

/// <summary>
/// The settings of <c>sbi-net bench posteriors</c> (<see cref="PosteriorBench"/>): the Gaussian linear task, the
/// estimator trained once, and per posterior method the sample count and sampler settings, which
/// python/bench_posteriors_sbi.py reads back from the bench folder to run sbi with the same ones.
/// </summary>
public sealed record PosteriorBenchSettings
{
    /// <summary>
    /// The suffix of rejection and importance sampling with the fitted proposal: a Gaussian with the mean and twice the
    /// covariance of <see cref="FittedProposalSamples"/> direct posterior samples (<see cref="PosteriorBench.FitProposal"/>),
    /// passed to sbi's <c>RejectionPosterior</c> and <c>ImportanceSamplingPosterior</c> as their <c>proposal</c>.
    /// </summary>
    public const string FittedSuffix = "_fitted";

    /// <summary>The prefix of the VI methods: "vi_rKL" is sbi's <c>sample_with="vi", vi_method="rKL"</c>.</summary>
    public const string ViPrefix = "vi_";

    /// <summary>The VI methods: one per sbi divergence.</summary>
    public static IReadOnlyList<string> ViMethods { get; } = [.. Sbi.Samplers.Vi.DivergenceObjective.Methods.Select(m => ViPrefix + m)];

    // After ViMethods: static initialisers run in textual order.
    /// <summary>
    /// The methods run when none are named: sbi's three proposal-based posteriors (with the prior as proposal, as sbi's
    /// <c>build_posterior</c> builds them, and with the fitted Gaussian proposal, <see cref="FittedSuffix"/>), four MCMC
    /// samplers and the four VI divergences (<see cref="ViPrefix"/>).
    /// </summary>
    public static IReadOnlyList<string> DefaultMethods { get; } =
        ["direct", "rejection", "importance", "rejection" + FittedSuffix, "importance" + FittedSuffix, "slice_np_vectorized", "hmc", "nuts", "slice_np",
         .. ViMethods];

    /// <summary>Every method name accepted: the proposal-based ones (prior and fitted proposal), every <see cref="McmcPosteriorParameters.Methods"/> name and the VI methods.</summary>
    public static IReadOnlyList<string> AllMethods { get; } =
        ["direct", "rejection", "importance", "rejection" + FittedSuffix, "importance" + FittedSuffix, .. McmcPosteriorParameters.Methods, .. ViMethods];

    /// <summary>The observations <see cref="Observation"/> accepts.</summary>
    public static IReadOnlyList<string> Observations { get; } = ["drawn", "zeros"];

    /// <summary>Direct posterior samples the fitted proposal's mean and covariance come from (10,000).</summary>
    public const int FittedProposalSamples = 10_000;

    /// <summary>
    /// The factor on the fitted proposal's covariance (2). For a Gaussian target N(μ, Σ) and proposal N(μ, cΣ) the
    /// importance weights' E[w²]/E[w]² is (c/√(2c − 1))^D: c = 2 gives 1.155^D (2.05 at D = 5, an ESS of about half
    /// the draws) and leaves room for a target somewhat wider than the fit; rejection then accepts about
    /// c^(−D/2)/m of the candidates (0.15 at D = 5, m = 1.2).
    /// </summary>
    public const double FittedProposalInflation = 2;

    /// <summary>Simulations the estimator is trained on (10,000).</summary>
    public int Sims { get; init; } = 10_000;

    /// <summary>θ and x dimension D (5).</summary>
    public int Dim { get; init; } = 5;

    /// <summary>Samples drawn per method (10,000), except slice_np (<see cref="SliceNpSamples"/>).</summary>
    public int Samples { get; init; } = 10_000;

    /// <summary>
    /// slice_np's own count (1,000; the smaller of it and <see cref="Samples"/> is used): it runs one chain after
    /// another, one θ per potential evaluation, in sbi as here, which at the other methods' count takes minutes.
    /// </summary>
    public int SliceNpSamples { get; init; } = 1_000;

    /// <summary>Samples per side that each C2ST compares (5,000, as <c>bench train</c>; fewer when fewer were drawn).</summary>
    public int C2stSamples { get; init; } = 5_000;

    /// <summary>Random seed of the task, of every method's sampling and of the analytic reference draws (0).</summary>
    public int Seed { get; init; }

    /// <summary>torch intra-op threads, on both sides (1).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>The estimator family ("maf"), sbi's default configuration.</summary>
    public string Estimator { get; init; } = "maf";

    /// <summary>The epoch cap (sbi's <c>max_num_epochs</c>; default: until early stopping).</summary>
    public int MaxEpochs { get; init; } = int.MaxValue;

    /// <summary>
    /// The observation x_o ("drawn"): "drawn" is x_o drawn after the simulations, as <c>bench train</c> draws it;
    /// "zeros" is x_o = 0, the observation of sbi's own accuracy tests (tests/linearGaussian_snpe_test.py), at the
    /// centre of the prior predictive, where the estimator is as accurate as its training allows (a drawn x_o in the
    /// tail has fewer simulations near it). The analytic posterior is N(x_o/1.01, 0.01/1.01·I) for either.
    /// </summary>
    public string Observation { get; init; } = "drawn";

    /// <summary>VI training iterations (2,000, sbi's <c>max_num_iters</c>), run in full on both sides (convergence check and quality control off, so both do the same work).</summary>
    public int ViIterations { get; init; } = 2000;

    /// <summary>VI particles per iteration (256, sbi's <c>n_particles</c>).</summary>
    public int ViParticles { get; init; } = 256;

    /// <summary>VI warm-up steps fitting q to the prior first (100, sbi's <c>warm_up_rounds</c>).</summary>
    public int ViWarmUpRounds { get; init; } = 100;

    /// <summary>The methods, in the order run (<see cref="DefaultMethods"/>).</summary>
    public IReadOnlyList<string> Methods { get; init; } = DefaultMethods;

    /// <summary>
    /// Seconds rejection sampling may run before it returns the samples found so far (60; sbi's
    /// <c>max_sampling_time</c> with <c>return_partial_on_timeout</c>, on both sides). With the prior as proposal the
    /// acceptance on this task is about ∏ √(0.01/1.01)·exp(−x_o,i²/2.02) / m, around 10⁻⁶ at D = 5.
    /// </summary>
    public double RejectionMaxSeconds { get; init; } = 60;

    /// <summary>MCMC chains (20, sbi's default).</summary>
    public int NumChains { get; init; } = 20;

    /// <summary>MCMC warm-up draws per chain (200, sbi's default).</summary>
    public int WarmupSteps { get; init; } = 200;

    /// <summary>MCMC thinning (1; sbi's default −1 means 1).</summary>
    public int Thin { get; init; } = 1;

    /// <summary>How MCMC chains start ("resample", sbi's default).</summary>
    public string InitStrategy { get; init; } = "resample";

    /// <summary>MCMC worker threads (1).</summary>
    public int NumWorkers { get; init; } = 1;

    /// <summary>The sample count of <paramref name="method"/>.</summary>
    public int SamplesFor(string method) => method == "slice_np" ? Math.Min(Samples, SliceNpSamples) : Samples;

    /// <summary>Whether <paramref name="method"/> samples through the fitted proposal instead of the prior.</summary>
    public static bool UsesFittedProposal(string method) => method.EndsWith(FittedSuffix, StringComparison.Ordinal);

    /// <summary>sbi's <c>sample_with</c> for <paramref name="method"/>: "direct", "rejection", "importance", "mcmc" or "vi".</summary>
    public static string SampleWithOf(string method) => method switch
    {
        "direct" or "rejection" or "importance" => method,
        "rejection" + FittedSuffix or "importance" + FittedSuffix => method[..^FittedSuffix.Length],
        _ when ViMethods.Contains(method, StringComparer.Ordinal) => "vi",
        _ when McmcPosteriorParameters.Methods.Contains(method, StringComparer.Ordinal) => "mcmc",
        _ => throw new ArgumentException($"method must be one of {string.Join(", ", AllMethods)}; got '{method}'.", nameof(method)),
    };

    /// <summary>The posterior settings of <paramref name="method"/> (importance runs "sir", whose samples are unweighted).</summary>
    public PosteriorParameters ParametersFor(string method) => SampleWithOf(method) switch
    {
        "direct" => new DirectPosteriorParameters(),
        "rejection" => new RejectionPosteriorParameters(),
        "importance" => new ImportanceSamplingPosteriorParameters(method: "sir"),
        "vi" => new VIPosteriorParameters(viMethod: method[ViPrefix.Length..]),
        _ => new McmcPosteriorParameters(method: method, thin: Thin, warmupSteps: WarmupSteps, numChains: NumChains,
                                         initStrategy: InitStrategy, numWorkers: NumWorkers),
    };

    /// <summary>Checks every field; a bad one is an <see cref="ArgumentException"/> naming it.</summary>
    public PosteriorBenchSettings Validated()
    {
        Positive(Sims, nameof(Sims));
        Positive(Dim, nameof(Dim));
        Positive(Samples, nameof(Samples));
        Positive(SliceNpSamples, nameof(SliceNpSamples));
        Positive(C2stSamples, nameof(C2stSamples));
        Positive(Threads, nameof(Threads));
        Positive(MaxEpochs, nameof(MaxEpochs));
        Positive(ViIterations, nameof(ViIterations));
        Positive(ViParticles, nameof(ViParticles));
        if (ViWarmUpRounds < 0) throw new ArgumentOutOfRangeException(nameof(ViWarmUpRounds), ViWarmUpRounds, $"{nameof(ViWarmUpRounds)} must be ≥ 0; got {ViWarmUpRounds}.");
        if (!Observations.Contains(Observation, StringComparer.Ordinal))
            throw new ArgumentException($"{nameof(Observation)} must be one of {string.Join(", ", Observations)}; got '{Observation}'.", nameof(Observation));
        if (!(RejectionMaxSeconds > 0) || double.IsInfinity(RejectionMaxSeconds))
            throw new ArgumentOutOfRangeException(nameof(RejectionMaxSeconds), RejectionMaxSeconds, $"{nameof(RejectionMaxSeconds)} must be a positive finite number; got {RejectionMaxSeconds}.");
        if (Methods.Count == 0) throw new ArgumentException("Methods must name at least one method.", nameof(Methods));
        foreach (var m in Methods) SampleWithOf(m);
        var twice = Methods.GroupBy(m => m).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"Methods names '{twice.Key}' twice.", nameof(Methods));
        // The MCMC record checks its own fields.
        _ = new McmcPosteriorParameters(thin: Thin, warmupSteps: WarmupSteps, numChains: NumChains, initStrategy: InitStrategy, numWorkers: NumWorkers);
        return this;
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive; got {value}.");
    }
}
