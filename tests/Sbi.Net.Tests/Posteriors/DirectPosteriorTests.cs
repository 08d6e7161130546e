using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Posteriors;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Posteriors;

public class DirectPosteriorTests
{
    /// <summary>
    /// q(θ | x) = N(0, 1) and a prior box [0, 5): exactly half the mass (minus 3e-7) leaks. The leakage estimate
    /// uses 10,000 accepted of ~20,000 proposed draws: a binomial proportion within <see cref="Tolerances.MonteCarloZ"/>
    /// standard errors of 0.5.
    /// </summary>
    [Test]
    public void LeakageCorrectionRenormalisesOverThePrior()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var prior = new BoxUniform(new float[] { 0 }, new float[] { 5 });
        var post = new DirectPosterior(new GaussianEstimator(1, 1), prior, logger: NullLogger.Instance).SetDefaultX(tensor(new float[] { 0 }));
        double acc = post.LeakageCorrection(post.DefaultX!);
        Assert.That(Tolerances.BinomialZ(acc, 0.5, 10_000 / acc), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"acceptance {acc}");
        var theta = tensor(new float[,] { { 0.5f }, { 1.5f }, { -0.5f } });
        var norm = post.LogProb(theta).data<float>().ToArray();
        var raw = post.LogProb(theta, normPosterior: false).data<float>().ToArray();
        double rawExpected = -0.5 * 0.25 - 0.5 * Math.Log(2 * Math.PI);
        // norm = raw − log(acc) in float32: log(acc) rounded to float32 and one subtraction.
        Assert.That(norm[0] - raw[0], Is.EqualTo(-Math.Log(acc)).Within(Tolerances.Formula(2, Math.Abs(rawExpected) + Math.Abs(Math.Log(acc)))));
        // log N(0.5; 0, 1) in float32: the difference, its square, the scale, the stored constant and the sum (~6 operations).
        Assert.That(raw[0], Is.EqualTo(rawExpected).Within(Tolerances.Formula(6, 1)));
        Assert.That(float.IsNegativeInfinity(norm[2]), "outside the prior the posterior density is 0");
        // cached for the default x: the same value comes back without resampling.
        Assert.That(post.LeakageCorrection(post.DefaultX!), Is.EqualTo(acc));
        // a new default x clears the cache (deliberate deviation from sbi, which keeps the stale factor).
        post.SetDefaultX(tensor(new float[] { 0 }));
        Assert.That(post.LeakageCorrection(post.DefaultX!), Is.Not.EqualTo(acc));
    }

    [Test]
    public void RejectionSamplingReturnsExactlyNInsideTheSupport()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var prior = new BoxUniform(new float[] { 0, 0 }, new float[] { 5, 5 });
        var post = new DirectPosterior(new GaussianEstimator(2, 1), prior, logger: NullLogger.Instance);
        var (s, acc) = post.SampleWithAcceptance(5000, tensor(new float[] { 0 }));
        Assert.That(s.shape, Is.EqualTo(new long[] { 5000, 2 }));
        Assert.That(prior.WithinSupport(s).all().item<bool>());
        // both coordinates must be positive: acceptance 1/4, a binomial proportion of the ≥ 5,000/acc proposed draws.
        Assert.That(Tolerances.BinomialZ(acc, 0.25, 5000 / acc), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"acceptance {acc}");
        // the half-normal mean √(2/π) ≈ 0.798 and std √(1 − 2/π) ≈ 0.603 over 10,000 coordinates.
        Assert.That(Math.Abs(s.mean().item<float>() - Math.Sqrt(2 / Math.PI)) / (Math.Sqrt(1 - 2 / Math.PI) / Math.Sqrt(10_000)), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ));
    }

    [Test]
    public void LowAcceptanceWarnsAndTimesOut()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var prior = new BoxUniform(new float[] { 6 }, new float[] { 7 });
        var log = new ListLogger();
        var post = new DirectPosterior(new GaussianEstimator(1, 1), prior, logger: log);
        Assert.Throws<TimeoutException>(() => post.Sample(10, tensor(new float[] { 0 }), maxSamplingTime: TimeSpan.FromSeconds(0.3)));
        Assert.That(log.Warnings.Any(w => w.Contains("accepted")), "a low-acceptance warning was logged");
    }

    [Test]
    public void BadXIsRejected()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { 0 }, new float[] { 1 });
        var post = new DirectPosterior(new GaussianEstimator(1, 2), prior, logger: NullLogger.Instance);
        Assert.Throws<InvalidOperationException>(() => post.Sample(5));
        Assert.That(Assert.Throws<ArgumentException>(() => post.SetDefaultX(tensor(new float[] { 1, float.NaN })))!.Message, Does.Contain("finite"));
        Assert.That(Assert.Throws<ArgumentException>(() => post.SetDefaultX(tensor(new float[] { 1, 2, 3 })))!.Message, Does.Contain("(3)"));
        Assert.Throws<ArgumentException>(() => post.Sample(5, zeros(2, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => post.Sample(0, zeros(2)));
    }

    [Test]
    public void MapFindsTheModeInsideTheBox()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var prior = new BoxUniform(new float[] { -3, -3 }, new float[] { 3, 3 });
        var post = new DirectPosterior(new GaussianEstimator(2, 1, a: 1.0, b: 0.5), prior, logger: NullLogger.Instance).SetDefaultX(tensor(new float[] { 1 }));
        var map = post.Map(numIter: 300, numInitSamples: 200, numToOptimize: 20).data<float>().ToArray();
        // Map's Adam (lr 0.01) ends within its largest step of the mode (1.5, 1.5).
        Assert.That(map[0], Is.EqualTo(1.5).Within(Tolerances.AdamMaxStep(0.01)));
        Assert.That(map[1], Is.EqualTo(1.5).Within(Tolerances.AdamMaxStep(0.01)));
    }
}
