using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

public class StepSizeHeuristicTests
{
    /// <summary>
    /// Algorithm 4's stopping rule, replayed with the same momentum (the same stream): from ε₀ the step size moves by
    /// factors of 2 in the direction a = ±1 fixed by the first step, and stops at the first ε where the one-step
    /// acceptance ratio has crossed ½ (a·(log ratio − log ½) ≤ 0) while at ε/2^a it had not.
    /// </summary>
    [TestCase(1.0, 0.05)]
    [TestCase(1.0, 20.0)]
    [TestCase(0.001, 1.0)]
    [TestCase(100.0, 1.0)]
    public void StopsWhereTheOneStepAcceptanceCrossesAHalf(double epsilon0, double scale)
    {
        var target = new CorrelatedGaussian(dim: 4, rho: 0.5, minScale: scale, maxScale: 3 * scale);
        var hamiltonian = new Hamiltonian(target, [1, 1, 1, 1]);
        var start = new PhasePoint(4);
        target.Mean.Select((m, i) => m + 0.3 * scale * (i - 1.5)).ToArray().CopyTo(start.Q, 0);
        hamiltonian.Evaluate(start);
        double epsilon = StepSizeHeuristic.Find(hamiltonian, start, new PhasePoint(4), new GaussianDraws(new Random(9)), epsilon0);

        // The same momentum: Find drew it first from an identical stream.
        var replay = new PhasePoint(4);
        replay.CopyPositionFrom(start);
        hamiltonian.SampleMomentum(replay, new GaussianDraws(new Random(9)));
        double h0 = hamiltonian.Energy(replay);
        double LogRatio(double e)
        {
            var z = new PhasePoint(4);
            z.CopyFrom(replay);
            hamiltonian.Leapfrog(z, e);
            return h0 - hamiltonian.Energy(z);
        }
        double threshold = Math.Log(0.5);
        int direction = LogRatio(epsilon0) > threshold ? 1 : -1;
        double steps = Math.Log2(epsilon / epsilon0);
        TestContext.Out.WriteLine($"ε₀ {epsilon0} → ε {epsilon:G4} ({steps:+0;-0} doublings)");
        Assert.Multiple(() =>
        {
            Assert.That(steps, Is.EqualTo(Math.Round(steps)), "ε is ε₀ times a power of 2");
            Assert.That(Math.Sign(steps), Is.EqualTo(steps == 0 ? 0 : direction), "moved in the first step's direction");
            Assert.That(direction * (LogRatio(epsilon) - threshold), Is.LessThanOrEqualTo(0), "crossed ½ at ε");
            if (steps != 0) Assert.That(direction * (LogRatio(epsilon / Math.Pow(2, direction)) - threshold), Is.GreaterThan(0), "not yet crossed one step before");
        });
    }
}
