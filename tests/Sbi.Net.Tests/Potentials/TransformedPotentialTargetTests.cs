using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Nn.Fused;
using Sbi.Potentials;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Tests.Potentials;

/// <summary>
/// sbi's <c>transformed_potential</c> (sbi/utils/potentialutils.py) as an MCMC target: potential(T⁻¹(z)) +
/// log|det ∂T⁻¹/∂z| in float32, returned as float64, −∞ where the potential has no mass or is NaN.
/// </summary>
public class TransformedPotentialTargetTests
{
    private const double A = 1, Sigma = 0.7, X = 0.5, Low = -1, High = 3;

    /// <summary>
    /// q(θ | x) = N(θ; x, 0.7²I) under the box [−1, 3]² with the logit transform: θ = l + w·s, s = sigmoid(z), so the
    /// target is Σⱼ [log N(θⱼ; 0.5, 0.7²) + log(w·sⱼ(1 − sⱼ))], and its gradient −(θⱼ − 0.5)/0.7²·w·sⱼ(1 − sⱼ) + 1 − 2sⱼ,
    /// against these formulas in float64. Per dimension the float32 value is about 15 operations (sigmoid, scale and
    /// shift; the Gaussian's difference, scale, square and constant; the Jacobian's clamp, two logs, their sum and the
    /// width's log) plus the sums, on values up to the sum of the parts' magnitudes: <see cref="Tolerances.Formula"/>;
    /// the gradient's backward pass retraces them.
    /// </summary>
    [Test]
    public void IsThePotentialPlusTheLogJacobianWithItsGradient()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { (float)Low, (float)Low }, new float[] { (float)High, (float)High });
        var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(new GaussianEstimator(2, 1, a: A, sigma: Sigma), prior, tensor(new float[] { (float)X }));
        var target = new TransformedPotentialTarget(potential, transform, 2);
        Assert.That(target.UsesFusedDensity, Is.False, "not a MAF");
        double[] z = [0.3, -1.2, 2.5, 0.0, -4.0, 7.0];
        var value = new double[3];
        var alone = new double[3];
        var gradient = new double[6];
        target.LogDensity(z, 3, value);
        target.LogDensityAndGradient(z, 3, alone, gradient);
        double w = High - Low;
        for (int r = 0; r < 3; r++)
        {
            double expected = 0, magnitude = 0, gradMagnitude = 0;
            for (int j = 0; j < 2; j++)
            {
                double s = 1 / (1 + Math.Exp(-z[2 * r + j])), theta = Low + w * s, d = (theta - A * X) / Sigma;
                double gauss = -0.5 * d * d - Math.Log(Sigma) - 0.5 * Math.Log(2 * Math.PI), jac = Math.Log(w * s * (1 - s));
                expected += gauss + jac;
                magnitude += Math.Abs(gauss) + Math.Abs(jac) + Math.Abs(theta);
                double g1 = -(theta - A * X) / (Sigma * Sigma) * w * s * (1 - s), g2 = 1 - 2 * s;
                gradMagnitude = Math.Max(gradMagnitude, Math.Abs(g1) + Math.Abs(g2) + 1);
                Assert.That(gradient[2 * r + j], Is.EqualTo(g1 + g2).Within(Tolerances.Formula(30, gradMagnitude)), $"∂/∂z of row {r}, coordinate {j}");
            }
            Assert.That(value[r], Is.EqualTo(expected).Within(Tolerances.Formula(32, magnitude)), $"row {r}");
            Assert.That(alone[r], Is.EqualTo(value[r]), "LogDensityAndGradient's value is LogDensity's");
        }
    }

    /// <summary>With the identity transform, z outside the box has no mass (−∞, gradient 0); a NaN potential is −∞ too.</summary>
    [Test]
    public void OutsideTheSupportAndNaNAreMinusInfinity()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -1 }, new float[] { 1 });
        var (potential, identity) = PotentialFactory.PosteriorEstimatorBased(new GaussianEstimator(1, 1), prior, zeros(1), enableTransform: false);
        var target = new TransformedPotentialTarget(potential, identity, 1);
        var value = new double[2];
        var gradient = new double[2];
        target.LogDensityAndGradient([0.5, 1.5], 2, value, gradient);
        Assert.That(double.IsFinite(value[0]) && double.IsNegativeInfinity(value[1]), string.Join(", ", value));
        Assert.That(gradient[1], Is.Zero);
        var nan = new TransformedPotentialTarget(new NaNPotential(), identity, 1);
        nan.LogDensity([0.5, 0.2], 2, value);
        Assert.That(value, Has.All.EqualTo(double.NegativeInfinity));
    }

    /// <summary>Concurrent calls from four threads give, bitwise, what the same rows give one call at a time.</summary>
    [Test]
    public void ConcurrentCallsGiveTheSequentialValues()
    {
        using var scope = NewDisposeScope();
        using var prior = MultivariateNormal.Standard(3);
        var net = TinyMaf(3, 2);
        var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(net, prior, tensor(new float[] { 0.4f, -0.3f }));
        foreach (bool fused in new[] { true, false })
        {
            var target = new TransformedPotentialTarget(potential, transform, 3, null, allowFused: fused);
            var rng = new Random(5);
            var rows = Enumerable.Range(0, 4 * 50).Select(_ => Enumerable.Range(0, 3 * 20).Select(_ => rng.NextDouble() * 4 - 2).ToArray()).ToArray();
            var sequential = rows.Select(r => { var v = new double[20]; target.LogDensity(r, 20, v); return v; }).ToArray();
            var concurrent = new double[rows.Length][];
            var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                for (int i = t; i < rows.Length; i += 4) { var v = new double[20]; target.LogDensity(rows[i], 20, v); concurrent[i] = v; }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            for (int i = 0; i < rows.Length; i++) Assert.That(concurrent[i], Is.EqualTo(sequential[i]), $"fused {fused}, call {i}");
        }
    }

    /// <summary>
    /// The fused MAF path (<see cref="MafDensity"/> with the transform, support check and Jacobian term around it) against
    /// the module path on the same rows: as close to the float64 modules (θ = T⁻¹(z) and the Jacobian term in float64 too)
    /// as the float32 module path is (<see cref="FloatAgreement.Float32Only"/>, reduction length the hidden width).
    /// </summary>
    [Test]
    public void TheFusedPathAgreesWithTheModules()
    {
        if (FusedAvailability.Reason is { } reason) Assert.Ignore($"fused kernels unavailable: {reason}");
        using var scope = NewDisposeScope();
        using var prior = new MultivariateNormal(zeros(3), 2 * eye(3));
        var net = TinyMaf(3, 2);
        var x = tensor(new float[] { 0.4f, -0.3f });
        var (fused, modules, modulePotential, transform) = BothPaths(net, prior, x);
        Assert.That(fused.UsesFusedDensity && !modules.UsesFusedDensity);
        manual_seed(6);
        var zt = randn(200, 3);
        var z = zt.to(ScalarType.Float64).data<double>().ToArray();
        double[] a = new double[200], b = new double[200];
        fused.LogDensity(z, 200, a);
        modules.LogDensity(z, 200, b);
        using var net64 = Float64.Copy(net);
        using var _ = no_grad();
        var z64 = zt.to(ScalarType.Float64);
        var theta64 = transform.Inverse(z64);
        var reference = net64.LogProb(theta64.unsqueeze(1), x.reshape(1, 2).to(ScalarType.Float64)).squeeze(1) - transform.LogAbsDetJacobian(theta64, z64);
        var agreement = FloatAgreement.Float32Only(tensor(a), tensor(b), reference, 16);
        TestContext.Out.WriteLine(agreement);
        Assert.That(agreement.Float32Accurate, agreement.ToString());
        // The fused potential at θ is the module potential at θ, to the same bound, for the init strategies.
        var th = theta64.to(ScalarType.Float32);
        var p = FloatAgreement.Float32Only(fused.Potential(th), modulePotential.Evaluate(th, false), net64.LogProb(theta64.unsqueeze(1), x.reshape(1, 2).to(ScalarType.Float64)).squeeze(1), 16);
        Assert.That(p.Float32Accurate, p.ToString());
    }

    /// <summary>
    /// The gradient with the fused MAF (its hand-written backward pass for ∂ log q/∂θ, autograd through the transform
    /// only) against the module path's autograd gradient, both judged by the float64 autograd gradient of the float64
    /// modules (<see cref="FloatAgreement.Float32Only"/>, reduction length the hidden width); values as in
    /// <see cref="TheFusedPathAgreesWithTheModules"/>. A box prior's logit transform is included, whose Jacobian depends on z.
    /// </summary>
    [TestCase("gaussian")]
    [TestCase("box")]
    public void TheFusedGradientAgreesWithAutograd(string priorKind)
    {
        if (FusedAvailability.Reason is { } reason) Assert.Ignore($"fused kernels unavailable: {reason}");
        using var scope = NewDisposeScope();
        IDistribution prior = priorKind == "box"
            ? new BoxUniform(new float[] { -3, -3, -3 }, new float[] { 3, 3, 3 })
            : new MultivariateNormal(zeros(3), 2 * eye(3));
        using var owned = (IDisposable)prior;
        var net = TinyMaf(3, 2);
        var x = tensor(new float[] { 0.4f, -0.3f });
        var (fused, modules, _, transform) = BothPaths(net, prior, x);
        manual_seed(8);
        const int rows = 64;
        var zt = randn(rows, 3);
        var z = zt.to(ScalarType.Float64).data<double>().ToArray();
        double[] va = new double[rows], vb = new double[rows], ga = new double[rows * 3], gb = new double[rows * 3];
        fused.LogDensityAndGradient(z, rows, va, ga);
        modules.LogDensityAndGradient(z, rows, vb, gb);
        using var net64 = Float64.Copy(net);
        var z64 = zt.to(ScalarType.Float64).requires_grad_(true);
        var theta64 = transform.Inverse(z64);
        var value64 = net64.LogProb(theta64.unsqueeze(1), x.reshape(1, 2).to(ScalarType.Float64)).squeeze(1) - transform.LogAbsDetJacobian(theta64, z64);
        var grad64 = autograd.grad(new[] { value64.sum() }, new[] { z64 })[0].detach();
        var values = FloatAgreement.Float32Only(tensor(va), tensor(vb), value64.detach(), 16);
        Assert.That(values.Float32Accurate, values.ToString());
        var gradients = FloatAgreement.Float32Only(tensor(ga).reshape(rows, 3), tensor(gb).reshape(rows, 3), grad64, 16);
        TestContext.Out.WriteLine(gradients);
        Assert.That(gradients.Float32Accurate, gradients.ToString());
    }

    /// <summary>
    /// The target of <paramref name="net"/>'s potential through the fused MAF and through the modules end to end (the
    /// module target's potential has its own no-gradient fast path off too), with that potential and the θ transform.
    /// </summary>
    private static (TransformedPotentialTarget Fused, TransformedPotentialTarget Modules, PosteriorBasedPotential ModulePotential, IBijector Transform)
        BothPaths(ConditionalDensityEstimator net, IDistribution prior, Tensor x)
    {
        var (potential, transform) = PotentialFactory.PosteriorEstimatorBased(net, prior, x);
        var (modulePotential, _) = PotentialFactory.PosteriorEstimatorBased(net, prior, x);
        modulePotential.AllowFused = false;
        var fused = new TransformedPotentialTarget(potential, transform, net.InputDim);
        var modules = new TransformedPotentialTarget(modulePotential, transform, net.InputDim, null, allowFused: false);
        return (fused, modules, modulePotential, transform);
    }

    private static ConditionalDensityEstimator TinyMaf(int d, int c)
    {
        manual_seed(7);
        var net = PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 16, NumTransforms = 2 })(randn(200, d), randn(200, c));
        using (no_grad())
            foreach (var p in net.parameters()) p.add_(randn_like(p) * 0.2);
        net.eval();
        return net;
    }

    private sealed class NaNPotential() : BasePotential(null, null)
    {
        public override Tensor Evaluate(Tensor theta, bool trackGradients = true) => full(new long[] { theta.shape[0] }, float.NaN);
    }
}
