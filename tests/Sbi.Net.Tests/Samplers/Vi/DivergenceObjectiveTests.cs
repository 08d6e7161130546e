using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Samplers.Vi;
using Sbi.Tests.Posteriors;
using static TorchSharp.torch;

namespace Sbi.Tests.Samplers.Vi;

/// <summary>
/// sbi's divergence objectives (sbi/samplers/vi/vi_divergence_optimizers.py) at their optimum, q = p: with q set exactly
/// to the normalised target N(μ, diag σ²) and log p̃ = log p + c, every ELBO particle log p̃ − log q is c, so each
/// method's reported loss is known in closed form, and sticking the landing makes the gradient vanish.
/// </summary>
public class DivergenceObjectiveTests
{
    private static readonly double[] Mu = [0.4, -1.1], Sigma = [0.5, 1.3];
    private const double C = 2.25;

    /// <summary>
    /// rKL: −mean(c) = −c; IW: −mean(log((1/K)Σ e^c)) = −c; alpha: −((1 − α)c)/(1 − α) = −c; fKL: Σ w̃·c = c. Each particle's
    /// log p̃ − log q is c up to the float32 rounding of two log-densities (about 12 roundings each, of magnitude at most
    /// M = the largest |log p̃| over the particles): <see cref="Tolerances.Formula"/>(24, M) bounds it, and the loss, an
    /// average (or log-mean-exp) of such particles, by the same.
    /// </summary>
    [TestCase("rKL", -1)]
    [TestCase("IW", -1)]
    [TestCase("alpha", -1)]
    [TestCase("fKL", 1)]
    public void AtTheOptimumEachLossIsTheLogNormaliserExactly(string method, int sign)
    {
        using var scope = NewDisposeScope();
        manual_seed(31);
        var (q, potential, largest) = AtOptimum();
        var objective = DivergenceObjective.Create(method);
        var inputs = new ObjectiveInputs(q, null, zeros(1, 1), 256, (t, g) => { var v = potential(t, g); largest = Math.Max(largest, v.abs().max().item<float>()); return v; });
        var (_, loss) = objective.Loss(inputs);
        Assert.That(loss.item<float>(), Is.EqualTo(sign * C).Within(Tolerances.Formula(24, largest + C)), method);
    }

    /// <summary>
    /// At q = p the sticking-the-landing gradient of the rKL surrogate is zero: each particle's path derivative
    /// ∇θ(log p̃ − log q) vanishes (p̃ ∝ q), leaving float32 rounding of the two score gradients, each at most
    /// |θ − μ|/σ² ≤ 12 here, over about 50 operations: <see cref="Tolerances.Formula"/>(50, 12) per gradient entry. The plain
    /// reparameterised gradient keeps the score term ∂φ log q, zero only in expectation, and is far larger.
    /// </summary>
    [Test]
    public void StickingTheLandingHasZeroGradientAtTheOptimum()
    {
        using var scope = NewDisposeScope();
        manual_seed(32);
        var (q, potential, _) = AtOptimum();
        var parameters = q.Q.parameters().ToList();
        double GradientNorm(bool stl)
        {
            foreach (var p in parameters) p.grad?.zero_();
            var objective = DivergenceObjective.Create("rKL", new DivergenceSettings { StickTheLanding = stl });
            var stopped = stl ? DivergenceOptimizer.StoppedCopy(q) : null;
            var (surrogate, _) = objective.Loss(new ObjectiveInputs(q, stopped, zeros(1, 1), 256, potential));
            surrogate.backward(null, false, false, parameters.Cast<Tensor>().ToList());
            return Math.Sqrt(parameters.Where(p => p.grad is not null).Sum(p => p.grad!.pow(2).sum().item<float>()));
        }
        double bound = Tolerances.Formula(50, 12) * Math.Sqrt(parameters.Sum(p => p.numel()));
        double withStl = GradientNorm(true), plain = GradientNorm(false);
        Assert.That(withStl, Is.LessThanOrEqualTo(bound), "sticking the landing");
        Assert.That(plain, Is.GreaterThan(100 * bound), "the plain gradient keeps the score term");
    }

    /// <summary>The Gaussian q (prior N(0, I), so z = θ) set to the target, the target's potential, and its largest |value| so far.</summary>
    private static (VariationalDistribution Q, Func<Tensor, bool, Tensor> Potential, double Largest) AtOptimum()
    {
        var config = new EstimatorConfig { Estimator = GaussianQFamily.FullName, D = 2, C = 1, XShape = [1], ZScoreTheta = ZScoreMode.None, ZScoreX = ZScoreMode.None };
        var g = new GaussianQ(config, nn.Identity());
        using (no_grad())
            foreach (var (name, p) in g.named_parameters())
            {
                if (name == "loc") p.copy_(tensor(Mu.Select(v => (float)v).ToArray()));
                if (name == "scale_tril") p.copy_(diag(tensor(Sigma.Select(v => (float)v).ToArray())));
            }
        using var prior = MultivariateNormal.Standard(2);
        var q = new VariationalDistribution(g, ((IDistribution)prior).ThetaTransform);
        Tensor Potential(Tensor theta, bool grad)
        {
            using var _ = grad ? enable_grad() : no_grad();
            return VITargets.GaussianLogDensity(theta, Mu, Sigma, C);
        }
        return (q, Potential, 0);
    }
}
