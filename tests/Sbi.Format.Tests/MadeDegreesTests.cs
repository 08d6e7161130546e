using NUnit.Framework;

namespace Sbi.Format.Tests;

/// <summary>nflows' sequential degrees (nflows/nn/nde/made.py), worked by hand.</summary>
public class MadeDegreesTests
{
    [Test]
    public void DegreesFollowNflows()
    {
        Assert.That(MadeDegrees.Input(3), Is.EqualTo(new long[] { 1, 2, 3 }));
        // (j mod max(1, D − 1)) + min(1, D − 1) with D = 3: j mod 2 + 1.
        Assert.That(MadeDegrees.Hidden(5, 3), Is.EqualTo(new long[] { 1, 2, 1, 2, 1 }));
        // D = 1: every hidden unit has degree 0 (sees the input, which only the context feeds).
        Assert.That(MadeDegrees.Hidden(3, 1), Is.EqualTo(new long[] { 0, 0, 0 }));
        Assert.That(MadeDegrees.Output(6, 3), Is.EqualTo(new long[] { 1, 1, 2, 2, 3, 3 }));
    }

    [Test]
    public void OutputsSeeOnlyEarlierInputs()
    {
        Assert.That(MadeDegrees.Connected(2, 2, isOutput: false), Is.True);
        Assert.That(MadeDegrees.Connected(2, 2, isOutput: true), Is.False);
        Assert.That(MadeDegrees.Connected(3, 2, isOutput: true), Is.True);
        Assert.That(MadeDegrees.Connected(1, 2, isOutput: false), Is.False);
    }
}
