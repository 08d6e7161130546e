using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

/// <summary>
/// The checks HMC and NUTS share, run by <see cref="HmcKernelTests"/> and <see cref="NutsKernelTests"/>: moments of
/// known targets within Monte-Carlo error, split-R̂ within its sampling spread, the adapted metric against the
/// target's variances, the acceptance statistic against the target, robustness at walls and NaNs, reproducibility
/// and the bad-start error. Each run: 4 chains on <see cref="ChainSeeds"/> streams, 500 warm-up and 1000 kept draws.
/// </summary>
public abstract class HamiltonianKernelTests
{
    private protected const int Warmup = 500, Draws = 1000;

    private protected abstract IHamiltonianKernel Make(IMcmcTarget target, ReadOnlySpan<double> init, Random rng, McmcKernelSettings settings);

    private protected abstract string Name { get; }

    private protected KernelRun Run(KnownTarget target, long seed, McmcKernelSettings? settings = null, int draws = Draws, Action<IHamiltonianKernel>? prepare = null)
    {
        var run = KernelRun.Drive(Make, target, settings ?? new McmcKernelSettings(WarmupSteps: Warmup), draws, seed, prepare: prepare);
        TestContext.Out.WriteLine($"{Name}: mean acceptance {run.MeanAccept:F3}, divergences {run.Divergences}, {run.Evaluations} evaluations, " +
                                  $"step sizes {string.Join(", ", run.Kernels.Select(k => k.StepSize.ToString("G4")))}");
        return run;
    }

    /// <summary>The wall test's run: the usual warm-up and draws (HMC overrides it).</summary>
    private protected virtual KernelRun RunOnWall(WalledGaussian target) => Run(target, seed: 3);

    private readonly Lazy<KernelRun>[] _runs;
    private static readonly KnownTarget[] Targets = [new CorrelatedGaussian(), new Banana()];

    protected HamiltonianKernelTests() => _runs = [new(() => Run(Targets[0], seed: 1)), new(() => Run(Targets[1], seed: 2))];

    [TestCase(0, TestName = "{m}(CorrelatedGaussian10D)")]
    [TestCase(1, TestName = "{m}(Banana)")]
    public void MomentsWithinMonteCarloError(int target) => _runs[target].Value.AssertMoments(Targets[target], $"{Name} {Targets[target].GetType().Name}");

    [TestCase(0, TestName = "{m}(CorrelatedGaussian10D)")]
    [TestCase(1, TestName = "{m}(Banana)")]
    public void SplitRhatWithinItsSamplingSpread(int target) => _runs[target].Value.AssertConverged($"{Name} {Targets[target].GetType().Name}");

    [TestCase(0, TestName = "{m}(CorrelatedGaussian10D)")]
    [TestCase(1, TestName = "{m}(Banana)")]
    public void InverseMassIsTheLastWindowsRegularisedVariance(int target) =>
        _runs[target].Value.AssertInverseMass(Targets[target], $"{Name} {Targets[target].GetType().Name}", gaussian: Targets[target] is CorrelatedGaussian);

