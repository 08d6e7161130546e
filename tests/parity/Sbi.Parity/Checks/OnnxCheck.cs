using System.Runtime.CompilerServices;
using Microsoft.ML.OnnxRuntime;
using Sbi.Distributions;
using Sbi.IO;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using Sbi.Onnx.Runtime;
using Sbi.Parity.Data;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 6: the Sbi.Net estimator loaded with sbi's weights, saved as a Sbi.Net model file, exported by Sbi.Onnx to
/// an ONNX package and evaluated by ONNX Runtime (no TorchSharp in the evaluation), against sbi's outputs on the
/// same inputs: log-densities (case 1's rows and tolerances), samples from sbi's base noise (case 4a) and the
/// <see cref="OnnxPosterior"/> as a DirectPosterior with leakage (case 4b, Monte-Carlo z).
/// Tolerances are those of the TorchSharp cases: 1e-5 for log q, except nsf 3e-5 (<see cref="Tolerances.NsfLogProbAbs"/>):
/// sbi's own float32 nsf log q is 1.5e-5 from float64, and tests/Sbi.Onnx.Tests/ParityTests.LogProbTolerance found
/// the exported float32 graph 1.2e-5 to 2.2e-5 from a float64 port of the same formulas, so two float32
/// evaluations of the same spline can differ by their sum; 1e-4 for samples.
/// </summary>
public static class OnnxCheck
{
    private static readonly ConditionalWeakTable<ArrayBundle, string> Packages = new();
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
    public static string Package(ArrayBundle weights)
    {
        lock (Gate)
        {
            if (Packages.TryGetValue(weights, out var existing)) return existing;
            var dir = Path.Combine(Root, Guid.NewGuid().ToString("N")[..12]);
            using (var scope = NewDisposeScope())
            {
                using var est = EstimatorLoader.Load(weights);
                using var prior = new BoxUniform(weights.Tensor("prior_low"), weights.Tensor("prior_high"));
                var file = Path.Combine(dir, "model.npz");
                ModelFile.Save(file, est, prior);
                PosteriorExporter.Export(EstimatorModel.LoadNpz(file), Path.Combine(dir, "pkg"));
            }
            var pkg = Path.Combine(dir, "pkg");
            Packages.Add(weights, pkg);
            return pkg;
        }
    }

    /// <summary>log_prob.onnx on the bundle's (θ, x) rows against sbi's log q.</summary>
    public static IReadOnlyList<CaseResult> LogProb(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        string kind = EstimatorLoader.Config(b.Json("config_json")).Kind;
        var theta = b["theta"]; var x = b["x"];
        var lp = Run(Path.Combine(Package(b), PosteriorExporter.LogProbFile), ("theta", theta.AsFloat32(), theta.Shape), ("x", x.AsFloat32(), x.Shape));
        return new[] { CaseResult.Check(id, b.Origin, $"max |Δ log q| ONNX ({theta.Shape[0]} rows)",
            Diff.MaxAbs(tensor(lp), b.Tensor("log_prob")), Tolerances.LogProbAbsFor(kind)) };
    }

    /// <summary>sample.onnx on sbi's base noise and conditions against sbi's samples (flows).</summary>
    public static IReadOnlyList<CaseResult> NoiseSamples(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        var noise = b["noise"]; var x = b["x_cond"];
        var s = Run(Path.Combine(Package(b), PosteriorExporter.SampleFile), ("x", x.AsFloat32(), x.Shape), ("noise", noise.AsFloat32(), noise.Shape));
        return new[] { CaseResult.Check(id, b.Origin, $"max |Δ sample| ONNX ({noise.Shape[0]}x{noise.Shape[1]} noise draws)",
            Diff.MaxAbs(tensor(s).reshape(noise.Shape), b.Tensor("samples")), Tolerances.NoiseSamplesAbs) };
    }

    /// <summary>
    /// <see cref="OnnxPosterior"/> over the package of <paramref name="weights"/> at sbi's observation: the same
    /// measures as <see cref="DirectPosteriorCheck"/> (leakage factor and rejection-sample moments within Monte-Carlo
    /// error, raw log_prob and log_prob + log factor against sbi's).
    /// </summary>
    public static IReadOnlyList<CaseResult> Direct(string id, ArrayBundle b, ArrayBundle weights, int seed = 12345)
    {
        using var scope = NewDisposeScope();
        string kind = EstimatorLoader.Config(weights.Json("config_json")).Kind;
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
        double rawErr = Diff.MaxAbs(lpRaw, b.Tensor("eval_log_prob_raw"));
        double normErr = Diff.MaxAbs(lpNorm + Math.Log(accOurs), b.Tensor("eval_log_prob").to(ScalarType.Float64) + Math.Log(accSbi));

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

        return new[]
        {
            CaseResult.Check(id, b.Origin, "ONNX leakage factor |z|", Math.Abs(zAcc), Tolerances.MonteCarloZ, $"acceptance {accOurs:F4} vs sbi {accSbi:F4}"),
            CaseResult.Check(id, b.Origin, $"ONNX log_prob raw, max abs ({evalTheta.Shape[0]} rows, 6 outside)", rawErr, Tolerances.LogProbAbsFor(kind)),
            CaseResult.Check(id, b.Origin, "ONNX log_prob + log factor, max abs", normErr, Tolerances.LogProbAbsFor(kind)),
            CaseResult.Check(id, b.Origin, $"ONNX rejection samples mean/var, max |z| ({n} each)", zMoments, Tolerances.MonteCarloZ,
                $"mean [{Fmt(mean)}] vs sbi [{Fmt(sMean)}]"),
        };
    }

    /// <summary>The package's prior must be the box sbi's DirectPosterior used (the weights fixture's prior).</summary>
    private static void CheckPrior(OnnxPosterior post, ArrayBundle b)
    {
        if (post.Prior is not BoxUniformPrior box || !box.Low.SequenceEqual(b["prior_low"].AsFloat32()) || !box.High.SequenceEqual(b["prior_high"].AsFloat32()))
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
