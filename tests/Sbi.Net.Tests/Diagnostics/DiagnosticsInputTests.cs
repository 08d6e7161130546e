using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Diagnostics;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Diagnostics;

/// <summary>Bad input to SBC and TARP: each a clear error naming the argument, the expectation and what came.</summary>
public class DiagnosticsInputTests
{
    private static readonly AnalyticGaussianPosterior Posterior = new(2, 0.5);

    [Test]
    public void MismatchedThetaAndXCountsNameXs()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Sbc.RunSbc(randn(10, 2), randn(9, 2), Posterior, 20, logger: NullLogger.Instance))!;
        Assert.That(e.ParamName, Is.EqualTo("xs"));
        Assert.That(e.Message, Does.Contain("thetas has 10 rows, xs has 9"));
        e = Assert.Throws<ArgumentException>(() => Tarp.RunTarp(randn(10, 2), randn(11, 2), Posterior, numPosteriorSamples: 20, logger: NullLogger.Instance))!;
        Assert.That(e.ParamName, Is.EqualTo("xs"));
    }

    [Test]
    public void ThetasOfAnotherDimensionAreNamed()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Sbc.RunSbc(randn(10, 3), randn(10, 2), Posterior, 20, logger: NullLogger.Instance))!;
        Assert.That(e.ParamName, Is.EqualTo("thetas"));
        Assert.That(e.Message, Does.Contain("dimension 2").And.Contain("(10, 3)"));
    }

    [Test]
    public void TooFewSamplesForTheBinsNameNumBins()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tarp.RunTarp(randn(20, 2), randn(20, 2), Posterior, numPosteriorSamples: 20, numBins: 30, logger: NullLogger.Instance))!;
        Assert.That(e.ParamName, Is.EqualTo("numBins"));
        Assert.That(e.Message, Does.Contain("1..20").And.Contain("got 30"));
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Tarp.TarpFromSamples(randn(5, 8, 2), randn(8, 2), randn(8, 2)))!;
        Assert.That(e.ParamName, Is.EqualTo("numBins"));
        Assert.That(e.Message, Does.Contain("at least 10 TARP samples"));
    }

    [Test]
    public void ShapesThatDoNotPairAreNamed()
    {
        using var scope = NewDisposeScope();
        Assert.That(Assert.Throws<ArgumentException>(() => Tarp.TarpFromSamples(randn(5, 20, 2), randn(20, 2), randn(19, 2)))!.ParamName, Is.EqualTo("references"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tarp.TarpFromSamples(randn(5, 19, 2), randn(20, 2), randn(20, 2)))!.ParamName, Is.EqualTo("posteriorSamples"));
        Assert.That(Assert.Throws<ArgumentException>(() => Sbc.RanksFromSamples(randn(20, 2), randn(20, 2), randn(5, 20, 3)))!.ParamName, Is.EqualTo("posteriorSamples"));
        Assert.That(Assert.Throws<ArgumentException>(() => Sbc.CheckPriorVsDap(randn(20, 2), randn(21, 2)))!.ParamName, Is.EqualTo("dapSamples"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tarp.CheckTarp(zeros(5, ScalarType.Float64), zeros(6, ScalarType.Float64)))!.ParamName, Is.EqualTo("ecp"));
    }

    [Test]
    public void RanksOutsideZeroToLAreNamed()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Sbc.CheckUniformityFrequentist(full(10, 2, 150f), 100))!;
        Assert.That(e.ParamName, Is.EqualTo("ranks"));
        Assert.That(e.Message, Does.Contain("0..numPosteriorSamples = 100"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Sbc.RunSbc(randn(10, 2), randn(10, 2), Posterior, 0))!.ParamName, Is.EqualTo("numPosteriorSamples"));
    }

    [Test]
    public void ObservationsWithNanOrInfAreDroppedWithAWarning()
    {
        using var scope = NewDisposeScope();
        var log = new ListLogger();
        var x = randn(10, 2);
        x[3, 1] = tensor(float.NaN);
        x[7, 0] = tensor(float.PositiveInfinity);
        using var r = Sbc.RunSbc(randn(10, 2), x, Posterior, 20, logger: log);
        Assert.That(r.Ranks.shape[0], Is.EqualTo(8));
        Assert.That(log.Warnings, Has.Some.Contains("Found 2 observation(s) with NaN or inf").And.Some.Contains("8 / 10"));
    }
}
