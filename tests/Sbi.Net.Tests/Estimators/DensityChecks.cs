using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Estimators;

/// <summary>Checks shared by the estimator tests.</summary>
internal static class DensityChecks
{
    /// <summary>
    /// ∫ q(θ | x) dθ by trapezoid quadrature over a box one unit beyond the range of 20,000 samples, with 2,001 (1-D) or
    /// 401 (2-D) points per axis.
    /// </summary>
    public static double Mass(ConditionalDensityEstimator est, Tensor x, int points)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int d = est.InputDim;
        var samples = est.Sample(20_000, x)[.., 0];
        double lo = samples.min().item<float>() - 1, hi = samples.max().item<float>() + 1, step = (hi - lo) / (points - 1);
        var axis = linspace(lo, hi, points, dtype: ScalarType.Float32);
        Tensor grid = d == 1 ? axis.unsqueeze(1) : stack(meshgrid(new[] { axis, axis }, indexing: "ij").Select(t => t.reshape(-1)).ToArray(), 1);
        var density = est.LogProb(grid, x)[0].exp().to(ScalarType.Float64);
        return d == 1
            ? trapezoid(density, dx: step).item<double>()
            : trapezoid(trapezoid(density.view(points, points), dx: step), dx: step).item<double>();
    }

    /// <summary>
    /// Saves the estimator (inside a DirectPosterior) as a model file and loads it back: the reloaded estimator's
    /// log-densities equal the original's exactly, and the file holds sbi's state-dict keys.
    /// </summary>
    public static void ModelFileRoundTripIsExact(ConditionalDensityEstimator est, string expectedKey)
    {
        using var scope = NewDisposeScope();
        int d = est.InputDim;
        using var prior = new BoxUniform(Enumerable.Repeat(-5f, d).ToArray(), Enumerable.Repeat(5f, d).ToArray());
        var post = new Sbi.Posteriors.DirectPosterior(est, prior, log: SbiLog.Silent);
        var path = Path.Combine(Path.GetTempPath(), $"sbi-net-{Guid.NewGuid():N}-{est.Config.Kind}.npz");
        try
        {
            Sbi.IO.ModelFile.Save(path, post);
            var loaded = Sbi.IO.ModelFile.Load(path);
            using var _ = no_grad();
            var theta = randn(50, d);
            var x = randn(50, est.ConditionShape[0]);
            Assert.That((est.LogProb(theta, x) - loaded.PosteriorEstimator.LogProb(theta, x)).abs().max().item<float>(), Is.EqualTo(0f));
            Assert.That(Sbi.Compat.NpzFile.Load(path).Keys, Does.Contain("sd/" + expectedKey));
        }
        finally { File.Delete(path); }
    }

    /// <summary>Adds N(0, s²) noise to every trainable parameter (turns an almost-identity initial network into a generic one).</summary>
    public static void Perturb(nn.Module module, double s)
    {
        using var _ = no_grad();
        foreach (var p in module.parameters()) p.add_(randn_like(p) * s);
    }

    /// <summary>
    /// Gaussian linear task, D = 2: prior N(0, I), x = θ + 0.1 ε, 3,000 simulations; the posterior is N(x_o/1.01, 0.01/1.01 I)
    /// (mean x_o/1.01, std 0.0995). Same bounds as the MAF test (NpeBAccuracyTests): mean within 0.03 (0.3 posterior std),
    /// std within 20 %; 4,000 posterior samples add a Monte-Carlo error of only 0.0016 to the mean and ~1 % to the std.
    /// With <paramref name="robustScale"/> the std is estimated as interquartile range / 1.349 (Monte-Carlo error ~1.8 %),
    /// for flows whose rare tail samples would dominate the plain std (see <see cref="NsfTests"/>).
    /// </summary>
    public static void GaussianLinearPosteriorIsAccurate(string model, bool robustScale = false,
                                                         Action<ConditionalDensityEstimator>? configurePosteriorEstimator = null)
    {
        using var scope = NewDisposeScope();
        set_num_threads(1);
        manual_seed(0);
        using var prior = MultivariateNormal.Standard(2);
        var theta = prior.Sample(3000);
        var x = theta + 0.1 * randn_like(theta);
        var npe = new NpeB(prior, model, showProgressBars: false, log: SbiLog.Silent);
        npe.AppendSimulations(theta, x).Train();
        var xo = tensor(new float[] { 0.5f, -0.8f });
        var posterior = npe.BuildPosterior();
        configurePosteriorEstimator?.Invoke(posterior.PosteriorEstimator);
        var samples = posterior.Sample(4000, xo);
        var mean = samples.mean(new long[] { 0 }).data<float>().ToArray();
        Tensor scale;
        if (robustScale)
        {
            var q = samples.quantile(tensor(new float[] { 0.25f, 0.75f }), 0, false);   // (2, D)
            scale = (q[1] - q[0]) / 1.349;                                              // IQR of a normal = 1.349 σ
        }
        else scale = samples.std(0);
        var std = scale.data<float>().ToArray();
        double trueStd = Math.Sqrt(0.01 / 1.01);
        TestContext.Out.WriteLine($"{model}: epochs {npe.Summary.EpochsTrained.LastOrDefault()}, mean [{mean[0]:F4}, {mean[1]:F4}] (true [{0.5 / 1.01:F4}, {-0.8 / 1.01:F4}]), std [{std[0]:F4}, {std[1]:F4}] (true {trueStd:F4})");
        Assert.That(mean[0], Is.EqualTo(0.5 / 1.01).Within(0.03));
        Assert.That(mean[1], Is.EqualTo(-0.8 / 1.01).Within(0.03));
        Assert.That(std[0], Is.EqualTo(trueStd).Within(0.2 * trueStd));
        Assert.That(std[1], Is.EqualTo(trueStd).Within(0.2 * trueStd));
    }
}
