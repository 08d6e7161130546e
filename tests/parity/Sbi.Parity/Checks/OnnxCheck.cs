using System.Runtime.CompilerServices;
using Microsoft.ML.OnnxRuntime;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.IO;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using Sbi.Onnx.Runtime;
using Sbi.Parity.Data;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 6: the Sbi.Net estimator loaded with sbi's weights, saved as a Sbi.Net model file, exported by Sbi.Onnx to
/// an ONNX package and evaluated by ONNX Runtime (no TorchSharp in the evaluation), against sbi's outputs on the
/// same inputs: log-densities (case 1's rows), samples from sbi's base noise (case 4a) and the
/// <see cref="OnnxPosterior"/> as a DirectPosterior with leakage (case 4b, Monte-Carlo z). ONNX Runtime computes in
/// float32 only: its outputs are held to the float64 evaluation of the same weights by the TorchSharp estimator
/// (whose float64 values are sbi's float64 values, case 1) within <see cref="Tolerances.Float32"/> of sbi's own
/// float32 error on the same rows (<see cref="FloatAgreement"/>).
/// </summary>
public static class OnnxCheck
{
    private static readonly ConditionalWeakTable<ArrayBundle, Dictionary<bool, string>> Packages = new();
    private static readonly object Gate = new();
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"sbi-parity-onnx-{Environment.ProcessId}");

    static OnnxCheck()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { if (Directory.Exists(Root)) Directory.Delete(Root, true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        };
    }

    /// <summary>
    /// The ONNX package of the bundle's weights, made once per bundle: sbi's state dict → Sbi.Net estimator
    /// (<see cref="EstimatorLoader"/>) → <see cref="ModelFile.Save(string, Sbi.Estimators.ConditionalDensityEstimator, IDistribution, Tensor?)"/>
    /// with the bundle's box prior → <see cref="EstimatorModel.LoadNpz"/> → <see cref="PosteriorExporter.Export"/>.
    /// </summary>
    public static string Package(ArrayBundle weights, bool pruneAutoregressivePasses = true)
    {
        lock (Gate)
        {
            var byOption = Packages.GetOrCreateValue(weights);
            if (byOption.TryGetValue(pruneAutoregressivePasses, out var existing)) return existing;
            var dir = Path.Combine(Root, Guid.NewGuid().ToString("N")[..12]);
            using (var scope = NewDisposeScope())
            {
                using var est = EstimatorLoader.Load(weights);
                using var prior = new BoxUniform(weights.Tensor("prior_low"), weights.Tensor("prior_high"));
                var file = Path.Combine(dir, "model.npz");
                ModelFile.Save(file, est, prior);
                PosteriorExporter.Export(EstimatorModel.LoadNpz(file), Path.Combine(dir, "pkg"),
                    new ExportOptions { PruneAutoregressivePasses = pruneAutoregressivePasses });
            }
            return byOption[pruneAutoregressivePasses] = Path.Combine(dir, "pkg");
        }
    }

    /// <summary>log_prob.onnx on the bundle's (θ, x) rows against sbi's log q.</summary>
    public static IReadOnlyList<CaseResult> LogProb(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        var theta = b["theta"]; var x = b["x"];
        var lp = Run(Path.Combine(Package(b), PosteriorExporter.LogProbFile), ("theta", theta.AsFloat32(), theta.Shape), ("x", x.AsFloat32(), x.Shape));
        using var est64 = Float64.Convert(EstimatorLoader.Load(b));
        using var _ = no_grad();
        var lp64 = est64.LogProb(b.Tensor("theta").D().unsqueeze(0), b.Tensor("x").D())[0];
        return CaseResult.Agreement(id, b.Origin, $"ONNX log q ({theta.Shape[0]} rows)",
            FloatAgreement.Of(tensor(lp), lp64, b.Tensor("log_prob"), b.Tensor("f64/log_prob"), est64.Config.HiddenFeatures)).ToList();
    }

    /// <summary>
    /// sample.onnx on sbi's base noise and conditions against sbi's samples (flows); for MAF also the graph without the
    /// pruned autoregressive passes (<see cref="ExportOptions.PruneAutoregressivePasses"/> false, nflows' D full passes).
    /// </summary>
    public static IReadOnlyList<CaseResult> NoiseSamples(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        var noise = b["noise"]; var x = b["x_cond"];
        using var flow64 = Float64.Convert((FlowEstimator)EstimatorLoader.Load(b));
        using var _ = no_grad();
        var s64 = flow64.SampleFromNoise(b.Tensor("noise").D(), b.Tensor("x_cond").D());
        var results = new List<CaseResult>();
        foreach (bool prune in flow64.Config.Estimator == "maf" ? new[] { true, false } : new[] { true })
        {
            var s = Run(Path.Combine(Package(b, prune), PosteriorExporter.SampleFile), ("x", x.AsFloat32(), x.Shape), ("noise", noise.AsFloat32(), noise.Shape));
            results.AddRange(CaseResult.Agreement(id, b.Origin, $"ONNX samples{(prune ? "" : ", unpruned passes")} ({noise.Shape[0]}x{noise.Shape[1]} noise draws)",
                FloatAgreement.Of(tensor(s).reshape(noise.Shape), s64, b.Tensor("samples"), b.Tensor("f64/samples"), flow64.Config.HiddenFeatures)));
        }
        return results;
    }

    /// <summary>
    /// <see cref="OnnxPosterior"/> over the package of <paramref name="weights"/> at sbi's observation: the same
    /// measures as <see cref="DirectPosteriorCheck"/> (leakage factor and rejection-sample moments within Monte-Carlo
    /// error, raw log_prob and log_prob + log factor against sbi's).
    /// </summary>
    public static IReadOnlyList<CaseResult> Direct(string id, ArrayBundle b, ArrayBundle weights, int seed = 12345)
    {
        using var scope = NewDisposeScope();
        using var post = OnnxPosterior.Load(Package(weights), new OnnxPosteriorOptions { IntraOpThreads = 1, LeakageSeed = seed, Log = _ => { } });
        var xo = b["x_o"].AsFloat32();
        CheckPrior(post, b);

        double accOurs = post.LeakageAcceptance(xo);
        double accSbi = b.Scalar("leakage_acceptance"), nSbi = b.Scalar("leakage_num_proposed");
        // OnnxPosterior proposed at least 10,000/acceptance rows; this lower bound overstates its error slightly.
        double nOurs = Math.Max(10_000 / Math.Max(accOurs, 1e-12), 1);
        double zAcc = (accOurs - accSbi) / Math.Sqrt(accOurs * (1 - accOurs) / nOurs + accSbi * (1 - accSbi) / nSbi);

        var evalTheta = b["eval_theta"];
        var theta = To2D(evalTheta.AsFloat32(), (int)evalTheta.Shape[0], post.D);
        var lpNorm = tensor(post.LogProb(theta, xo)).to(ScalarType.Float64);
        var lpRaw = tensor(post.LogProb(theta, xo, normalize: false));
        using var est64 = Float64.Convert(EstimatorLoader.Load(weights));
        using var prior = new BoxUniform(b.Tensor("prior_low"), b.Tensor("prior_high"));
        FloatAgreement raw, norm;
        using (no_grad()) (raw, norm) = DirectPosteriorCheck.LogProbAgreements(lpRaw, lpNorm + Math.Log(accOurs), est64, prior, b, accSbi);

        long n = (long)b.Scalar("num_samples");
        var drawn = post.Sample((int)n, xo, new Random(seed));
        var flat = new float[drawn.Length];
        Buffer.BlockCopy(drawn, 0, flat, 0, flat.Length * sizeof(float));
        var s = tensor(flat).reshape(n, post.D).to(ScalarType.Float64);
        var mean = s.mean(new long[] { 0 });
        var centred = s - mean;
        var variance = centred.pow(2).sum(new long[] { 0 }) / (n - 1);
        var m4 = centred.pow(4).mean(new long[] { 0 });
        var sMean = b.Tensor("sample_mean"); var sVar = b.Tensor("sample_var"); var sM4 = b.Tensor("sample_m4");
        var zMean = (mean - sMean) / ((variance / n) + (sVar / n)).sqrt();
        var zVar = (variance - sVar) / (((m4 - variance.pow(2)) / n) + ((sM4 - sVar.pow(2)) / n)).sqrt();
        double zMoments = Math.Max(zMean.abs().max().item<double>(), zVar.abs().max().item<double>());

        return new[] { CaseResult.Check(id, b.Origin, "ONNX leakage factor |z|", Math.Abs(zAcc), Tolerances.MonteCarloZ, $"acceptance {accOurs:F4} vs sbi {accSbi:F4}") }
            .Concat(CaseResult.Agreement(id, b.Origin, $"ONNX log_prob raw ({evalTheta.Shape[0]} rows, 6 outside)", raw))
            .Concat(CaseResult.Agreement(id, b.Origin, "ONNX log_prob + log factor", norm))
            .Append(CaseResult.Check(id, b.Origin, $"ONNX rejection samples mean/var, max |z| ({n} each)", zMoments, Tolerances.MonteCarloZ,
                $"mean [{Fmt(mean)}] vs sbi [{Fmt(sMean)}]")).ToList();
    }

    /// <summary>The package's prior must be the box sbi's DirectPosterior used (the weights fixture's prior).</summary>
    private static void CheckPrior(OnnxPosterior post, ArrayBundle b)
    {
        if (post.Prior is not BoxUniformSpec box || !box.Low.SequenceEqual(b["prior_low"].AsFloat32()) || !box.High.SequenceEqual(b["prior_high"].AsFloat32()))
            throw new InvalidOperationException($"the exported package's prior ({post.Prior}) is not sbi's box [{string.Join(", ", b["prior_low"].AsFloat32())}], [{string.Join(", ", b["prior_high"].AsFloat32())}]");
    }

    /// <summary>Runs one graph once (one intra-op thread) and returns its first output, flattened.</summary>
    private static float[] Run(string onnxPath, params (string Name, float[] Data, long[] Shape)[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnxPath, options);
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToArray();
        try
        {
            using var run = new RunOptions();
            using var outputs = session.Run(run, inputs.Select(i => i.Name).ToArray(), values, session.OutputNames.ToArray());
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    private static float[,] To2D(float[] flat, int rows, int cols)
    {
        var r = new float[rows, cols];
        Buffer.BlockCopy(flat, 0, r, 0, flat.Length * sizeof(float));
        return r;
    }

    private static string Fmt(Tensor t) => string.Join(", ", t.to(ScalarType.Float64).data<double>().ToArray().Select(v => v.ToString("F3")));
}
