using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

/// <summary>NUTS: the shared Hamiltonian checks (<see cref="HamiltonianKernelTests"/>) plus divergences on Neal's funnel and the tree-depth cap.</summary>
public class NutsKernelTests : HamiltonianKernelTests
{
    private protected override IHamiltonianKernel Make(IMcmcTarget target, ReadOnlySpan<double> init, Random rng, McmcKernelSettings settings) =>
        new NutsKernel(target, init, rng, settings);

    private protected override string Name => "nuts";

    /// <summary>
    /// Neal's funnel in 10 dimensions: the neck's curvature e^−v grows without bound, so at δ = 0.8 NUTS diverges
    /// there (Betancourt and Girolami 2015, "Hamiltonian Monte Carlo for hierarchical models", the standard
    /// demonstration; Stan reports divergences on it at any adapt_delta below 0.99). The flags must appear, and no
    /// divergent state may reach the chain: every kept position is finite with a finite log density.
    /// </summary>
    [Test]
    public void FunnelDivergencesAreFlaggedAndNeverDrawn()
    {
        var target = new NealsFunnel();
        var run = Run(target, seed: 5);
        Assert.Multiple(() =>
        {
            Assert.That(run.Divergences, Is.GreaterThan(0));
            Assert.That(run.PerDim.SelectMany(x => x).All(double.IsFinite));
            Assert.That(run.Kernels.All(k => double.IsFinite(k.LogDensity)));
        });
    }

    /// <summary>With MaxTreeDepth = 3 no draw takes more than 2³ − 1 = 7 leapfrog steps or 3 doublings.</summary>
    [Test]
    public void MaxTreeDepthCapsTheTrajectory()
    {
        var target = new CorrelatedGaussian();
        var kernel = new NutsKernel(target, target.Init(new Random(6)), new Random(7), new McmcKernelSettings(WarmupSteps: 100, MaxTreeDepth: 3));
        var depths = new List<int>();
        for (int t = 0; t < 300; t++)
        {
            kernel.Step(adapting: t < 100);
            Assert.That(kernel.LeapfrogSteps, Is.InRange(1, 7));
            depths.Add(kernel.TreeDepth);
        }
        Assert.That(depths.Max(), Is.EqualTo(3), "the cap is reached on this ill-conditioned target");
        Assert.That(depths.Min(), Is.GreaterThanOrEqualTo(0));
    }
}
