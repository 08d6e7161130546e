using NUnit.Framework;
using Sbi.Posteriors.Parameters;

namespace Sbi.Tests.Posteriors;

/// <summary>sbi's parameter dataclasses (sbi/inference/posteriors/posterior_parameters.py): defaults, checks, copies.</summary>
public class PosteriorParametersTests
{
    [Test]
    public void DefaultsAreSbis()
    {
        var d = new DirectPosteriorParameters();
        Assert.That((d.MaxSamplingBatchSize, d.EnableTransform, d.CheckFiniteX, d.SampleWith), Is.EqualTo((10_000, true, true, "direct")));
        var r = new RejectionPosteriorParameters();
        Assert.That((r.MaxSamplingBatchSize, r.NumSamplesToFindMax, r.NumIterToFindMax, r.M, r.SampleWith), Is.EqualTo((10_000, 10_000, 100, 1.2, "rejection")));
        var i = new ImportanceSamplingPosteriorParameters();
        Assert.That((i.Method, i.OversamplingFactor, i.MaxSamplingBatchSize, i.SampleWith), Is.EqualTo(("sir", 32, 10_000, "importance")));
    }

    [Test]
    public void WithCopiesChangeOneFieldAndLeaveTheOriginal()
    {
        var r = new RejectionPosteriorParameters();
        var copy = r with { M = 2.5, NumIterToFindMax = 0 };
        Assert.That((copy.M, copy.NumIterToFindMax, copy.NumSamplesToFindMax), Is.EqualTo((2.5, 0, 10_000)));
        Assert.That((r.M, r.NumIterToFindMax), Is.EqualTo((1.2, 100)));
        Assert.That(copy, Is.Not.EqualTo(r));
        Assert.That(r with { }, Is.EqualTo(r), "records compare by value");
    }

    /// <summary>A bad value fails in the constructor and in a with-copy, naming the field, what is allowed and what it got.</summary>
    [Test]
    public void BadValuesNameTheFieldTheAllowedValuesAndWhatCame()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RejectionPosteriorParameters() with { M = 0 })!;
        Assert.That(e.Message, Does.Contain("RejectionPosteriorParameters.M").And.Contain("positive").And.Contain("got 0"));
        Assert.That(e.ParamName, Is.EqualTo("RejectionPosteriorParameters.M"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RejectionPosteriorParameters(m: double.NaN))!.Message, Does.Contain("got NaN"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RejectionPosteriorParameters(m: double.PositiveInfinity))!.Message, Does.Contain("finite"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RejectionPosteriorParameters(numIterToFindMax: -1))!.Message,
                    Does.Contain("NumIterToFindMax").And.Contain("≥ 0").And.Contain("got -1"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RejectionPosteriorParameters(numSamplesToFindMax: 0))!.Message,
                    Does.Contain("NumSamplesToFindMax"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new DirectPosteriorParameters(maxSamplingBatchSize: -5))!.Message,
                    Does.Contain("DirectPosteriorParameters.MaxSamplingBatchSize").And.Contain("got -5"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ImportanceSamplingPosteriorParameters() with { OversamplingFactor = 0 })!.Message,
                    Does.Contain("OversamplingFactor"));
        var m = Assert.Throws<ArgumentException>(() => _ = new ImportanceSamplingPosteriorParameters(method: "mcmc"))!;
        Assert.That(m.Message, Does.Contain("ImportanceSamplingPosteriorParameters.Method").And.Contain("'sir', 'importance'").And.Contain("got 'mcmc'"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new ImportanceSamplingPosteriorParameters() with { Method = null! })!.Message, Does.Contain("got null"));
    }
}
