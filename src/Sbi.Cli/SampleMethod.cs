using System.CommandLine;
using Sbi.Posteriors.Parameters;
using Sbi.Samplers.Vi;

namespace Sbi.Cli;

/// <summary>
/// <c>sample</c>'s choice of posterior (sbi's <c>build_posterior(sample_with=…)</c>) and its sampler options, turned
/// into the library's parameter records. The records check their own fields; a bad value is a
/// <see cref="UsageException"/> (exit 2) with the record's message after the option's name, and an option of another
/// method than --sample-with is refused rather than ignored.
/// </summary>
internal sealed class SampleMethod
{
    /// <summary>The values of --sample-with.</summary>
    public static IReadOnlyList<string> SampleWithValues { get; } = ["direct", "rejection", "importance", "mcmc", "vi"];

    public Option<string> SampleWith { get; } = new("--sample-with")
    {
        Description = "how to sample: direct (the flow, rejecting draws outside the prior), rejection (from the prior by the density ratio), " +
                      "importance (sampling-importance-resampling from the prior), mcmc (Markov chains on the posterior density), " +
                      "vi (a flow q fitted to the posterior density at x, then sampled)",
        HelpName = "METHOD",
        DefaultValueFactory = _ => "direct",
    };

    public Option<string?> McmcMethod { get; } = new("--mcmc-method")
    {
        Description = $"MCMC sampler: {string.Join(", ", McmcPosteriorParameters.NativeMethods)} (sbi's " +
                      $"{string.Join(", ", McmcPosteriorParameters.MappedMethods.Keys)} run as the sampler of the same kind); default slice_np_vectorized",
        HelpName = "NAME",
    };

    public Option<int?> NumChains { get; } = CliOptions.OptionalInt("--num-chains", "MCMC chains (default 20)", int.MinValue);

    public Option<int?> Warmup { get; } = CliOptions.OptionalInt("--warmup", "MCMC warm-up draws per chain, discarded (default 200)", int.MinValue);

    public Option<int?> Thin { get; } = CliOptions.OptionalInt("--thin", "keep every N-th MCMC draw, 1 to 10 (default 1)", int.MinValue);

    public Option<int?> NumWorkers { get; } = CliOptions.OptionalInt("--num-workers", "threads the MCMC chains run on (default 1; the samples do not depend on it)", int.MinValue);

    public Option<string?> InitStrategy { get; } = new("--init-strategy")
    {
        Description = $"how MCMC chains start: {string.Join(", ", McmcPosteriorParameters.InitStrategies)} (default resample)",
        HelpName = "NAME",
    };

    public Option<string?> ImportanceMethod { get; } = new("--importance-method")
    {
        Description = "importance: sir (unweighted samples, default) or importance (prior samples with their log weights, written beside --out as NAME.log_weights.npy)",
        HelpName = "NAME",
    };

    public Option<string?> ViMethod { get; } = new("--vi-method")
    {
        Description = $"VI divergence: {string.Join(", ", DivergenceObjective.Methods)} (default rKL)",
        HelpName = "NAME",
    };

    public Option<string?> Q { get; } = new("--q")
    {
        Description = $"VI's variational family: {string.Join(", ", VariationalFamilies.Names)} (default maf)",
        HelpName = "NAME",
    };

    public Option<int?> ViMaxIters { get; } = CliOptions.OptionalInt("--vi-max-iters", "VI training iterations at most, stopping earlier by sbi's convergence check (default 2000)", int.MinValue);

    public Option<int?> ViParticles { get; } = CliOptions.OptionalInt("--vi-particles", "VI particles per iteration (default 256)", int.MinValue);

    public Option<string?> SaveVi { get; } = new("--save-vi")
    {
        Description = "also save the fitted q as a VI model file (sbi-net export --model FILE turns it into an ONNX package)",
        HelpName = "FILE",
    };

