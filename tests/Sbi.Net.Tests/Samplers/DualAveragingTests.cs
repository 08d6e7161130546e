using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

public class DualAveragingTests
{
    private const double Delta = 0.8;

    /// <summary>
    /// Algorithm 5's first update by hand: s̄₁ = (δ − a)/(1 + t₀), x₁ = μ − s̄₁/γ, x̄₁ = x₁ (weight 1^−κ = 1). Five
    /// float64 operations each within u64 of values no larger than |μ| + |s̄₁|/γ.
    /// </summary>
    [Test]
    public void FirstUpdateIsAlgorithm5ByHand()
    {
        var dual = new DualAveraging(Delta);
        double mu = Math.Log(10 * 0.37);
        dual.Restart(mu);
        double epsilon = dual.Update(0.55);
        double sBar = (Delta - 0.55) / (1 + DualAveraging.T0), x = mu - sBar / DualAveraging.Gamma;
        double bound = 5 * Tolerances.U64 * (Math.Abs(mu) + Math.Abs(sBar / DualAveraging.Gamma));
        Assert.Multiple(() =>
        {
            Assert.That(dual.Count, Is.EqualTo(1));
            Assert.That(dual.X, Is.EqualTo(x).Within(bound));
            Assert.That(dual.XBar, Is.EqualTo(x).Within(bound));
            Assert.That(epsilon, Is.EqualTo(Math.Exp(x)).Within(2 * bound * Math.Exp(x)));
            Assert.That(dual.AveragedStepSize, Is.EqualTo(Math.Exp(x)).Within(2 * bound * Math.Exp(x)));
        });
    }

    /// <summary>
    /// Algorithm 5 telescopes: (t + t₀)·s̄_t = Σᵢ≤t (δ − aᵢ), so Σ(δ − aᵢ) = γ(μ − x_t)(t + t₀)/√t after any statistics.
    /// Each update rounds ≈ 4 times relative to values that, scaled by t + t₀, stay below t + t₀ (|δ − a| ≤ 1), so
    /// the two sides agree within <see cref="Tolerances.Reduction"/>(4t, t + t₀, u64).
    /// </summary>
    [Test]
    public void CumulativeAcceptanceDeficitIsTheIdentity()
    {
        var rng = new Random(3);
        var dual = new DualAveraging(Delta);
        double mu = Math.Log(10 * 0.2);
        dual.Restart(mu);
        double sum = 0;
        const int t = 1000;
        for (int i = 0; i < t; i++)
        {
            double a = rng.NextDouble();
            sum += Delta - a;
            dual.Update(a);
        }
        double identity = DualAveraging.Gamma * (mu - dual.X) * (t + DualAveraging.T0) / Math.Sqrt(t);
        Assert.That(identity, Is.EqualTo(sum).Within(Tolerances.Reduction(4 * t, t + DualAveraging.T0, Tolerances.U64)));
    }

    /// <summary>
    /// On a deterministic acceptance curve a(x) = 1/(1 + e^(2x)) (decreasing in x = log ε) the iterates converge to
    /// the root x* = ½ log((1 − δ)/δ) (ε* = ½ at δ = 0.8). From the identity above, S_t = Σ(δ − aᵢ) ≈ γ(μ − x*)√t,
    /// so δ − a(x_t) ≈ γ(μ − x*)/(2√t) and x_t − x* ≈ c/√t with c = γ(μ − x*)/(2|a′(x*)|), a′(x*) = −2δ(1 − δ). The
    /// average x̄_t weighs the iterates of roughly the last half of the run (weights t^−κ, κ = 0.75, decay over
    /// t^κ ≪ t iterations), each within c/√(t/2) of x*: both are asserted within 2c/√t, after 10⁴ updates 0.0047,
    /// against |x₀ − x*| = 3.0 from μ = log 10.
    /// </summary>
    [Test]
    public void ConvergesToTheStepSizeWhoseAcceptanceIsTheTarget()
    {
        static double Accept(double x) => 1 / (1 + Math.Exp(2 * x));
        double root = 0.5 * Math.Log((1 - Delta) / Delta), mu = Math.Log(10);
        var dual = new DualAveraging(Delta);
        dual.Restart(mu);
        const int t = 10_000;
        for (int i = 0; i < t; i++) dual.Update(Accept(dual.X));
        double c = DualAveraging.Gamma * (mu - root) / (2 * 2 * Delta * (1 - Delta));
        double bound = 2 * c / Math.Sqrt(t);
        TestContext.Out.WriteLine($"x_T − x* = {dual.X - root:E3}, x̄_T − x* = {dual.XBar - root:E3}, c/√T = {c / Math.Sqrt(t):E3}");
        Assert.Multiple(() =>
        {
            Assert.That(dual.X - root, Is.InRange(-bound, bound));
            Assert.That(dual.XBar - root, Is.InRange(-bound, bound));
        });
    }

    [Test]
    public void RestartForgetsTheHistory()
    {
        var used = new DualAveraging(Delta);
        used.Restart(1.0);
        for (int i = 0; i < 50; i++) used.Update(i % 3 == 0 ? 0.1 : 0.95);
        used.Restart(0.4);
        var fresh = new DualAveraging(Delta);
        fresh.Restart(0.4);
        Assert.Multiple(() =>
        {
            Assert.That(used.Count, Is.EqualTo(0));
            Assert.That(used.X, Is.EqualTo(0.4));
            Assert.That(used.Update(0.3), Is.EqualTo(fresh.Update(0.3)));
            Assert.That(used.XBar, Is.EqualTo(fresh.XBar));
        });
    }

    [Test]
    public void StatisticsAboveOneAreClampedAndNaNCountsAsRejection()
    {
        DualAveraging Fresh() { var d = new DualAveraging(Delta); d.Restart(0); return d; }
        Assert.Multiple(() =>
        {
            Assert.That(Fresh().Update(1.7), Is.EqualTo(Fresh().Update(1.0)));
            Assert.That(Fresh().Update(double.NaN), Is.EqualTo(Fresh().Update(0.0)));
            Assert.That(Fresh().Update(-0.5), Is.EqualTo(Fresh().Update(0.0)));
            Assert.Throws<ArgumentOutOfRangeException>(() => new DualAveraging(1.0));
            Assert.Throws<ArgumentOutOfRangeException>(() => new DualAveraging(0.0));
        });
    }
}
