using NUnit.Framework;
using Sbi.Plots.Tests;

namespace Sbi.Cli.Tests;

/// <summary>
/// `demo --plot`: the pair plot of the posterior's samples against exact draws of the analytic posterior, and the
/// sampler of those draws (N(μ, σ²) truncated to [a, b], also where [a, b] lies far in a tail).
/// </summary>
public class DemoPlotTests
{
    [Test]
    public void DemoPlotWritesThePairPlotAndChangesNothingPrinted()
    {
        using var w = new Workspace();
        var png = w["demo/pair.png"];
        string[] args = ["demo", "--rounds", "1", "--sims", "100", "--seed", "1"];
        var plain = CliRun.Of(args);
        var plotted = CliRun.Of([.. args, "--plot", png]);
        Assert.That(plotted.Code, Is.EqualTo(0), plotted.ToString());
        Assert.That(plotted.Out, Does.Contain($"wrote the pair plot").And.Contain(png));
        // The posterior table (dim, mean, analytic, std, analytic): the same numbers with and without --plot.
        static string[] Table(string output) => output.Split('\n').Where(l => l.TrimStart().Length > 0 && char.IsDigit(l.TrimStart()[0]) && l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 5).ToArray();
        Assert.That(Table(plotted.Out), Has.Length.EqualTo(3));
        Assert.That(Table(plotted.Out), Is.EqualTo(Table(plain.Out)));
        // Three parameters, 250 pixels each.
        PngCheck.Decoded(png, 750, 750);
    }

    [Test]
    public void APlotPathThatIsNotAPngIsAUsageError()
    {
        var r = CliRun.Of("demo", "--plot", "demo.svg");
        Assert.That(r.Code, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("sbi-net: error: --plot must name a .png file; got 'demo.svg'"));
    }

    /// <summary>
    /// The draws' mean and second moment against the closed forms (<see cref="Analytic.TruncatedNormal"/>), each a z
    /// statistic with the standard error estimated from the draws, within <see cref="Tolerances.MonteCarloZ"/>; and
    /// every draw inside [a, b]. The cases cover each of the sampler's branches: around the mean, wide and narrow; one
    /// side of it, near and (as the demo's x_o = −2.18 is) 21.8 σ away. In that far case the closed-form second moment
    /// cancels to ~5·10⁻⁵ relative error (Erfc's 1.2·10⁻⁷ times α² ≈ 475), comparable to its standard error, so only
    /// the mean is compared there (its closed form keeps ~3·10⁻⁷, 100× below the standard error).
    /// </summary>
    [TestCase(0.5, 0.1, 0.0, 1.0, true)]    // around the mean, 10 σ wide: the normal itself
    [TestCase(0.5, 1.0, 0.0, 1.0, true)]    // around the mean, 1 σ wide: uniform proposal
    [TestCase(1.54, 0.1, 0.0, 1.0, true)]   // 5.4 σ below the mean: exponential proposal
    [TestCase(3.0, 1.0, 0.0, 0.3, true)]    // 2.7 σ below, 0.3 σ wide: uniform proposal
    [TestCase(-2.18, 0.1, 0.0, 1.0, false)] // 21.8 σ above the mean: exponential proposal
    public void TruncatedNormalDrawsHaveTheClosedFormMoments(double mu, double sigma, double a, double b, bool secondMoment)
    {
        const int n = 20_000;
        var draws = Analytic.SampleTruncatedNormal(n, mu, sigma, a, b, new Random(3));
        Assert.That(draws.All(v => v >= a && v <= b), Is.True, "inside [a, b]");
        var (mean, std) = Analytic.TruncatedNormal(mu, sigma, a, b);
        Assert.That(Z(draws, mean), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), "mean");
        if (secondMoment)
            Assert.That(Z(draws.Select(v => v * v).ToArray(), std * std + mean * mean), Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), "second moment");
    }

    private static double Z(double[] values, double expected)
    {
        double m = values.Average();
        double sd = Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / (values.Length - 1));
        return Math.Abs(m - expected) / (sd / Math.Sqrt(values.Length));
    }
}
