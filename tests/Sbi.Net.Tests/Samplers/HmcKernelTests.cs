using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

/// <summary>Static HMC: the shared Hamiltonian checks (<see cref="HamiltonianKernelTests"/>) plus its trajectory length.</summary>
public class HmcKernelTests : HamiltonianKernelTests
{
    private protected override IHamiltonianKernel Make(IMcmcTarget target, ReadOnlySpan<double> init, Random rng, McmcKernelSettings settings) =>
        new HmcKernel(target, init, rng, settings);

    private protected override string Name => "hmc";

    /// <summary>
    /// On the wall HMC runs at a fixed ε = 0.2 without warm-up. With warm-up, a chain that ends it beside the wall
    /// sees most trajectories rejected in the 50-iteration terminal buffer, where each rejection at t ≈ 50 cuts
    /// log ε by ≈ 1.9, and freezes with ε down to 10⁻³–10⁻⁴ (a fixed NumLeapfrogSteps does not lengthen with it).
    /// Measured over seeds 100–199 (4 chains, 500 + 1000 draws each), the mean of x₁ came out −0.254 ± 0.009 against
    /// −0.288, 3.7 standard errors of the 100-run mean toward the wall, and log ε correlated −0.67 with a chain's mean. That is the adaptation schedule's weakness on walls (NUTS, whose trajectories grow as ε
    /// shrinks, is unbiased there), not the transition's: at a fixed ε the moments are right, which is what this checks.
    /// </summary>
    private protected override KernelRun RunOnWall(WalledGaussian target) =>
        Run(target, seed: 3, settings: new McmcKernelSettings(WarmupSteps: 0), prepare: k => k.StepSize = 0.2);

    /// <summary>Inside the support every draw takes exactly NumLeapfrogSteps leapfrog steps, one target evaluation each.</summary>
    [Test]
    public void EveryDrawTakesNumLeapfrogStepsEvaluations()
    {
        var target = new CorrelatedGaussian();
        var kernel = new HmcKernel(target, target.Init(new Random(8)), new Random(9), new McmcKernelSettings(WarmupSteps: 0, NumLeapfrogSteps: 7));
        kernel.StepSize = 0.05;
        for (int t = 0; t < 50; t++)
        {
            long before = target.Evaluations;
            kernel.Step(adapting: false);
            Assert.That(kernel.LeapfrogSteps, Is.EqualTo(7));
            Assert.That(target.Evaluations - before, Is.EqualTo(7));
        }
    }
}
