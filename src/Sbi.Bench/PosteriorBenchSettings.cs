using Sbi.Posteriors.Parameters;

namespace Sbi.Bench;

/// <summary>
/// The settings of <c>sbi-net bench posteriors</c> (<see cref="PosteriorBench"/>): the Gaussian linear task, the
/// estimator trained once, and per posterior method the sample count and sampler settings, which
/// python/bench_posteriors_sbi.py reads back from the bench folder to run sbi with the same ones.
/// </summary>
public sealed record PosteriorBenchSettings
{
    /// <summary>The methods run when none are named: sbi's three proposal-based posteriors and four MCMC samplers.</summary>
    public static IReadOnlyList<string> DefaultMethods { get; } =
        ["direct", "rejection", "importance", "slice_np_vectorized", "hmc", "nuts", "slice_np"];

    /// <summary>Every method name accepted: direct, rejection, importance and every <see cref="McmcPosteriorParameters.Methods"/> name.</summary>
    public static IReadOnlyList<string> AllMethods { get; } = ["direct", "rejection", "importance", .. McmcPosteriorParameters.Methods];

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

    /// <summary>sbi's <c>sample_with</c> for <paramref name="method"/>: "direct", "rejection", "importance" or "mcmc".</summary>
    public static string SampleWithOf(string method) => method switch
    {
        "direct" or "rejection" or "importance" => method,
        _ when McmcPosteriorParameters.Methods.Contains(method, StringComparer.Ordinal) => "mcmc",
        _ => throw new ArgumentException($"method must be one of {string.Join(", ", AllMethods)}; got '{method}'.", nameof(method)),
    };

    /// <summary>The posterior settings of <paramref name="method"/> (importance runs "sir", whose samples are unweighted).</summary>
    public PosteriorParameters ParametersFor(string method) => SampleWithOf(method) switch
    {
        "direct" => new DirectPosteriorParameters(),
        "rejection" => new RejectionPosteriorParameters(),
        "importance" => new ImportanceSamplingPosteriorParameters(method: "sir"),
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
