using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Diagnostics;
using Sbi.Distributions;
using Sbi.Inference;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Diagnostics;

/// <summary>
/// SBC and TARP on posteriors whose calibration is known: the analytic posterior of the Gaussian linear task
/// (prior N(0, I₂), x = θ + 0.5ε) passes, the same posterior with half its standard deviation (over-confident) and
/// with twice it (under-confident) fails, and an NPE trained on the task passes.
/// </summary>
public class CalibrationTests
{
    private const int Observations = 1000, Draws = 200;

    private static double[] KsPValues(double scale, int seed, out SbcResult result, out AnalyticGaussianPosterior posterior)
    {
        manual_seed(seed);
        posterior = new AnalyticGaussianPosterior(2, 0.5, scale);
        var (theta, x) = posterior.Simulate(Observations);
        result = Sbc.RunSbc(theta, x, posterior, Draws, logger: NullLogger.Instance);
        return Sbc.CheckUniformityFrequentist(result.Ranks, Draws);
    }

    [TestCase(1.0)]
    [TestCase(0.5)]
    [TestCase(2.0)]
    public void SbcRanksAreUniformExactlyForTheCalibratedPosterior(double scale)
    {
        using var scope = NewDisposeScope();
        var p = KsPValues(scale, 1, out var result, out _);
        using var owned = result;
        Assert.That(result.Ranks.shape, Is.EqualTo(new long[] { Observations, 2 }));
        Assert.That(result.DapSamples.shape, Is.EqualTo(new long[] { Observations, 2 }));
        TestContext.Out.WriteLine($"std × {scale}: KS p-values {string.Join(", ", p.Select(v => v.ToString("G4")))} " +
                                  $"(above sbi's {Tolerances.SbiKsLevel}: {string.Join(", ", p.Select(v => v > Tolerances.SbiKsLevel))})");
        if (scale == 1.0) Assert.That(p, Is.All.GreaterThan(Tolerances.CalibratedKsLevel), "calibrated: passes");
        else Assert.That(p, Is.All.LessThan(Tolerances.CalibratedKsLevel), "miscalibrated: fails");
    }

    [Test]
    public void ExpectedCoverageWithTheLogProbReduceFunctionSeparatesTheThreePosteriors()
    {
        // Ranks of log q(θ | x): an over-confident posterior ranks the truth low (it lies outside the narrow mode), an
        // under-confident one high; the calibrated one's ranks are uniform.
        using var scope = NewDisposeScope();
        foreach (var scale in new[] { 1.0, 0.5, 2.0 })
        {
            manual_seed(2);
            var posterior = new AnalyticGaussianPosterior(2, 0.5, scale);
            var (theta, x) = posterior.Simulate(Observations);
            using var r = Sbc.RunSbc(theta, x, posterior, Draws, [Sbc.LogProb(posterior)], logger: NullLogger.Instance);
            Assert.That(r.Ranks.shape, Is.EqualTo(new long[] { Observations, 1 }));
            double p = Sbc.CheckUniformityFrequentist(r.Ranks, Draws)[0];
            double meanRank = r.Ranks.mean().item<float>();
            TestContext.Out.WriteLine($"std × {scale}: expected-coverage KS p {p:G4}, mean rank {meanRank:F1} of {Draws}");
            if (scale == 1.0) Assert.That(p, Is.GreaterThan(Tolerances.CalibratedKsLevel));
            else Assert.That(p, Is.LessThan(Tolerances.CalibratedKsLevel));
            // Mean of a uniform rank on 0..L: L/2 with standard error L/√(12N).
            double z = (meanRank - Draws / 2.0) / (Draws / Math.Sqrt(12.0 * Observations));
            if (scale == 0.5) Assert.That(z, Is.LessThan(-Tolerances.MonteCarloZ), "over-confident: the truth ranks low");
            if (scale == 2.0) Assert.That(z, Is.GreaterThan(Tolerances.MonteCarloZ), "under-confident: the truth ranks high");
        }
    }

