using System.Text.Json;
using System.Text.Json.Nodes;
using Sbi.Data;
using Sbi.Estimators;
using Sbi.Format;
using Sbi.IO;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Bench;

/// <summary>
/// The bench folder of <c>sbi-net bench posteriors --out DIR</c>: everything python/bench_posteriors_sbi.py needs to run
/// sbi on the same weights, data and settings, and Sbi.Net's samples to compare with. Files:
/// <list type="bullet">
/// <item><c>estimator.pt</c>: the weights as sbi's state dict (<see cref="SbiStateDict.Save"/>; sbi loads it with
/// <c>load_state_dict(strict=True)</c>), <c>estimator_config.json</c> its configuration (sbi's field names);</item>
/// <item><c>theta.npy</c>, <c>x.npy</c> (the simulations; sbi's builder needs a batch to build on), <c>x_o.npy</c> (1, D);</item>
/// <item><c>sbinet_METHOD.npy</c>: Sbi.Net's samples per method;</item>
/// <item><c>settings.json</c>: the settings (sample counts, sampler settings, seed, threads) and Sbi.Net's figures per method.</item>
/// </list>
/// The script writes <c>sbi_METHOD.npy</c> and <c>sbi_times.json</c> beside them.
/// <para>Written atomically: every file is first written in full into a staging folder beside DIR and then renamed
/// into DIR (one rename per file, each atomic on one file system), <c>settings.json</c> last, so a folder whose
/// settings.json is new is complete. sbi's outputs of an earlier run are removed first.</para>
/// </summary>
public static class PosteriorBenchFolder
{
    /// <summary>The settings file's <c>format</c> value.</summary>
    public const string Format = "sbi-net-bench-posteriors";

    /// <summary>The settings file's <c>format_version</c>.</summary>
    public const int FormatVersion = 1;

    /// <summary>File names.</summary>
    public const string SettingsFile = "settings.json", StateDictFile = "estimator.pt", ConfigFile = "estimator_config.json",
                        ThetaFile = "theta.npy", XFile = "x.npy", XOFile = "x_o.npy", SbiTimesFile = "sbi_times.json";

    /// <summary>Sbi.Net's samples of <paramref name="method"/>.</summary>
    public static string SbiNetSamplesFile(string method) => $"sbinet_{method}.npy";

    /// <summary>sbi's samples of <paramref name="method"/> (written by python/bench_posteriors_sbi.py).</summary>
    public static string SbiSamplesFile(string method) => $"sbi_{method}.npy";

