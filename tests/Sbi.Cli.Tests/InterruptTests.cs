using NUnit.Framework;

namespace Sbi.Cli.Tests;

/// <summary>Ctrl-C during `sbi-net train`, in a real child process: exit 130, the best weights saved to --out, and the file loads.</summary>
public class InterruptTests
{
    [Test]
    [CancelAfter(120_000)]
    public void SigintDuringTrainingSavesTheBestWeightsAndExits130()
    {
        using var w = new Workspace();
        // Enough rows that an epoch takes a while and early stopping is far away when the signal comes.
        var (theta, x) = w.Simulations(4000, 4000);
        var model = w["m.npz"];
        using var child = SigintChild.Start(["train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", model, "--batch-size", "20"],
                                            line => line.StartsWith("epoch 1:", StringComparison.Ordinal));
        Assert.That(child.WaitReady(TimeSpan.FromSeconds(90)), Is.True, () => $"no epoch line; stderr:\n{child.Stderr}");
        Assert.That(child.HasExited, Is.False, () => $"training finished before the signal; stdout:\n{child.Stdout}");
        int exitCode = child.Interrupt();
        string err = child.Stderr;
        Assert.That(exitCode, Is.EqualTo(130), err);
        Assert.That(err, Does.Contain($"saved the best weights so far to {model}"));
        Assert.That(err, Does.Not.Contain("   at "));
        var posterior = Sbi.IO.ModelFile.Load(model);
        Assert.That(posterior.PosteriorEstimator.Config.D, Is.EqualTo(2));
    }
}