    [Test]
    public void CheckSbcC2stScoresAreChanceForTheCalibratedPosterior()
    {
        using var scope = NewDisposeScope();
        set_num_threads(1);
        var p = KsPValues(1.0, 3, out var result, out var posterior);
        using var owned = result;
        var checks = Sbc.CheckSbc(result.Ranks, posterior.Prior.Sample(Observations), result.DapSamples, Draws, logger: NullLogger.Instance);
        TestContext.Out.WriteLine($"KS {string.Join(", ", checks.KsPvals.Select(v => v.ToString("G4")))}; C2ST ranks {string.Join(", ", checks.C2stRanks.Select(v => v.ToString("F3")))}; " +
                                  $"C2ST DAP {string.Join(", ", checks.C2stDap.Select(v => v.ToString("F3")))}");
        Assert.That(checks.KsPvals, Is.EqualTo(p), "check_sbc's KS p-values are check_uniformity_frequentist's");
        double bound = Tolerances.C2stSameDistribution(Observations);
        Assert.That(checks.C2stRanks, Is.All.LessThanOrEqualTo(bound), "ranks against uniform draws");
        Assert.That(checks.C2stDap, Is.All.LessThanOrEqualTo(bound), "data-averaged posterior against the prior");
    }

    [TestCase(1.0)]
    [TestCase(0.5)]
    [TestCase(2.0)]
    public void TarpAtcIsNearZeroExactlyForTheCalibratedPosterior(double scale)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var posterior = new AnalyticGaussianPosterior(2, 0.5, scale);
        var (theta, x) = posterior.Simulate(Observations);
        using var r = Tarp.RunTarp(theta, x, posterior, numPosteriorSamples: Draws, logger: NullLogger.Instance);
        var alpha = r.Alpha.data<double>().ToArray();
        Assert.That(alpha.Length, Is.EqualTo(Observations / 10 + 1), "sbi's default N/10 bins");
        var (atc, ks) = Tarp.CheckTarp(r.Ecp, r.Alpha);
        double bound = Tolerances.TarpCalibratedAtc(Observations, Draws, alpha);
        TestContext.Out.WriteLine($"std × {scale}: ATC {atc:F4} (calibrated bound ±{bound:F4}), KS p {ks:G4}");
        if (scale == 1.0)
        {
            Assert.That(Math.Abs(atc), Is.LessThanOrEqualTo(bound));
            Assert.That(ks, Is.GreaterThan(Tolerances.CalibratedKsLevel));
        }
        else if (scale < 1) Assert.That(atc, Is.LessThan(-bound), "over-confident: covers too little");
        else Assert.That(atc, Is.GreaterThan(bound), "under-confident: covers too much");
    }

    [Test]
    public void ANpeTrainedOnTheGaussianLinearTaskPassesSbcAndTarp()
    {
        // 2,000 simulations of the task, sbi's default MAF and training settings; SBC and TARP on 200 fresh pairs.
        using var scope = NewDisposeScope();
        set_num_threads(1);
        manual_seed(5);
        var task = new AnalyticGaussianPosterior(2, 0.5);
        var (theta, x) = task.Simulate(2000);
        var npe = new NpeB(task.Prior, showProgressBars: false, logger: NullLogger.Instance);
        npe.AppendSimulations(theta, x).Train();
        var posterior = npe.BuildPosterior();
        const int n = 200;
        var (thetaO, xO) = task.Simulate(n);
        using var sbc = Sbc.RunSbc(thetaO, xO, posterior, Draws, logger: NullLogger.Instance);
        var p = Sbc.CheckUniformityFrequentist(sbc.Ranks, Draws);
        using var tarp = Tarp.RunTarp(thetaO, xO, posterior, numPosteriorSamples: Draws, logger: NullLogger.Instance);
        var (atc, ks) = Tarp.CheckTarp(tarp.Ecp, tarp.Alpha);
        double bound = Tolerances.TarpCalibratedAtc(n, Draws, tarp.Alpha.data<double>().ToArray());
        TestContext.Out.WriteLine($"trained maf ({npe.Summary.EpochsTrained[^1]} epochs): SBC KS {string.Join(", ", p.Select(v => v.ToString("G4")))}; " +
                                  $"TARP ATC {atc:F4} (±{bound:F4}), KS p {ks:G4}");
        Assert.That(p, Is.All.GreaterThan(Tolerances.CalibratedKsLevel), "SBC");
        Assert.That(Math.Abs(atc), Is.LessThanOrEqualTo(bound), "TARP ATC");
        Assert.That(ks, Is.GreaterThan(Tolerances.CalibratedKsLevel), "TARP KS");
    }
}