    public SampleMethod()
    {
        SampleWith.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string>();
            if (!SampleWithValues.Contains(v, StringComparer.Ordinal))
                r.AddError($"--sample-with must be one of {string.Join(", ", SampleWithValues)}; got '{v}'");
        });
    }

    /// <summary>The options, to add to the command.</summary>
    public IEnumerable<Option> Options => [SampleWith, McmcMethod, NumChains, Warmup, Thin, NumWorkers, InitStrategy, ImportanceMethod, ViMethod, Q, ViMaxIters, ViParticles, SaveVi];

    /// <summary>The values given on one command line.</summary>
    public sealed record Values(string SampleWith, string? McmcMethod, int? NumChains, int? Warmup, int? Thin, int? NumWorkers,
                                string? InitStrategy, string? ImportanceMethod, string? ViMethod = null, string? Q = null,
                                int? ViMaxIters = null, int? ViParticles = null, string? SaveVi = null);

    /// <summary>Reads the values of a parsed command line.</summary>
    public Values Read(ParseResult p) => new(p.GetValue(SampleWith)!, p.GetValue(McmcMethod), p.GetValue(NumChains), p.GetValue(Warmup),
                                             p.GetValue(Thin), p.GetValue(NumWorkers), p.GetValue(InitStrategy), p.GetValue(ImportanceMethod),
                                             p.GetValue(ViMethod), p.GetValue(Q), p.GetValue(ViMaxIters), p.GetValue(ViParticles),
                                             p.GetValue(SaveVi));

    /// <summary>
    /// The parameter record of <paramref name="v"/>'s method, every option checked by the record; <paramref name="maxSamplingTime"/>
    /// goes into the MCMC record's time limit.
    /// </summary>
    public static PosteriorParameters Parameters(Values v, TimeSpan? maxSamplingTime)
    {
        var mcmcOptions = new (string Flag, bool Given)[]
        {
            ("--mcmc-method", v.McmcMethod is not null), ("--num-chains", v.NumChains is not null), ("--warmup", v.Warmup is not null),
            ("--thin", v.Thin is not null), ("--num-workers", v.NumWorkers is not null), ("--init-strategy", v.InitStrategy is not null),
        };
        var viOptions = new (string Flag, bool Given)[]
        {
            ("--vi-method", v.ViMethod is not null), ("--q", v.Q is not null), ("--vi-max-iters", v.ViMaxIters is not null),
            ("--vi-particles", v.ViParticles is not null), ("--save-vi", v.SaveVi is not null),
        };
        OnlyWith("mcmc", mcmcOptions);
        OnlyWith("vi", viOptions);
        OnlyWith("importance", [("--importance-method", v.ImportanceMethod is not null)]);
        // An option of another method than --sample-with is refused rather than ignored.
        void OnlyWith(string method, (string Flag, bool Given)[] options)
        {
            if (v.SampleWith != method && options.FirstOrDefault(o => o.Given) is { Flag: { } flag })
                throw new UsageException($"{flag} applies to --sample-with {method} only; got --sample-with {v.SampleWith}");
        }
        switch (v.SampleWith)
        {
            case "direct":
                return new DirectPosteriorParameters();
            case "rejection":
                return new RejectionPosteriorParameters();
            case "importance":
                if (maxSamplingTime is not null)
                    throw new UsageException("--max-sampling-time does not apply to --sample-with importance: its work is fixed " +
                                             "(n × 32 proposal draws and their densities), it cannot stall");
                var importance = new ImportanceSamplingPosteriorParameters();
                if (v.ImportanceMethod is { } m) importance = Checked("--importance-method", () => importance with { Method = m });
                return importance;
            case "vi":
            {
                if (maxSamplingTime is not null)
                    throw new UsageException("--max-sampling-time does not apply to --sample-with vi: training runs at most --vi-max-iters " +
                                             "iterations and q's samples are drawn without rejection");
                var vi = new VIPosteriorParameters();
                if (v.ViMethod is { } viMethod) vi = Checked("--vi-method", () => vi with { ViMethod = viMethod });
                if (v.Q is { } q) vi = Checked("--q", () => vi with { Q = q });
                if (v.ViMaxIters is { } iters && iters <= 0) throw new UsageException($"--vi-max-iters must be positive; got {iters}");
                if (v.ViParticles is { } particles && particles <= 0) throw new UsageException($"--vi-particles must be positive; got {particles}");
                return vi;
            }
            default:
                var p = new McmcPosteriorParameters();
                if (v.McmcMethod is { } method) p = Checked("--mcmc-method", () => p with { Method = method });
                if (v.NumChains is { } chains) p = Checked("--num-chains", () => p with { NumChains = chains });
                if (v.Warmup is { } warmup) p = Checked("--warmup", () => p with { WarmupSteps = warmup });
                if (v.Thin is { } thin) p = Checked("--thin", () => p with { Thin = thin });
                if (v.NumWorkers is { } workers) p = Checked("--num-workers", () => p with { NumWorkers = workers });
                if (v.InitStrategy is { } init) p = Checked("--init-strategy", () => p with { InitStrategy = init });
                if (maxSamplingTime is { } limit) p = Checked("--max-sampling-time", () => p with { MaxSamplingSeconds = limit.TotalSeconds });
                return p;
        }
    }

    /// <summary>Builds a record; its ArgumentException becomes a usage error led by the option's name.</summary>
    private static T Checked<T>(string flag, Func<T> build)
    {
        try { return build(); }
        catch (ArgumentException e) { throw new UsageException($"{flag}: {PlainMessage(e)}"); }
    }

    /// <summary>The message without .NET's " (Parameter 'name')" and "Actual value was" additions.</summary>
    internal static string PlainMessage(ArgumentException e)
    {
        var text = e.Message.Split('\n', 2)[0].TrimEnd('\r');
        int cut = e.ParamName is { } name ? text.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal) : -1;
        return cut >= 0 ? text[..cut] : text;
    }
}
