using NUnit.Framework;
using Sbi.Onnx.Export;
using Sbi.Onnx.Runtime;

namespace Sbi.Onnx.Tests;

/// <summary>
/// mdn and made sampling cannot share sbi's random stream, so their samples are compared through
/// moments: 200,000 draws per condition (as the fixtures), mean and covariance against the stored
/// values, in units of the combined standard error, within <see cref="Tolerances.MonteCarloZ"/>.
/// </summary>
public class MixtureMomentTests
{
    private const int Draws = 200_000;
    private const double MaxZ = Tolerances.MonteCarloZ;

    [TestCase(1), TestCase(2), TestCase(5)]
    public void MdnSampleMomentsMatchSbiSamplerExactMoments(int d)
    {
        var a = Fixtures.Arrays("mdn", d);
        // exact_* are the sampler's exact mixture moments; only our Monte-Carlo error counts.
        double z = MaxZ_(Fixtures.Package("mdn", d), d, a["exact_mean"].AsFloat64(), a["exact_cov"].AsFloat64(),
            a["sample_mean_se"].AsFloat64(), a["sample_cov_se"].AsFloat64(), referenceIsMonteCarlo: false, seed: 11);
        Assert.That(z, Is.LessThanOrEqualTo(MaxZ));
    }

    [TestCase(1), TestCase(2), TestCase(5)]
    public void MadeSamplesReproduceSbiSamplerQuirk(int d)
    {
        var a = Fixtures.Arrays("made", d);
        double z = MaxZ_(Fixtures.Package("made", d), d, a["sample_mean"].AsFloat64(), a["sample_cov"].AsFloat64(),
            a["sample_mean_se"].AsFloat64(), a["sample_cov_se"].AsFloat64(), referenceIsMonteCarlo: true, seed: 12);
        Assert.That(z, Is.LessThanOrEqualTo(MaxZ));
    }

    [TestCase(1), TestCase(2), TestCase(5)]
    public void MadeDummyZeroSamplerMatchesLogProbDensityMoments(int d)
    {
        var a = Fixtures.Arrays("made", d);
        var dir = Fixtures.Package("made", d, new ExportOptions { MadeSampleDummyLikeSbi = false }, "_dummy0");
        double z = MaxZ_(dir, d, a["dummy0_sample_mean"].AsFloat64(), a["dummy0_sample_cov"].AsFloat64(),
            a["dummy0_sample_mean_se"].AsFloat64(), a["dummy0_sample_cov_se"].AsFloat64(), referenceIsMonteCarlo: true, seed: 13);
        Assert.That(z, Is.LessThanOrEqualTo(MaxZ));
    }

    /// <summary>Largest |z| over the 4 conditions' means and covariance entries.</summary>
    private static double MaxZ_(string dir, int d, double[] refMean, double[] refCov, double[] meanSe, double[] covSe, bool referenceIsMonteCarlo, int seed)
    {
        var a = Fixtures.Arrays(dir.Contains("made") ? "made" : "mdn", d);
        var xCond = a["x_cond"].AsFloat32();
        using var post = OnnxPosterior.Load(dir);
        var rng = new Random(seed);
        var buf = new float[Draws * d];
        double worst = 0;
        // Our standard errors ≈ the stored ones (same N); a Monte-Carlo reference adds its own.
        double f = referenceIsMonteCarlo ? Math.Sqrt(2) : 1;
        for (int b = 0; b < 4; b++)
        {
            post.SampleUnconstrained(Draws, xCond[(3 * b)..(3 * b + 3)], rng, buf);
            var mean = new double[d];
            for (int s = 0; s < Draws; s++)
                for (int i = 0; i < d; i++) mean[i] += buf[s * d + i];
            for (int i = 0; i < d; i++) mean[i] /= Draws;
            var cov = new double[d * d];
            for (int s = 0; s < Draws; s++)
                for (int i = 0; i < d; i++)
                    for (int j = 0; j < d; j++) cov[i * d + j] += (buf[s * d + i] - mean[i]) * (buf[s * d + j] - mean[j]);
            for (int k = 0; k < d * d; k++) cov[k] /= Draws - 1;
            for (int i = 0; i < d; i++)
                worst = Math.Max(worst, Math.Abs(mean[i] - refMean[b * d + i]) / (f * meanSe[b * d + i]));
            for (int k = 0; k < d * d; k++)
                worst = Math.Max(worst, Math.Abs(cov[k] - refCov[b * d * d + k]) / (f * covSe[b * d * d + k]));
        }
        TestContext.Out.WriteLine($"{Path.GetFileName(dir)}: max |z| = {worst:F2}");
        return worst;
    }
}
