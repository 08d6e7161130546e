using Microsoft.Extensions.Logging.Abstractions;
using MathNet.Numerics.Distributions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Posteriors;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Posteriors;

/// <summary>sbi's <c>sample_batched</c> (sbi/inference/posteriors/direct_posterior.py) on a closed-form estimator.</summary>
public class SampleBatchedTests
{
    /// <summary>
    /// q(θ | x) = N(θ; x·1, I) in D = 2 under the box [−3, 3)²: for each observation the accepted draws follow the
    /// normal truncated to the box, whose mean per entry is μ + (φ(α) − φ(β)) / (Φ(β) − Φ(α)) with α = −3 − μ,
    /// β = 3 − μ. Sample means of n = 4000 draws lie within <see cref="Tolerances.MonteCarloZ"/> standard errors
    /// (the truncated standard deviation is below 1, so 1/√n is an upper bound on the standard error).
    /// </summary>
    [Test]
    public void DrawsForEveryObservationInOneCallFromItsOwnPosterior()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var prior = new BoxUniform(new float[] { -3, -3 }, new float[] { 3, 3 });
        var post = new DirectPosterior(new GaussianEstimator(2, 1, a: 1), prior, logger: NullLogger.Instance);
        double[] mus = { -1, 0, 2.5 };
        var xs = tensor(mus.Select(m => (float)m).ToArray()).reshape(3, 1);
        const int n = 4000;
        var samples = post.SampleBatched(n, xs);
        Assert.That(samples.shape, Is.EqualTo(new long[] { n, 3, 2 }));
        Assert.That((samples >= -3).all().item<bool>() && (samples < 3).all().item<bool>(), "every draw lies in the prior's support");
        var means = samples.to(ScalarType.Float64).mean(new long[] { 0 });   // (3, 2)
        for (int b = 0; b < 3; b++)
        {
            double alpha = -3 - mus[b], beta = 3 - mus[b];
            double expected = mus[b] + (Normal.PDF(0, 1, alpha) - Normal.PDF(0, 1, beta)) / (Normal.CDF(0, 1, beta) - Normal.CDF(0, 1, alpha));
            for (int j = 0; j < 2; j++)
            {
                double z = Math.Abs(means[b, j].item<double>() - expected) * Math.Sqrt(n);
                Assert.That(z, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"observation {b}, entry {j}: mean {means[b, j].item<double>():F4} vs {expected:F4}");
            }
        }
    }

    [Test]
    public void ObservationsOfTheWrongShapeAreRefusedByName()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -3, -3 }, new float[] { 3, 3 });
        var post = new DirectPosterior(new GaussianEstimator(2, 1, a: 1), prior, logger: NullLogger.Instance);
        var ex = Assert.Throws<ArgumentException>(() => post.SampleBatched(10, zeros(4, 2)));
        Assert.That(ex!.ParamName, Is.EqualTo("xs"));
        Assert.Throws<ArgumentOutOfRangeException>(() => post.SampleBatched(0, zeros(4, 1)));
    }
}
