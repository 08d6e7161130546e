using NUnit.Framework;
using Sbi.Samplers.Vi;

namespace Sbi.Tests.Samplers.Vi;

/// <summary>sbi's loss statistics and convergence rule (sbi/samplers/vi/vi_divergence_optimizers.py, <c>update_loss_stats</c>, <c>converged</c>).</summary>
public class LossStatisticsTests
{
    /// <summary>
    /// From step Window − 1 = 19 on, sbi's recursion is the mean of the last 20 losses: held to the float64 rounding of 20
    /// running additions of values of size ≤ 2 (20 · 2⁻⁵³ · 2 per step, accumulated over the 200 steps: 200·20·2·u64).
    /// </summary>
    [Test]
    public void TheMovingAverageIsTheMeanOfTheLastTwentyLosses()
    {
        var rng = new Random(3);
        var losses = Enumerable.Range(0, 200).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var s = new LossStatistics();
        for (int t = 0; t < losses.Length; t++)
        {
            s.Add(losses[t]);
            Assert.That(s.AverageIsFull, Is.EqualTo(t >= LossStatistics.Window - 1));
            if (t >= LossStatistics.Window - 1)
                Assert.That(s.MovingAverage, Is.EqualTo(losses.Skip(t - LossStatistics.Window + 1).Take(LossStatistics.Window).Average()).Within(200 * 20 * 2 * Tolerances.U64 * 2));
        }
        Assert.That(s.Count, Is.EqualTo(200));
    }

    /// <summary>
    /// Constant losses have slope 0 from step 1 on (sbi's buffers start the first slope at 1), so the check first passes at
    /// step 50, when the last 50 slopes are all 0; a loss falling by 10⁻³ per step has slope ≈ −29.5·10⁻³/20 (the loss
    /// against the average 20 steps back) and never converges at eps 1e-5; a non-finite loss repeats the previous statistics.
    /// </summary>
    [Test]
    public void ConvergenceFollowsSbisSlopeRule()
    {
        var flat = new LossStatistics();
        int convergedAt = -1;
        for (int t = 0; t < 100 && convergedAt < 0; t++)
        {
            flat.Add(3.0);
            if (flat.Converged(1e-5)) convergedAt = t;
        }
        Assert.That(convergedAt, Is.EqualTo(LossStatistics.ConsideredValues), "the first slope holds sbi's initial 1");
        var falling = new LossStatistics();
        for (int t = 0; t < 300; t++)
        {
            falling.Add(5 - 1e-3 * t);
            Assert.That(falling.Converged(1e-5), Is.False);
        }
        double before = falling.MovingAverage;
        falling.Add(double.NaN);
        Assert.That(falling.MovingAverage, Is.EqualTo(before));
    }
}
