using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using Sbi.Potentials;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Potentials;

/// <summary>
/// sbi's x_is_iid branch of <c>PosteriorBasedPotential.__call__</c> (sbi/inference/potentials/posterior_based_potential.py):
/// for k trials x (k, *x_shape) the potential is Σᵢ log q(θ | xᵢ) − (k − 1)·log prior(θ), −∞ outside the support.
/// </summary>
public class IidPotentialTests
{
    /// <summary>
    /// q(θ | x) = N(θ; 0.7x + 0.2, 0.9²I) in D = 2 and k = 3 trials, against the formula in float64 (the Gaussian
    /// log-densities and the prior's log-density computed here in double). Each float32 log q is a short formula
    /// (affine map, difference, scale, square, sum, constant: 8 operations on values up to its magnitude), the prior's
    /// at most 12 (the Gaussian's difference, 2 × 2 triangular solve, squares, sum, log-determinant and constant) plus
    /// the product by k − 1 and the subtraction, and the sum over trials k − 1 additions:
    /// <see cref="Tolerances.Formula"/>(9k + 14, Σ|terms|).
    /// </summary>
    [TestCase("box")]
    [TestCase("normal")]
    public void IsTheSumOverTrialsMinusTheExtraPriors(string priorKind)
    {
        using var scope = NewDisposeScope();
        IDistribution prior = priorKind == "box"
            ? new BoxUniform(new float[] { -3, -3 }, new float[] { 3, 3 })
            : new MultivariateNormal(tensor(new float[] { 0.5f, -0.5f }), tensor(new float[,] { { 2, 0.3f }, { 0.3f, 1 } }));
        const double a = 0.7, b = 0.2, sigma = 0.9;
        var potential = new PosteriorBasedPotential(new GaussianEstimator(2, 1, a: a, b: b, sigma: sigma), prior);
        var x = new[] { 0.4f, -1.2f, 2.0f };
        potential.SetX(tensor(x).reshape(3, 1), xIsIid: true);
        Assert.That(potential.XIsIid);
        var theta = tensor(new float[,] { { 0.1f, -0.4f }, { 1.5f, 2.2f }, { -2.5f, 0.0f }, { 4f, 0f } });
        var values = potential.Evaluate(theta, trackGradients: false).data<float>().ToArray();
        var logPrior = prior.LogProb(theta.to(ScalarType.Float64)).data<double>().ToArray();
        var th = theta.data<float>().ToArray();
        for (int r = 0; r < 4; r++)
        {
            bool inside = priorKind != "box" || (Math.Abs(th[2 * r]) <= 3 && Math.Abs(th[2 * r + 1]) <= 3);
            if (!inside)
            {
                Assert.That(float.IsNegativeInfinity(values[r]), $"row {r} lies outside the box");
                continue;
            }
            double sum = 0, magnitude = 0;
            foreach (var xi in x)
            {
                double term = 0;
                for (int j = 0; j < 2; j++)
                {
                    double z = (th[2 * r + j] - (a * xi + b)) / sigma;
                    term += -0.5 * z * z - Math.Log(sigma) - 0.5 * Math.Log(2 * Math.PI);
                }
                sum += term;
                magnitude += Math.Abs(term);
            }
            double expected = sum - (x.Length - 1) * logPrior[r];
            magnitude += (x.Length - 1) * Math.Abs(logPrior[r]);
            Assert.That(values[r], Is.EqualTo(expected).Within(Tolerances.Formula(9 * x.Length + 14, magnitude)), $"row {r}");
        }
        (prior as IDisposable)?.Dispose();
    }

    /// <summary>
    /// One trial is the single-observation potential itself (bitwise: the same float32 computation), whether or not the
    /// iid switch is on; the switch is needed for more rows, and cannot be turned off while they are set.
    /// </summary>
    [Test]
    public void OneTrialIsThePlainPotentialAndMoreNeedTheSwitch()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -3 }, new float[] { 3 });
        var potential = new PosteriorBasedPotential(new GaussianEstimator(1, 1, a: 1), prior, tensor(new float[] { 0.5f }));
        var theta = tensor(new float[,] { { 0.2f }, { -1f } });
        var plain = potential.Evaluate(theta, false);
        potential.XIsIid = true;
        Assert.That(potential.Evaluate(theta, false).eq(plain).all().item<bool>());
        potential.XIsIid = false;
        var refused = Assert.Throws<ArgumentException>(() => potential.SetX(zeros(2, 1)))!;
        Assert.That(refused.ParamName, Is.EqualTo("x"));
        Assert.That(refused.Message, Does.Contain("iid").And.Contain("XIsIid"));
        Assert.That(potential.XO!.shape, Is.EqualTo(new long[] { 1, 1 }), "a refused x leaves the previous one");
        potential.SetX(zeros(2, 1), xIsIid: true);
        Assert.Throws<InvalidOperationException>(() => potential.XIsIid = false);
        Assert.Throws<ArgumentException>(() => potential.SetX(zeros(2, 1), xIsIid: false));
        Assert.That(potential.XIsIid, "a refused SetX leaves the switch as it was");
    }

    /// <summary>
    /// Deviation from sbi: on BoxUniform's upper face (inside the closed support, outside the half-open density) sbi's
    /// iid formula subtracts (k − 1)·(−∞) and gives +∞, which would trap a sampler; here it is −∞.
    /// </summary>
    [Test]
    public void TheBoxsUpperFaceHasNoMass()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -3 }, new float[] { 3 });
        var potential = new PosteriorBasedPotential(new GaussianEstimator(1, 1, a: 1), prior);
        potential.SetX(zeros(2, 1), xIsIid: true);
        var v = potential.Evaluate(tensor(new float[,] { { 3f }, { 2.9f } }), false).data<float>().ToArray();
        Assert.That(float.IsNegativeInfinity(v[0]) && float.IsFinite(v[1]), string.Join(", ", v));
    }

    /// <summary>The direct, rejection and importance posteriors keep refusing several observations, with a clear error.</summary>
    [Test]
    public void OtherPosteriorsRefuseSeveralObservations()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -3 }, new float[] { 3 });
        var estimator = new GaussianEstimator(1, 1);
        var x = zeros(3, 1);
        foreach (var kind in new[] { "direct", "rejection", "importance" })
        {
            var posterior = PosteriorBuilder.Build(estimator, prior, kind, logger: NullLogger.Instance);
            var e = Assert.Throws<ArgumentException>(() => posterior.SetDefaultX(x), kind)!;
            Assert.That(e.ParamName, Is.EqualTo("x"), kind);
            Assert.That(e.Message, Does.Contain("one observation").Or.Contain("batch 1"), kind);
        }
        var mcmc = PosteriorBuilder.Build(estimator, prior, "mcmc", new McmcPosteriorParameters(), NullLogger.Instance);
        Assert.That(mcmc.SetDefaultX(x).DefaultX!.shape, Is.EqualTo(new long[] { 3, 1 }), "MCMC takes them as iid trials");
    }
}
