using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Inference;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Integrity;

public class AppendSimulationsChecksTests
{
    private static (NpeB Trainer, ListLogger Log) Trainer(BoxUniform prior)
    {
        var logger = new ListLogger();
        return (new NpeB(prior, showProgressBars: false, logger: logger), logger);
    }

    [Test]
    public void ThetaOutsideThePriorIsCountedWithOneExampleRow()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { 0, 0 }, new float[] { 1, 1 });
        var (npe, log) = Trainer(prior);
        manual_seed(1);
        var theta = prior.Sample(50);
        theta[7, 1] = tensor(3.5f);
        theta[9, 0] = tensor(-2f);
        npe.AppendSimulations(theta, randn(50, 2));
        var w = log.Warnings.Single(m => m.Contains("outside the prior"));
        Assert.That(w, Does.Contain("2 of 50").And.Contain("row 7").And.Contain("3.5"));
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    [TestCase(float.NegativeInfinity)]
    public void NonFiniteThetaIsAnArgumentErrorNamingTheta(float bad)
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { 0, 0 }, new float[] { 1, 1 });
        var (npe, _) = Trainer(prior);
        var theta = prior.Sample(10);
        theta[4, 0] = tensor(bad);
        var e = Assert.Throws<ArgumentException>(() => npe.AppendSimulations(theta, randn(10, 2)));
        Assert.That(e!.ParamName, Is.EqualTo("theta"));
        Assert.That(e.Message, Does.Contain("row 4"));
    }

    [Test]
    public void ConstantColumnsAreNamed()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { 0, 0, 0 }, new float[] { 1, 1, 1 });
        var (npe, log) = Trainer(prior);
        var theta = prior.Sample(30);
        theta[.., 2] = tensor(0.5f);
        var x = randn(30, 4);
        x[.., 1] = tensor(2f);
        x[.., 3] = tensor(-1f);
        npe.AppendSimulations(theta, x);
        Assert.That(log.Warnings.Single(m => m.Contains("of theta are constant")), Does.Contain("column(s) 2)"));
        Assert.That(log.Warnings.Single(m => m.Contains("of x are constant")), Does.Contain("column(s) 1, 3)"));
        Assert.That(log.Warnings.Any(m => m.Contains("outside the prior")), Is.False);
    }
}
