using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Posteriors;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Integrity;

/// <summary>A posterior whose mass lies outside the prior (q = N(10, 1), prior U(0, 1)): 0 % acceptance.</summary>
public class SamplingTimeLimitTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(0.3);
    // One more proposal batch (10,000 Gaussian draws) after the limit is far below this; it only absorbs a loaded CI machine.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(3);

    private static DirectPosterior Outside(BoxUniform prior) =>
        new(new GaussianEstimator(1, 1, a: 0, b: 10), prior, logger: NullLogger.Instance);

    private static void AssertTimesOut(Action call)
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<TimeoutException>(() => call());
        Assert.That(clock.Elapsed, Is.LessThan(Limit + Margin));
        Assert.That(e!.Message, Does.Contain("unlikely under the trained posterior").And.Contain("0.000 %").And.Contain("rejectOutsidePrior: false"));
    }

    [Test]
    public void SampleSampleBatchedLogProbAndLeakageCorrectionStopAtTheLimit()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { 0 }, new float[] { 1 });
        var post = Outside(prior);
        var x = zeros(1, 1);
        AssertTimesOut(() => post.Sample(10, x, maxSamplingTime: Limit));
        AssertTimesOut(() => post.SampleBatched(10, zeros(2, 1), maxSamplingTime: Limit));
        AssertTimesOut(() => post.LogProb(full(3, 1, 0.5f), x, maxSamplingTime: Limit));
        AssertTimesOut(() => post.LeakageCorrection(x, maxSamplingTime: Limit));
    }
}
