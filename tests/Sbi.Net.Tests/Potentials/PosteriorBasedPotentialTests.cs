using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Potentials;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Tests.Potentials;

/// <summary>
/// sbi's <c>posterior_estimator_based_potential</c> (sbi/inference/potentials/posterior_based_potential.py) over a
/// closed-form estimator q(θ | x) = N(θ; x, 1) and the box prior on [0, 5].
/// </summary>
public class PosteriorBasedPotentialTests
{
    private static (PosteriorBasedPotential Potential, IBijector Transform) Make(Tensor? xo)
    {
        var prior = new BoxUniform(new float[] { 0 }, new float[] { 5 });
        return PotentialFactory.PosteriorEstimatorBased(new GaussianEstimator(1, 1, a: 1), prior, xo);
    }

    /// <summary>
    /// log N(θ; 1, 1) inside the support, −∞ outside, and the gradient. The support is the closed box [0, 5], as
    /// sbi's <c>within_support</c> checks torch's <c>interval</c> constraint (θ = 5 counts as inside). The gradient is
    /// −(θ − 1). Each float32 value is a short formula (difference, square, scale, constant, sum: 6 operations on
    /// values ≤ 9) and the gradient two (<see cref="Tolerances.Formula"/>).
    /// </summary>
    [Test]
    public void IsTheEstimatorsLogDensityInsideTheSupportAndMinusInfinityOutside()
    {
        using var scope = NewDisposeScope();
        var (potential, transform) = Make(tensor(new float[] { 1 }));
        Assert.That(transform, Is.InstanceOf<SigmoidBoxBijector>(), "a box prior's potential comes with the logit transform");
        var theta = tensor(new float[,] { { 0.5f }, { 3 }, { -0.5f }, { 5.5f }, { 5 } });
        var values = potential.Evaluate(theta).data<float>().ToArray();
        double c = 0.5 * Math.Log(2 * Math.PI);
        Assert.That(values[0], Is.EqualTo(-0.125 - c).Within(Tolerances.Formula(6, 9)));
        Assert.That(values[1], Is.EqualTo(-2 - c).Within(Tolerances.Formula(6, 9)));
        Assert.That(float.IsNegativeInfinity(values[2]) && float.IsNegativeInfinity(values[3]), string.Join(", ", values));
        Assert.That(values[4], Is.EqualTo(-8 - c).Within(Tolerances.Formula(6, 9)), "the closed box's right end is inside");

        var (value, gradient) = potential.ValueAndGradient(theta.narrow(0, 0, 2));
        Assert.That(value.shape, Is.EqualTo(new long[] { 2 }));
        Assert.That(gradient.shape, Is.EqualTo(new long[] { 2, 1 }));
        var g = gradient.data<float>().ToArray();
        Assert.That(g[0], Is.EqualTo(0.5).Within(Tolerances.Formula(2, 2)));
        Assert.That(g[1], Is.EqualTo(-2.0).Within(Tolerances.Formula(2, 2)));
    }

    [Test]
    public void EvaluatingWithoutAnObservationSaysHowToSetOne()
    {
        using var scope = NewDisposeScope();
        var (potential, _) = Make(null);
        var ex = Assert.Throws<InvalidOperationException>(() => potential.Evaluate(zeros(1, 1)));
        Assert.That(ex!.Message, Does.Contain("SetX"));
        potential.SetX(tensor(new float[] { 2 }));
        Assert.That(potential.XO!.shape, Is.EqualTo(new long[] { 1, 1 }));
    }

    [Test]
    public void MisshapenInputsAreRefusedByName()
    {
        using var scope = NewDisposeScope();
        var (potential, _) = Make(tensor(new float[] { 1 }));
        var bx = Assert.Throws<ArgumentException>(() => potential.SetX(zeros(2, 1)));
        Assert.That(bx!.ParamName, Is.EqualTo("x"));
        Assert.That(bx.Message, Does.Contain("got (2, 1)").Or.Contain("got [2, 1]"));
        var bt = Assert.Throws<ArgumentException>(() => potential.Evaluate(zeros(3, 2)));
        Assert.That(bt!.ParamName, Is.EqualTo("theta"));
    }
}
