using NUnit.Framework;
using Sbi.Data;
using Sbi.IO;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Tests.IO;

/// <summary>
/// Model files written before the model format moved to Sbi.Format (tests/fixtures/format-v1, see its README) still
/// load and compute what they computed then.
/// </summary>
public class FormatV1Tests
{
    private static string File(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "format-v1", name);

    /// <summary>
    /// The estimator's and the posterior's log-probabilities equal the recorded ones as two float32 evaluations of the
    /// same maths: the recorded values (another kernel realisation, possibly another instruction set) lie within
    /// <see cref="Tolerances.Float32"/> of today's float64 evaluation, with today's float32 error as the reference error.
    /// A file read differently (a weight, a buffer, the prior, the z-score) moves them by orders of magnitude more.
    /// </summary>
    [TestCase("maf")]
    [TestCase("nsf")]
    [TestCase("mdn")]
    [TestCase("made")]
    [TestCase("mdn_normal")]
    public void LoadsAndComputesTheRecordedLogProbs(string name)
    {
        using var scope = NewDisposeScope();
        var expected = NpzFile.Load(File($"expected_model_{name}.npz"));
        var theta = expected["theta"].ToTensor();
        var x = expected["x"].ToTensor();
        var xo = expected["x_o"].ToTensor();
        var posterior = ModelFile.Load(File($"model_{name}.npz"));
        using var est64 = Float64.Copy(posterior.PosteriorEstimator);
        using var _ = no_grad();
        var ours32 = posterior.PosteriorEstimator.LogProb(theta, x);
        var ours64 = est64.LogProb(theta.D(), x.D());
        var agreement = FloatAgreement.Float32Only(expected["estimator_log_prob"].ToTensor(), ours32, ours64, posterior.PosteriorEstimator.Config.HiddenFeatures);
        Assert.That(agreement.Float32Accurate, Is.True, agreement.ToString());

        // The posterior adds the support mask and subtracts log(acceptance), an estimate from rejection sampling until
        // 10,000 draws are accepted (sbi's leakage correction), drawn afresh then and now: the two differ by a constant
        // whose standard error is √((1 − a)/10⁴) each (negative binomial, delta method), so within MonteCarloZ·√2 of
        // those; around that constant, rows agree as float32 evaluations of the same maths.
        var lp = posterior.LogProb(theta, xo).D();
        var recorded = expected["posterior_log_prob_at_x_o"].ToTensor().D();
        Assert.That(lp.isinf().eq(recorded.isinf()).all().item<bool>(), Is.True, "the same rows are outside the prior");
        var inside = recorded.isfinite();
        Assume.That(inside.any().item<bool>(), "some θ inside the prior");
        var raw32 = posterior.PosteriorEstimator.LogProb(theta, xo.expand(theta.shape[0], -1)).reshape(-1);
        var raw64 = est64.LogProb(theta.D(), xo.D().expand(theta.shape[0], -1)).reshape(-1);
        var difference = lp[inside] - recorded[inside];
        var constant = difference.mean().item<double>();
        double acceptance = Math.Exp((raw32.D()[inside] - lp[inside]).mean().item<double>());
        double correctionSe = Math.Sqrt(Math.Max(1 - acceptance, 0) / 10_000);
        var rowBound = 2 * Tolerances.Float32((raw32.D() - raw64).abs().max().item<double>(), posterior.PosteriorEstimator.Config.HiddenFeatures, raw64.abs().max().item<double>())
                     + 2 * Tolerances.Formula(1, lp[inside].abs().max().item<double>());
        // The mean difference is the Monte-Carlo constant plus the mean of the rows' float32 rounding differences
        // (bounded by rowBound); at acceptance 1 the first is exactly 0 and only the rounding remains.
        Assert.That(Math.Abs(constant), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ * Math.Sqrt(2) * correctionSe + rowBound), $"acceptance {acceptance:F4}");
        Assert.That((difference - constant).abs().max().item<double>(), Is.LessThanOrEqualTo(rowBound), "rows around the common constant");
    }

    /// <summary>
    /// 100 draws with the recorded seed come from the same distribution as the recorded 100: each mean within
    /// <see cref="Tolerances.MonteCarloZ"/> standard errors (two independent samples of 100 at worst; identical where
    /// the kernels are).
    /// </summary>
    [TestCase("maf")]
    [TestCase("nsf")]
    [TestCase("mdn")]
    [TestCase("made")]
    [TestCase("mdn_normal")]
    public void SamplesWithTheRecordedSeedMatchTheRecordedDraws(string name)
    {
        using var scope = NewDisposeScope();
        var expected = NpzFile.Load(File($"expected_model_{name}.npz"));
        var recorded = expected["samples_seed7"].ToTensor().D();
        var posterior = ModelFile.Load(File($"model_{name}.npz"));
        manual_seed(7);
        var ours = posterior.Sample(100, expected["x_o"].ToTensor()).D();
        Assert.That(ours.shape, Is.EqualTo(recorded.shape));
        var se = ((ours.var(0) + recorded.var(0)) / 100).sqrt();
        var z = ((ours.mean(new long[] { 0 }) - recorded.mean(new long[] { 0 })).abs() / se).max().item<double>();
        Assert.That(z, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ));
    }

    [Test]
    public void DefaultXAndPriorAreKept()
    {
        using var scope = NewDisposeScope();
        var box = ModelFile.Load(File("model_maf.npz"));
        Assert.That(box.DefaultX!.data<float>().ToArray(), Is.EqualTo(new[] { 0.1f, 0.2f, 0.3f }));
        Assert.That(box.Prior, Is.InstanceOf<Sbi.Distributions.BoxUniform>());
        var normal = ModelFile.Load(File("model_mdn_normal.npz"));
        Assert.That(normal.DefaultX, Is.Null);
        Assert.That(normal.Prior, Is.InstanceOf<Sbi.Distributions.MultivariateNormal>());
    }
}
