namespace Sbi.Posteriors.Parameters;

/// <summary>
/// sbi's <c>MCMCPosteriorParameters</c> (sbi/inference/posteriors/posterior_parameters.py): the settings of an
/// <c>McmcPosterior</c>, with sbi's names, defaults and checks. Sbi.Net runs no Pyro or PyMC: sbi's
/// <c>hmc_pyro</c>, <c>nuts_pyro</c>, <c>hmc_pymc</c>, <c>nuts_pymc</c> and <c>slice_pymc</c> are accepted and run by
/// Sbi.Net's own <c>hmc</c>, <c>nuts</c> and <c>slice_np_vectorized</c> (<see cref="CanonicalMethod"/>; the posterior
/// says so in an info line). sbi's <c>mp_context</c> has no meaning here (chains are threads) and is not a field.
/// </summary>
public sealed record McmcPosteriorParameters : PosteriorParameters
{
    /// <summary>The samplers Sbi.Net runs.</summary>
    public static IReadOnlyList<string> NativeMethods { get; } = ["slice_np", "slice_np_vectorized", "hmc", "nuts"];

    /// <summary>sbi's Pyro and PyMC names and the Sbi.Net sampler each one runs.</summary>
    public static IReadOnlyDictionary<string, string> MappedMethods { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["hmc_pyro"] = "hmc", ["hmc_pymc"] = "hmc",
        ["nuts_pyro"] = "nuts", ["nuts_pymc"] = "nuts",
        ["slice_pymc"] = "slice_np_vectorized",
    };

    /// <summary>Every value <see cref="Method"/> accepts.</summary>
    public static IReadOnlyList<string> Methods { get; } = [.. NativeMethods, .. MappedMethods.Keys];

    /// <summary>The values <see cref="InitStrategy"/> accepts.</summary>
    public static IReadOnlyList<string> InitStrategies { get; } = ["resample", "sir", "proposal"];

    private readonly string _method = "slice_np_vectorized", _initStrategy = "resample";
    private readonly int _thin = -1, _warmupSteps = 200, _numChains = 20, _numWorkers = 1, _numCandidateSamples = 10_000;
    private readonly double _targetAccept = 0.8;
    private readonly double? _maxSamplingSeconds;

    /// <summary>The settings; every argument is checked.</summary>
    public McmcPosteriorParameters(string method = "slice_np_vectorized", int thin = -1, int warmupSteps = 200, int numChains = 20,
                                   string initStrategy = "resample", int numCandidateSamples = 10_000, int numWorkers = 1,
                                   double targetAccept = 0.8, long? seed = null, double? maxSamplingSeconds = null)
    {
        Method = method;
        Thin = thin;
        WarmupSteps = warmupSteps;
        NumChains = numChains;
        InitStrategy = initStrategy;
        NumCandidateSamples = numCandidateSamples;
        NumWorkers = numWorkers;
        TargetAccept = targetAccept;
        Seed = seed;
        MaxSamplingSeconds = maxSamplingSeconds;
    }

    /// <inheritdoc/>
    public override string SampleWith => "mcmc";

    /// <summary>The sampler ("slice_np_vectorized"); one of <see cref="Methods"/>.</summary>
    public string Method { get => _method; init => _method = OneOf(value, nameof(Method), [.. Methods]); }

    /// <summary>The sampler that runs for <see cref="Method"/>: itself, or the native sampler a Pyro/PyMC name maps to.</summary>
    public string CanonicalMethod => MappedMethods.TryGetValue(Method, out var m) ? m : Method;

    /// <summary>Keep every Thin-th draw: 1 to 10, or −1 (sbi's default, meaning 1).</summary>
    public int Thin
    {
        get => _thin;
        init => _thin = value == -1 || value is >= 1 and <= 10
            ? value
            : throw new ArgumentOutOfRangeException(nameof(McmcPosteriorParameters) + "." + nameof(Thin), value,
                $"{nameof(McmcPosteriorParameters)}.{nameof(Thin)} must be between 1 and 10, or -1 (no thinning); got {value}.");
    }

    /// <summary><see cref="Thin"/> with −1 read as 1.</summary>
    public int EffectiveThin => Thin == -1 ? 1 : Thin;

    /// <summary>Draws per chain discarded before samples are kept (200); ≥ 0. HMC and NUTS adapt step size and mass matrix in them.</summary>
    public int WarmupSteps { get => _warmupSteps; init => _warmupSteps = NonNegative(value, nameof(WarmupSteps)); }

    /// <summary>Number of chains (20); positive.</summary>
    public int NumChains { get => _numChains; init => _numChains = Positive(value, nameof(NumChains)); }

    /// <summary>
    /// How chains start ("resample"): "proposal" draws from the proposal; "sir" resamples proposal candidates by
    /// exp(potential − log proposal); "resample" by exp(potential) (sbi/samplers/mcmc/init_strategy.py).
    /// </summary>
    public string InitStrategy { get => _initStrategy; init => _initStrategy = OneOf(value, nameof(InitStrategy), [.. InitStrategies]); }

    /// <summary>
    /// Proposal candidates the "sir" and "resample" strategies draw per chain start (10,000: sbi's
    /// <c>init_strategy_parameters["num_candidate_samples"]</c>, which sbi's docs and its MCMC tests use); positive.
    /// sbi's other <c>init_strategy_parameters</c> entries (device) have no meaning here.
    /// </summary>
    public int NumCandidateSamples { get => _numCandidateSamples; init => _numCandidateSamples = Positive(value, nameof(NumCandidateSamples)); }

    /// <summary>Threads the chains run on (1); positive. Results for a seed do not depend on it.</summary>
    public int NumWorkers { get => _numWorkers; init => _numWorkers = Positive(value, nameof(NumWorkers)); }

    /// <summary>HMC and NUTS: the acceptance statistic dual averaging aims for in warm-up (0.8); strictly between 0 and 1.</summary>
    public double TargetAccept
    {
        get => _targetAccept;
        init => _targetAccept = value is > 0 and < 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(McmcPosteriorParameters) + "." + nameof(TargetAccept), value,
                $"{nameof(McmcPosteriorParameters)}.{nameof(TargetAccept)} must lie strictly between 0 and 1; got {value}.");
    }

    /// <summary>The seed of the chains' random streams (null: drawn from torch's global generator, so torch.manual_seed fixes it).</summary>
    public long? Seed { get; init; }

    /// <summary>A wall-clock limit for one <c>Sample</c> call in seconds (null: none); positive and finite.</summary>
    public double? MaxSamplingSeconds
    {
        get => _maxSamplingSeconds;
        init => _maxSamplingSeconds = value is null ? null : PositiveFinite(value.Value, nameof(MaxSamplingSeconds));
    }
}