    /// <summary>Writes the folder (see the class summary); <paramref name="results"/> are the rows and samples of <see cref="PosteriorBench.RunMethod"/>.</summary>
    /// <remarks><paramref name="fittedProposal"/> is the Gaussian of the fitted-proposal methods (<see cref="PosteriorBench.FitProposal"/>), written to settings.json for sbi's side; null when none ran.</remarks>
    public static void Write(string dir, PosteriorBenchSettings settings, GaussianLinearTask task, PosteriorBenchEstimator trained,
                             IReadOnlyList<(PosteriorBenchRow Row, Tensor? Samples)> results, (Tensor Mean, Tensor Covariance)? fittedProposal = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(trained);
        ArgumentNullException.ThrowIfNull(results);
        var full = Path.GetFullPath(dir);
        var parent = Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar)) ?? full;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar))}.{Guid.NewGuid():N}.staging");
        Directory.CreateDirectory(staging);
        try
        {
            var names = new List<string>();
            void Npy(string name, NpyArray a)
            {
                Sbi.Numpy.Npy.Write(Path.Combine(staging, name), a);
                names.Add(name);
            }
            SbiStateDict.Save(Path.Combine(staging, StateDictFile), trained.Estimator);
            names.Add(StateDictFile);
            File.WriteAllText(Path.Combine(staging, ConfigFile), EstimatorConfigJson.ToJson(trained.Estimator.Config).ToJsonString(Indented));
            names.Add(ConfigFile);
            Npy(ThetaFile, task.Theta.ToNpy());
            Npy(XFile, task.X.ToNpy());
            Npy(XOFile, task.XO.ToNpy());
            foreach (var (row, samples) in results)
                if (samples is not null) Npy(SbiNetSamplesFile(row.Method), samples.ToNpy());
            File.WriteAllText(Path.Combine(staging, SettingsFile), SettingsJson(settings, task, trained, results, fittedProposal).ToJsonString(Indented));

            Directory.CreateDirectory(full);
            foreach (var stale in PosteriorBenchSettings.AllMethods.Select(SbiSamplesFile).Append(SbiTimesFile)
                                                           .Concat(PosteriorBenchSettings.AllMethods.Select(SbiNetSamplesFile)))
                if (!names.Contains(stale)) File.Delete(Path.Combine(full, stale));
            foreach (var name in names) File.Move(Path.Combine(staging, name), Path.Combine(full, name), overwrite: true);
            File.Move(Path.Combine(staging, SettingsFile), Path.Combine(full, SettingsFile), overwrite: true);
        }
        finally
        {
            try { Directory.Delete(staging, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>settings.json: what the script needs to repeat each method, and Sbi.Net's figures for the record.</summary>
    private static JsonObject SettingsJson(PosteriorBenchSettings s, GaussianLinearTask task, PosteriorBenchEstimator trained,
                                           IReadOnlyList<(PosteriorBenchRow Row, Tensor? Samples)> results, (Tensor Mean, Tensor Covariance)? fitted)
    {
        var methods = new JsonObject();
        foreach (var m in s.Methods)
        {
            var entry = new JsonObject
            {
                ["sample_with"] = PosteriorBenchSettings.SampleWithOf(m),
                ["num_samples"] = s.SamplesFor(m),
                ["sbinet_samples_file"] = SbiNetSamplesFile(m),
                ["sbi_samples_file"] = SbiSamplesFile(m),
            };
            if (PosteriorBenchSettings.UsesFittedProposal(m)) entry["proposal"] = "fitted";
            if (m.StartsWith(PosteriorBenchSettings.ViPrefix, StringComparison.Ordinal)) entry["vi_method"] = m[PosteriorBenchSettings.ViPrefix.Length..];
            if (results.FirstOrDefault(r => r.Row.Method == m).Row is { } row)
            {
                entry["sbinet_seconds"] = Finite(row.Seconds);
                entry["sbinet_drawn"] = row.Drawn;
                entry["sbinet_c2st_analytic"] = row.C2stAnalytic;
                entry["sbinet_diagnostics"] = row.Diagnostics;
                if (row.Failure is not null) entry["sbinet_failure"] = row.Failure;
            }
            methods[m] = entry;
        }
        return new JsonObject
        {
            ["format"] = Format,
            ["format_version"] = FormatVersion,
            ["task"] = "gaussian_linear",
            ["sims"] = s.Sims,
            ["dim"] = s.Dim,
            ["seed"] = s.Seed,
            ["threads"] = s.Threads,
            ["estimator"] = s.Estimator,
            ["epochs"] = trained.Epochs,
            ["training_seconds"] = trained.Seconds,
            ["x_o"] = Numbers(task.XO),
            ["observation"] = s.Observation,
            ["c2st_samples"] = s.C2stSamples,
            ["rejection_max_sampling_time"] = s.RejectionMaxSeconds,
            ["importance_method"] = "sir",
            ["importance_oversampling_factor"] = 32,
            ["mcmc"] = new JsonObject
            {
                ["num_chains"] = s.NumChains,
                ["warmup_steps"] = s.WarmupSteps,
                ["thin"] = s.Thin,
                ["init_strategy"] = s.InitStrategy,
                ["num_workers"] = s.NumWorkers,
            },
            ["vi"] = new JsonObject
            {
                ["max_num_iters"] = s.ViIterations,
                ["n_particles"] = s.ViParticles,
                ["warm_up_rounds"] = s.ViWarmUpRounds,
                ["check_for_convergence"] = false,
                ["quality_control"] = false,
            },
            ["fitted_proposal"] = fitted is { } f ? new JsonObject
            {
                ["mean"] = Numbers(f.Mean),
                ["covariance"] = new JsonArray(Enumerable.Range(0, (int)f.Covariance.shape[0]).Select(i => (JsonNode)Numbers(f.Covariance[i])).ToArray()),
                ["inflation"] = PosteriorBenchSettings.FittedProposalInflation,
                ["direct_samples"] = PosteriorBenchSettings.FittedProposalSamples,
            } : null,
            ["methods"] = methods,
            ["sbinet_version"] = typeof(PosteriorBenchFolder).Assembly.GetName().Version?.ToString(),
        };
    }

    /// <summary>sbi's figures of one method, read from <c>sbi_times.json</c>.</summary>
    /// <param name="Method">The method.</param>
    /// <param name="Seconds">Wall time of sbi's timed <c>sample</c> call, or null.</param>
    /// <param name="Drawn">Samples sbi returned.</param>
    /// <param name="Skipped">Why sbi did not run the method ("pyro not installed", an error), or null.</param>
    /// <param name="SbiMethod">The name sbi ran it under (hmc → hmc_pyro), or null.</param>
    /// <param name="TrainingSeconds">VI: the part of <paramref name="Seconds"/> spent in <c>VIPosterior.train</c>, or null.</param>
    /// <param name="ParetoK">VI: sbi's PSIS Pareto-k̂ of its q, or null.</param>
    public sealed record SbiTiming(string Method, double? Seconds, long Drawn, string? Skipped, string? SbiMethod,
                                   double? TrainingSeconds = null, double? ParetoK = null);

    /// <summary>sbi's timings (sbi_times.json) and versions, per method.</summary>
    public static (IReadOnlyDictionary<string, SbiTiming> Timings, string Versions) ReadSbiTimes(string dir)
    {
        var path = Path.Combine(dir, SbiTimesFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: python/bench_posteriors_sbi.py wrote no timings", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var timings = new Dictionary<string, SbiTiming>(StringComparer.Ordinal);
        if (root.TryGetProperty("methods", out var methods) && methods.ValueKind == JsonValueKind.Object)
            foreach (var m in methods.EnumerateObject())
            {
                var v = m.Value;
                double? seconds = v.TryGetProperty("seconds", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : null;
                long drawn = v.TryGetProperty("drawn", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetInt64() : 0;
                string? skipped = v.TryGetProperty("skipped", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
                string? sbiMethod = v.TryGetProperty("sbi_method", out var sm) && sm.ValueKind == JsonValueKind.String ? sm.GetString() : null;
                double? training = v.TryGetProperty("training_seconds", out var ts) && ts.ValueKind == JsonValueKind.Number ? ts.GetDouble() : null;
                double? paretoK = v.TryGetProperty("pareto_k", out var pk) && pk.ValueKind == JsonValueKind.Number ? pk.GetDouble() : null;
                timings[m.Name] = new SbiTiming(m.Name, seconds, drawn, skipped, sbiMethod, training, paretoK);
            }
        string versions = root.TryGetProperty("versions", out var ver) && ver.ValueKind == JsonValueKind.Object
            ? string.Join(", ", ver.EnumerateObject().Select(p => $"{p.Name} {p.Value}"))
            : "";
        return (timings, versions);
    }

    /// <summary>sbi's samples of <paramref name="method"/> (n, D), or null where the script wrote none.</summary>
    public static Tensor? ReadSbiSamples(string dir, string method)
    {
        var path = Path.Combine(dir, SbiSamplesFile(method));
        if (!File.Exists(path)) return null;
        return Npy.Read(path).ToTensor().to(ScalarType.Float32);
    }

    /// <summary>A tensor's values as a flat JSON array of numbers (float32 widened exactly to double).</summary>
    private static JsonArray Numbers(Tensor t) =>
        new(t.reshape(-1).to(ScalarType.Float32).cpu().data<float>().ToArray().Select(v => (JsonNode)(double)v).ToArray());

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