    /// <summary>
    /// Dual averaging holds the acceptance at δ during warm-up, exactly: after the last slow window closes
    /// (iteration L) it restarts around μ = log(10 ε₀), ε₀ the step size read after iteration L, and after T more
    /// iterations Σₜ(δ − aₜ) = (T + t₀)·s̄_T = γ(μ − x_T)(T + t₀)/√T with x_T the last log step size
    /// (<see cref="DualAveraging"/>). The identity holds to the rounding of T additions of terms ≤ 1
    /// (<see cref="Tolerances.Reduction"/> in float64), and it fails if the kernel feeds dual averaging anything but
    /// the acceptance statistics it reports, or restarts elsewhere. The kept draws' mean acceptance (at exp(x̄)) then
    /// lies in [δ − z·se, <see cref="Tolerances.PostWarmupAcceptanceCeiling"/>] on the Gaussian (the ceiling's
    /// derivation is for Gaussian targets; on the banana only the floor is asserted), se = sd/√ESS of the statistics.
    /// </summary>
    [TestCase(0, TestName = "{m}(CorrelatedGaussian10D)")]
    [TestCase(1, TestName = "{m}(Banana)")]
    public void AcceptanceStatisticIsHeldAtTheTarget(int target)
    {
        var run = _runs[target].Value;
        const double delta = 0.8;
        int last = run.LastWindow.Last, phase = Warmup - 1 - last;
        var spreads = new List<double>();
        Assert.Multiple(() =>
        {
            for (int c = 0; c < run.Chains; c++)
            {
                int offset = c * Warmup;
                double mu = Math.Log(10 * run.WarmupStepSize[offset + last]);
                double xT = Math.Log(run.WarmupStepSize[offset + Warmup - 1]);
                double sum = 0;
                for (int t = last + 1; t < Warmup; t++) sum += delta - run.WarmupAccept[offset + t];
                double identity = DualAveraging.Gamma * (mu - xT) * (phase + DualAveraging.T0) / Math.Sqrt(phase);
                var logSteps = Enumerable.Range(last + 1, phase).Select(t => Math.Log(run.WarmupStepSize[offset + t])).ToArray();
                double m = logSteps.Average();
                spreads.Add(Math.Sqrt(logSteps.Sum(v => (v - m) * (v - m)) / (phase - 1)));
                TestContext.Out.WriteLine($"chain {c}: final phase of {phase} iterations: mean acceptance {delta - sum / phase:F4} = δ − {identity / phase:F4} (identity), sd of log ε {spreads[^1]:F2}");
                Assert.That(Math.Abs(sum - identity), Is.LessThanOrEqualTo(Tolerances.Reduction(phase, phase, Tolerances.U64) + Tolerances.Reduction(8, Math.Abs(identity), Tolerances.U64)),
                            $"chain {c}: dual averaging's identity over the final phase");
            }
            double ess = ConvergenceDiagnostics.MeanEss(run.Accept, run.Chains, run.Draws);
            double avg = run.MeanAccept;
            double sd = Math.Sqrt(run.Accept.Sum(a => (a - avg) * (a - avg)) / (run.Accept.Length - 1));
            double floor = delta - Tolerances.MonteCarloZ * sd / Math.Sqrt(ess), ceiling = Tolerances.PostWarmupAcceptanceCeiling(delta);
            TestContext.Out.WriteLine($"kept draws: mean acceptance {avg:F4}, floor {floor:F4}, ceiling {ceiling:F4}{(target == 0 ? "" : " (not asserted)")}");
            Assert.That(avg, Is.GreaterThanOrEqualTo(floor), "kept draws' mean acceptance");
            if (target == 0) Assert.That(avg, Is.LessThanOrEqualTo(ceiling), "kept draws' mean acceptance");
        });
    }

    /// <summary>
    /// A wall where the density is −∞ (or NaN, against the target contract): trajectories that reach it are rejected
    /// or cut (and flagged divergent), so no kept position is beyond it or non-finite, and the truncated normal's
    /// known moments still come out. With the wall at one standard deviation a trajectory of a few leapfrog steps
    /// reaches it from most of the upper half of the mass, so warm-up and kept draws meet it hundreds of times.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void WallsAndNaNsNeverReachTheChain(bool nanBeyondWall)
    {
        var target = new WalledGaussian(nanBeyondWall: nanBeyondWall);
        var run = RunOnWall(target);
        Assert.Multiple(() =>
        {
            Assert.That(run.PerDim.SelectMany(x => x).All(double.IsFinite), "finite positions");
            Assert.That(run.PerDim[0].Max(), Is.LessThan(target.Wall), "no position beyond the wall");
            Assert.That(run.Divergences, Is.GreaterThan(0), "trajectories into the wall are flagged");
            Assert.That(run.Accept.All(a => a >= 0 && a <= 1), "acceptance statistics in [0, 1]");
        });
        run.AssertMoments(target, $"{Name} wall");
    }

