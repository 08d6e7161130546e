using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.IO;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using Sbi.Onnx.Runtime;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Samplers.Vi;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Onnx.Tests;

/// <summary>
/// A fitted VI posterior exported to an ONNX package ("vi": q's family graphs joined with the prior's θ transform) and
/// served by <see cref="OnnxPosterior"/> as a direct posterior is: its log-densities are q's, its samples lie in the prior's
/// support and follow q, and a single-x package refuses other observations.
/// </summary>
public class VIExportTests
{
    private int _threads;

    [OneTimeSetUp] public void OneThread() { _threads = get_num_threads(); set_num_threads(1); }
    [OneTimeTearDown] public void RestoreThreads() => set_num_threads(_threads);

    /// <summary>
    /// For a MAF q trained by rKL (an inverse autoregressive flow) and an NSF q on a box prior (θ = low + w·sigmoid(z)), a
    /// MAF q trained by fKL (the usual orientation) and a Gaussian q on a normal prior (θ = μ + σz):
    /// ONNX Runtime's log-densities at q's samples and prior samples (for the box, those at least 10⁻³ of its width inside
    /// the faces, where the logit is well conditioned, and within 50 nats of q's largest density) are as close to the float64
    /// evaluation of the same q as
    /// TorchSharp's float32 ones are (<see cref="Tolerances.Float32"/>, the rule the suite applies to every exported graph);
    /// every one of 20,000 ONNX samples lies in the support; and the mean and standard deviation of each coordinate agree
    /// with 20,000 TorchSharp samples of q within <see cref="Tolerances.MonteCarloZ"/> standard errors (two independent
    /// samples: SE of a mean difference √(s₁²/n + s₂²/n); of a variance difference √(2(s₁⁴ + s₂⁴)/(n − 1)) for the
    /// near-Gaussian marginals, checked on the variances).
    /// </summary>
    [TestCase("maf", "box", "rKL")]
    [TestCase("maf", "normal", "fKL")]
    [TestCase("nsf", "box", "rKL")]
    [TestCase("gaussian", "normal", "alpha")]
    public void AnExportedVIPosteriorEvaluatesAndSamplesAsItsQ(string q, string priorKind, string method)
    {
        using var scope = NewDisposeScope();
        manual_seed(61);
        IDistribution prior = priorKind == "box" ? new BoxUniform(tensor(new float[] { -2, 0 }), tensor(new float[] { 2, 3 })) : new MultivariateNormal(zeros(2), 4 * eye(2));
        var post = new VIPosterior(new Gaussian(prior), prior, new VIPosteriorParameters(q: q, viMethod: method, numTransforms: 2, hiddenFeatures: 12), logger: NullLogger.Instance);
        var xo = tensor(new float[] { 0.3f, -0.7f, 1.1f });
        post.Train(xo, maxNumIters: 150, learningRate: 5e-3, warmUpRounds: 20, qualityControl: false);
        var dir = Path.Combine(Path.GetTempPath(), "sbi-onnx-tests-" + Environment.ProcessId, "vi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "vi.npz");
        VIModelFile.Save(file, post);
        var manifest = PosteriorExporter.Export(EstimatorModel.LoadNpz(file, _ => { }), Path.Combine(dir, "pkg"));
        Assert.That(manifest.EstimatorName, Is.EqualTo("vi"));
        Assert.That(manifest.Estimator["q"]!["estimator"]!.GetValue<string>(), Is.EqualTo(q));
        Assert.That(manifest.Estimator["q_orientation"]!.GetValue<string>(), Is.EqualTo(q == "maf" && method != "fKL" ? "iaf" : "standard"));
        using var onnx = OnnxPosterior.Load(Path.Combine(dir, "pkg"), new OnnxPosteriorOptions { Log = _ => { } });
        var x = xo.data<float>().ToArray();

        // Log-densities against the float64 evaluation of the same q.
        var theta = cat([post.Sample(2000), prior.Sample(500).to(ScalarType.Float32)], 0);
        if (prior is BoxUniform box)
        {
            // Away from the faces: there T(θ) = logit((θ − low)/w) is ill-conditioned (θ's own float32 rounding moves z by
            // u/(s(1 − s))), which would compare roundings of θ rather than the graphs.
            var s01 = (theta - box.Low) / (box.High - box.Low);
            theta = theta.index(s01.gt(1e-3).logical_and(s01.lt(1 - 1e-3)).all(-1));
        }
        var lp32 = post.LogProb(theta);
        var q64 = VariationalFamilies.Rebuild(post.Q!.Q.Config);
        StateDictLoader.Load(q64, post.Q.Q.state_dict());
        q64.to(ScalarType.Float64);
        Tensor lp64;
        using (no_grad()) lp64 = new VariationalDistribution(q64, post.ThetaTransform, post.Q.InverseAutoregressive).LogProb(theta.to(ScalarType.Float64), xo.unsqueeze(0).to(ScalarType.Float64));
        var rows = new float[theta.shape[0], 2];
        var flat = theta.data<float>().ToArray();
        for (int i = 0; i < rows.GetLength(0); i++) { rows[i, 0] = flat[2 * i]; rows[i, 1] = flat[2 * i + 1]; }
        var lpOnnx = tensor(onnx.LogProb(rows, x, normalize: false));
        // Rows within 50 nats of q's largest density: further out an inverse autoregressive q's inverse divides by scales
        // near their 10⁻³ floor and amplifies every rounding (a density e⁻⁵⁰ below the mode, which no sample reaches).
        var relevant = lp64.gt(lp64.max() - 50);
        (lp32, lp64, lpOnnx) = (lp32.index(relevant), lp64.index(relevant), lpOnnx.index(relevant));
        Assert.That(relevant.sum().item<long>(), Is.GreaterThanOrEqualTo(2000), "q's own samples are all relevant");
        double bound = Tolerances.Float32(Diff.MaxAbs(lp32, lp64), 12, Diff.MaxAbsValue(lp64));
        double onnxError = Diff.MaxAbs(lpOnnx, lp64);
        TestContext.Out.WriteLine($"{q}/{method}: |ONNX − float64| = {onnxError:E2}, |TorchSharp − float64| = {Diff.MaxAbs(lp32, lp64):E2}, bound {bound:E2}");
        Assert.That(onnxError, Is.LessThanOrEqualTo(bound), "ONNX log-densities");
        Assert.That(onnx.LeakageAcceptance(x), Is.EqualTo(1.0), "every sample lies in the support");

        // Samples: support and moments.
        const int n = 20_000;
        var s = onnx.Sample(n, x, seed: 5);
        for (int i = 0; i < n; i++) Assert.That(prior.ToSpec().InSupport(new[] { s[i, 0], s[i, 1] }), $"sample {i}");
        var ours = post.Sample(n);
        for (int j = 0; j < 2; j++)
        {
            var a = Enumerable.Range(0, n).Select(i => (double)s[i, j]).ToArray();
            var b = ours.select(1, j).to(ScalarType.Float64).data<double>().ToArray();
            double ma = a.Average(), mb = b.Average();
            double va = a.Sum(v => (v - ma) * (v - ma)) / (n - 1), vb = b.Sum(v => (v - mb) * (v - mb)) / (n - 1);
            Assert.That(Math.Abs(ma - mb) / Math.Sqrt(va / n + vb / n), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"mean of θ{j}");
            Assert.That(Math.Abs(va - vb) / Math.Sqrt(2 * (va * va + vb * vb) / (n - 1)), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"variance of θ{j}");
        }

        var other = Assert.Throws<ArgumentException>(() => onnx.Sample(10, new[] { 0f, 0f, 0f }, seed: 1))!;
        Assert.That(other.Message, Does.Contain("fitted at x_o"));
    }

    /// <summary>An amortised q's package samples at any x, inside the support.</summary>
    [Test]
    public void AnAmortizedPackageSamplesAtAnyX()
    {
        using var scope = NewDisposeScope();
        manual_seed(62);
        using var prior = new BoxUniform(tensor(new float[] { -3, -3 }), tensor(new float[] { 3, 3 }));
        var post = new VIPosterior(new Gaussian(prior), prior, new VIPosteriorParameters(q: "maf", numTransforms: 1, hiddenFeatures: 8), logger: NullLogger.Instance);
        var th = prior.Sample(400);
        post.TrainAmortized(th, cat([th, th.narrow(1, 0, 1)], 1), maxNumIters: 20, batchSize: 16);
        var dir = Path.Combine(Path.GetTempPath(), "sbi-onnx-tests-" + Environment.ProcessId, "vi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "vi.npz");
        VIModelFile.Save(file, post);
        PosteriorExporter.Export(EstimatorModel.LoadNpz(file, _ => { }), Path.Combine(dir, "pkg"));
        using var onnx = OnnxPosterior.Load(Path.Combine(dir, "pkg"), new OnnxPosteriorOptions { Log = _ => { } });
        foreach (var x in new[] { new float[] { 0, 0, 0 }, new float[] { 2, -1, 2 } })
        {
            var s = onnx.Sample(1000, x, seed: 3);
            foreach (var v in s) Assert.That(v, Is.InRange(-3f, 3f));
        }
    }

    /// <summary>log N(θ; (0.5, 1.2), diag(0.4², 0.7²)), independent of x.</summary>
    private sealed class Gaussian(IDistribution prior) : BasePotential(prior, null), IPairedPotential
    {
        public override Tensor Evaluate(Tensor theta, bool trackGradients = true)
        {
            using var grad = trackGradients ? enable_grad() : no_grad();
            var z = (theta - tensor(new float[] { 0.5f, 1.2f })) / tensor(new float[] { 0.4f, 0.7f });
            return -0.5 * z.pow(2).sum(-1);
        }

        public Tensor EvaluatePaired(Tensor theta, Tensor x, bool trackGradients) => Evaluate(theta, trackGradients);
    }
}
