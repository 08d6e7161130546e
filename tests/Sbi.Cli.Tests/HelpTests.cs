using System.CommandLine;
using NUnit.Framework;

namespace Sbi.Cli.Tests;

/// <summary>--help for every command exits 0 and lists its options; every command and option has a description.</summary>
public class HelpTests
{
    [TestCase("demo", "--rounds")]
    [TestCase("train", "--x-o")]
    [TestCase("sample", "--max-sampling-time")]
    [TestCase("export", "--no-prune")]
    [TestCase("bench train", "--autograd")]
    [TestCase("bench sample", "--threads")]
    [TestCase("bench gpu", "--skip-smoke")]
    [TestCase("bench sbc", "--posterior-samples")]
    [TestCase("bench posteriors", "--sbi")]
    [TestCase("sample", "--sample-with")]
    [TestCase("train", "--tracker")]
    [TestCase("demo", "--plot")]
    [TestCase("diagnose sbc", "--num-posterior-samples")]
    [TestCase("diagnose tarp", "--z-score-theta")]
    [TestCase("plot pairplot", "--kind")]
    [TestCase("plot summary", "--log-dir")]
    public void HelpForEachCommandExitsZero(string command, string someOption)
    {
        var r = CliRun.Of([.. command.Split(' '), "--help"]);
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain($"sbi-net {command} [options]").And.Contain(someOption).And.Contain("--verbose"));
        Assert.That(r.Err, Is.Empty);
    }

    [Test]
    public void TopLevelHelpListsEveryCommand()
    {
        var r = CliRun.Of("--help");
        Assert.That(r.Code, Is.EqualTo(0));
        foreach (var c in new[] { "demo", "train", "sample", "export", "diagnose", "plot", "bench" }) Assert.That(r.Out, Does.Contain(c));
    }

    [Test]
    public void HelpAsACommandStillWorks()
    {
        var r = CliRun.Of("help", "train");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("sbi-net train [options]"));
    }

    [Test]
    public void NameEqualsValueIsAccepted()
    {
        // The old parser took --name=value; a value that is out of range proves the value reached the option.
        var r = CliRun.Of("demo", "--threads=0");
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --threads must be between 1 and"));
    }

    [Test]
    public void EveryCommandAndOptionIsDescribed()
    {
        var root = Cli.Build(new CliContext(TextWriter.Null, TextWriter.Null), new Option<bool>("--verbose") { Description = "v" });
        var missing = new List<string>();
        void Walk(Command c, string path)
        {
            if (string.IsNullOrWhiteSpace(c.Description)) missing.Add(path);
            foreach (var o in c.Options)
                if (string.IsNullOrWhiteSpace(o.Description)) missing.Add($"{path} {o.Name}");
            foreach (var s in c.Subcommands) Walk(s, $"{path} {s.Name}");
        }
        Walk(root, "sbi-net");
        Assert.That(missing, Is.Empty);
        Assert.That(root.Subcommands.Select(s => s.Name), Is.EquivalentTo(new[] { "demo", "train", "sample", "export", "diagnose", "plot", "bench" }));
        Assert.That(root.Subcommands.Single(s => s.Name == "bench").Subcommands.Select(s => s.Name), Is.EquivalentTo(new[] { "train", "sample", "posteriors", "gpu", "sbc", "sbibm" }));
    }
}
