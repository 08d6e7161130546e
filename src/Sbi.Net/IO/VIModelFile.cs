using Microsoft.Extensions.Logging;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sbi.Data;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Numpy;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Samplers.Vi;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.IO;

/// <summary>
/// A fitted <see cref="VIPosterior"/> on disk, in the model format of <see cref="ModelFile"/> (one <c>.npz</c>: q's state
/// dict under <c>sd/</c> with its own key names, and <c>config_json</c> with member digests, the prior and the default x).
/// The configuration's "estimator" is <see cref="Estimator"/> ("vi"), so a plain model loader refuses the file instead of
/// reading q's unconstrained density as a posterior; its "options" hold q's own configuration ("q"), the VI method, the
/// mode, the observation a single-x q was fitted at ("trained_on"), the θ transform ("prior": the prior's own), q's
/// orientation ("q_orientation": "iaf" for a MAF used as an inverse autoregressive flow, else "standard") and the
/// posterior's parameters. <c>Sbi.Onnx</c> exports such a file (its "vi" exporter adds T⁻¹ to q's graphs).
/// </summary>
public static class VIModelFile
{
    /// <summary>The configuration's "estimator" of a VI posterior file.</summary>
    public const string Estimator = "vi";

    /// <summary>Saves a fitted posterior: q's weights, its configuration, the prior, the default x and the VI state.</summary>
    /// <exception cref="InvalidOperationException">q is not trained.</exception>
    /// <exception cref="ArgumentException">the θ transform is not the prior's own, or the prior cannot be saved (not a BoxUniform or MultivariateNormal).</exception>
    public static void Save(string path, VIPosterior posterior)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(posterior);
        if (posterior.Mode == VIMode.Untrained || posterior.Q is null)
            throw new InvalidOperationException("Only a trained VI posterior can be saved: call Train(x) or TrainAmortized first.");
        if (!posterior.UsesPriorTransform)
            throw new ArgumentException("A VI posterior with a custom θ transform cannot be saved (the file records the prior's own transform); build it without thetaTransform.", nameof(posterior));
        var q = posterior.Q.Q;
        var p = posterior.Parameters;
        var options = new JsonObject
        {
            ["q"] = EstimatorConfigJson.ToJson(q.Config),
            ["vi_method"] = posterior.ViMethod,
            ["mode"] = posterior.Mode == VIMode.SingleX ? "single_x" : "amortized",
            ["theta_transform"] = "prior",
            ["q_orientation"] = posterior.Q.InverseAutoregressive ? "iaf" : "standard",
            ["parameters"] = new JsonObject
            {
                ["q"] = p.Q, ["vi_method"] = p.ViMethod, ["num_transforms"] = p.NumTransforms, ["hidden_features"] = p.HiddenFeatures,
                ["z_score_theta"] = p.ZScoreTheta.ToSbiString(), ["z_score_x"] = p.ZScoreX.ToSbiString(),
            },
        };
        if (posterior.TrainedOn is { } xo) options["trained_on"] = new JsonArray(Floats(xo).Select(v => (JsonNode)(double)v).ToArray());
        var config = q.Config with { Estimator = Estimator, Options = options };
        var document = new ModelDocument(config, posterior.Prior.ToSpec(), posterior.DefaultX is { } dx ? Floats(dx) : null);
        ModelArchive.Write(path, document, q.state_dict().Select(kv => new KeyValuePair<string, NpyArray>(kv.Key, kv.Value.ToNpy())),
                           "Sbi.Net " + typeof(VIModelFile).Assembly.GetName().Version);
    }

    /// <summary>
    /// Loads a saved VI posterior. Sampling and log-densities need nothing else; training it further or
    /// <see cref="VIPosterior.Evaluate"/> needs its <paramref name="potential"/> (without one, the posterior's potential
    /// says so when called). A prior that the file cannot hold is passed as <paramref name="prior"/>.
    /// Notes while reading and the posterior's warnings go to <paramref name="logger"/> (standard error when null).
    /// </summary>
    /// <exception cref="SbiDataException">not a VI posterior file, a digest or weight check fails, or the configuration disagrees with the weights.</exception>
    public static VIPosterior Load(string path, BasePotential? potential = null, IDistribution? prior = null, ILogger? logger = null)
    {
        var (document, arrays) = ModelArchive.Read(path, m => logger.OrDefault().LogInformation(LogEvents.ModelFiles, m));
        var outer = document.Config;
        if (outer.Estimator != Estimator)
            throw new SbiDataException(path, $"is not a VI posterior (its estimator is '{outer.Estimator}', expected '{Estimator}'); load it with ModelFile.Load.");
        var options = outer.Options ?? throw new SbiDataException(path, "config_json has no \"options\" with the VI posterior's state.");
        var qConfig = ReadQConfig(options, path);
        if (qConfig.D != outer.D || qConfig.C != outer.C || !qConfig.XShape.SequenceEqual(outer.XShape))
            throw new SbiDataException(path, $"q's configuration (D = {qConfig.D}, C = {qConfig.C}) disagrees with the file's (D = {outer.D}, C = {outer.C}).");
        string mode = Text(options, "mode", path);
        if (mode is not ("single_x" or "amortized")) throw new SbiDataException(path, $"options \"mode\" must be 'single_x' or 'amortized'; got '{mode}'.");
        if (Text(options, "theta_transform", path) != "prior")
            throw new SbiDataException(path, "options \"theta_transform\" must be 'prior' (the only transform this build saves).");
        var p = prior ?? document.Prior?.ToDistribution() ?? throw new SbiDataException(path, "the file stores no prior; pass one.");
        if (p.Dim != outer.D) throw new SbiDataException(path, $"the prior has dimension {p.Dim}; q has D = {outer.D}.");
        if (arrays.Count == 0) throw new SbiDataException(path, $"stores no weights (no {ModelDocument.StateDictPrefix} members); expected q's state dict.");
        ConditionalDensityEstimator q;
        using (var scope = NewDisposeScope())
        {
            var tensors = arrays.ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor());
            FiniteWeights.Require(tensors, path);
            VariationalFamilies.CheckConsistency(qConfig, tensors, path);
            try
            {
                q = VariationalFamilies.Rebuild(qConfig);
                StateDictLoader.Load(q, tensors, path);
            }
            catch (ArgumentException e) { throw new SbiDataException(path, e.Message, e); }
        }
        q.eval();
        var parameters = ReadParameters(options, path);
        var posterior = new VIPosterior(potential ?? new UnavailablePotential(p), p, parameters, logger: logger);
        posterior.SetViMethod(Text(options, "vi_method", path));
        Tensor? trainedOn = null;
        if (mode == "single_x")
        {
            var values = options["trained_on"] as JsonArray ?? throw new SbiDataException(path, "a single-x VI posterior file needs options \"trained_on\".");
            trainedOn = tensor(values.Select(v => v!.GetValue<float>()).ToArray()).view(new long[] { 1 }.Concat(qConfig.XShape).ToArray());
        }
        string orientation = options["q_orientation"] is null ? "standard" : Text(options, "q_orientation", path);
        if (orientation is not ("standard" or "iaf")) throw new SbiDataException(path, $"options \"q_orientation\" must be 'standard' or 'iaf'; got '{orientation}'.");
        if (orientation == "iaf" && q is not FlowEstimator) throw new SbiDataException(path, $"options \"q_orientation\" is 'iaf' but q '{qConfig.Estimator}' is not a flow.");
        posterior.Restore(q, mode == "single_x" ? VIMode.SingleX : VIMode.Amortized, trainedOn, orientation == "iaf");
        if (document.DefaultX is { } dx) posterior.SetDefaultX(tensor(dx).view(new long[] { 1 }.Concat(qConfig.XShape).ToArray()));
        return posterior;
    }

    /// <summary>q's own configuration, from the options' "q" object.</summary>
    internal static EstimatorConfig ReadQConfig(JsonObject options, string source)
    {
        if (options["q"] is not JsonObject q) throw new SbiDataException(source, "config_json options have no \"q\" object (q's configuration).");
        using var doc = JsonDocument.Parse(q.ToJsonString());
        return EstimatorConfigJson.FromJson(doc.RootElement, source);
    }

    private static VIPosteriorParameters ReadParameters(JsonObject options, string source)
    {
        if (options["parameters"] is not JsonObject p) return new VIPosteriorParameters();
        try
        {
            return new VIPosteriorParameters(
                q: p["q"]?.GetValue<string>() ?? "maf", viMethod: p["vi_method"]?.GetValue<string>() ?? "rKL",
                numTransforms: p["num_transforms"]?.GetValue<int>() ?? 5, hiddenFeatures: p["hidden_features"]?.GetValue<int>() ?? 50,
                zScoreTheta: ZScoreModes.Parse(p["z_score_theta"]?.GetValue<string>() ?? "independent", "z_score_theta"),
                zScoreX: ZScoreModes.Parse(p["z_score_x"]?.GetValue<string>() ?? "independent", "z_score_x"));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new SbiDataException(source, $"options \"parameters\" are invalid: {e.Message}", e);
        }
    }

    private static string Text(JsonObject options, string key, string source)
    {
        try { return options[key]?.GetValue<string>() ?? throw new SbiDataException(source, $"config_json options have no \"{key}\"."); }
        catch (InvalidOperationException e) { throw new SbiDataException(source, $"config_json options \"{key}\" must be a string.", e); }
    }

    private static float[] Floats(Tensor t) => t.detach().cpu().reshape(-1).to(ScalarType.Float32).data<float>().ToArray();

    /// <summary>The potential of a posterior loaded without one: sampling and log-densities do not need it; training and evaluation say so.</summary>
    private sealed class UnavailablePotential(IDistribution prior) : BasePotential(prior, null)
    {
        public override Tensor Evaluate(Tensor theta, bool trackGradients = true) =>
            throw new InvalidOperationException("This VI posterior was loaded without its potential: pass the potential to VIModelFile.Load to train or evaluate it.");
    }
}