    /// <summary>
    /// With ε = 1000 on N(m, I₁₀) the first leapfrog step lands at q₁ − m = (1 − ε²/2)(q − m) + εp, whose energy
    /// stays within 1000 of the start only if every |q₁ − m|ᵢ ≲ 45, i.e. every pᵢ within 0.045 of
    /// (ε/2)(q − m)ᵢ: probability below 0.036¹⁰ ≈ 4·10⁻¹⁵ per draw. So every draw diverges (HMC: is rejected) and
    /// the chain stays where it is, bitwise.
    /// </summary>
    [Test]
    public void HugeStepSizeDivergesAndNeverMoves()
    {
        var target = new CorrelatedGaussian(dim: 10, rho: 0, minScale: 1, maxScale: 1);
        var init = target.Init(new Random(4));
        var kernel = Make(target, init, new Random(5), new McmcKernelSettings(WarmupSteps: 0));
        kernel.StepSize = 1000;
        Assert.Multiple(() =>
        {
            for (int t = 0; t < 100; t++)
            {
                kernel.Step(adapting: false);
                Assert.That(kernel.Divergent[0], $"draw {t} divergent");
                Assert.That(kernel.AcceptStatistics[0], Is.LessThanOrEqualTo(Math.Exp(-HamiltonianStart.MaxDeltaH)), $"draw {t} acceptance");
                Assert.That(kernel.Positions.ToArray(), Is.EqualTo(init), $"draw {t} position");
            }
            Assert.That(kernel.StepSize, Is.EqualTo(1000), "a step size set without warm-up stays");
        });
    }

    /// <summary>
    /// Steps allocate nothing, adapting or not (buffers are preallocated; the test target evaluates on the stack):
    /// the managed bytes this thread allocates over 300 steps, after 50 to warm the JIT, are 0.
    /// </summary>
    [Test]
    public void StepsAllocateNothing()
    {
        var target = new CorrelatedGaussian();
        var kernel = Make(target, target.Init(new Random(21)), new Random(22), new McmcKernelSettings(WarmupSteps: 300));
        for (int t = 0; t < 50; t++) kernel.Step(adapting: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 50; t < 300; t++) kernel.Step(adapting: true);
        for (int t = 0; t < 50; t++) kernel.Step(adapting: false);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.EqualTo(0), "bytes allocated by 300 steps");
    }

    [Test]
    public void SameSeedSameDrawsBitwise()
    {
        var settings = new McmcKernelSettings(WarmupSteps: 100);
        var a = KernelRun.Drive(Make, new Banana(), settings, draws: 200, seed: 11);
        var b = KernelRun.Drive(Make, new Banana(), settings, draws: 200, seed: 11);
        var c = KernelRun.Drive(Make, new Banana(), settings, draws: 200, seed: 12);
        static long[] Bits(KernelRun r) => r.PerDim.SelectMany(x => x).Concat(r.Accept).Concat(r.WarmupStepSize).Select(BitConverter.DoubleToInt64Bits).ToArray();
        Assert.That(Bits(b), Is.EqualTo(Bits(a)));
        Assert.That(b.Divergent, Is.EqualTo(a.Divergent));
        Assert.That(Bits(c), Is.Not.EqualTo(Bits(a)), "another seed, other draws");
    }

    [Test]
    public void BadStartIsAnArgumentErrorNamingTheStart()
    {
        var settings = new McmcKernelSettings();
        Assert.Multiple(() =>
        {
            foreach (bool nan in new[] { false, true })
            {
                var e = Assert.Throws<ArgumentException>(() => Make(new WalledGaussian(nanBeyondWall: nan), [2.5, 0.25], new Random(1), settings));
                Assert.That(e!.ParamName, Is.EqualTo("init"));
                Assert.That(e.Message, Does.Contain("finite log density").And.Contain("2.5, 0.25"));
            }
            var wrongLength = Assert.Throws<ArgumentException>(() => Make(new Banana(), [0.0, 0.0, 0.0], new Random(1), settings));
            Assert.That(wrongLength!.ParamName, Is.EqualTo("init"));
            Assert.That(wrongLength.Message, Does.Contain("dimension 2").And.Contain("length 3"));
            var nonFinite = Assert.Throws<ArgumentException>(() => Make(new Banana(), [double.NaN, 0.0], new Random(1), settings));
            Assert.That(nonFinite!.ParamName, Is.EqualTo("init"));
            Assert.Throws<ArgumentOutOfRangeException>(() => Make(new Banana(), [0.0, 0.0], new Random(1), settings with { TargetAccept = 1 }));
            Assert.Throws<ArgumentOutOfRangeException>(() => Make(new Banana(), [0.0, 0.0], new Random(1), settings with { WarmupSteps = -1 }));
        });
    }
}
