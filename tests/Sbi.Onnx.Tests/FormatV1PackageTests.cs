using NUnit.Framework;
using Sbi.Data;
using Sbi.IO;
using Sbi.Numpy;
using Sbi.Onnx.Runtime;
using static TorchSharp.torch;

namespace Sbi.Onnx.Tests;

/// <summary>
/// An ONNX package exported before the seams change (tests/fixtures/format-v1/package_maf; its manifest names the
/// family "kind") still loads in ONNX Runtime and computes what it computed then.
/// </summary>
public class FormatV1PackageTests
{
    private static string File(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "format-v1", name);

    private static (float[] LogProb, float[] Samples) Recorded()
    {
        var lines = System.IO.File.ReadAllLines(File("expected_package_maf.txt"));
        float[] Parse(string line) => line.Split(' ').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (Parse(lines[0]), Parse(lines[1]));
    }

    /// <summary>
    /// Today's and the recorded log-probabilities are two float32 evaluations of the same maths and the same leakage
    /// correction (seeded), so they differ by at most twice <see cref="Tolerances.Float32"/>, with today's float32 error
    /// measured against the float64 evaluation of the model file the package was exported from.
    /// </summary>
    [Test]
    public void LoadsAndComputesTheRecordedLogProbs()
    {
        using var scope = NewDisposeScope();
        using var post = OnnxPosterior.Load(File("package_maf"));
        Assert.That(post.Manifest.EstimatorName, Is.EqualTo("maf"));
        var expected = NpzFile.Load(File("expected_model_maf.npz"));
        var theta = expected["theta"].AsFloat32();
        int n = theta.Length / 2;
        var grid = new float[n, 2];
        for (int i = 0; i < n; i++) { grid[i, 0] = theta[2 * i]; grid[i, 1] = theta[2 * i + 1]; }
        var xo = new[] { 0.1f, 0.2f, 0.3f };
        var ours = post.LogProb(grid, xo);
        var (recorded, _) = Recorded();
        Assert.That(ours.Select(float.IsNegativeInfinity), Is.EqualTo(recorded.Select(float.IsNegativeInfinity)), "the same rows are outside the prior");

        var model = ModelFile.Load(File("model_maf.npz"));
        using var est64 = Float64.Copy(model.PosteriorEstimator);
        using var _ = no_grad();
        var raw64 = est64.LogProb(expected["theta"].ToTensor().D(), tensor(xo).D().unsqueeze(0).expand(n, -1)).reshape(-1).data<double>().ToArray();
        var raw = new float[n];
        post.RawLogProb(theta, n, xo, raw);
        double ownError = raw.Select((v, i) => Math.Abs(v - raw64[i])).Max();
        double bound = 2 * Tolerances.Float32(ownError, model.PosteriorEstimator.Config.HiddenFeatures, raw64.Max(Math.Abs))
                     + 2 * Tolerances.Formula(1, ours.Where(float.IsFinite).Max(Math.Abs));
        var inside = Enumerable.Range(0, n).Where(i => float.IsFinite(recorded[i])).ToArray();
        Assume.That(inside, Is.Not.Empty, "some θ inside the prior");
        Assert.That(inside.Max(i => Math.Abs(ours[i] - recorded[i])), Is.LessThanOrEqualTo(bound));
    }

    /// <summary>100 draws with the recorded seed: means within <see cref="Tolerances.MonteCarloZ"/> standard errors of the recorded draws'.</summary>
    [Test]
    public void SamplesWithTheRecordedSeedMatchTheRecordedDraws()
    {
        using var post = OnnxPosterior.Load(File("package_maf"));
        var s = post.Sample(100, new[] { 0.1f, 0.2f, 0.3f }, 7);
        var (_, recorded) = Recorded();
        for (int j = 0; j < 2; j++)
        {
            var a = Enumerable.Range(0, 100).Select(i => (double)s[i, j]).ToArray();
            var b = Enumerable.Range(0, 100).Select(i => (double)recorded[2 * i + j]).ToArray();
            double Var(double[] v) { double m = v.Average(); return v.Sum(t => (t - m) * (t - m)) / (v.Length - 1); }
            double se = Math.Sqrt((Var(a) + Var(b)) / 100);
            Assert.That(Math.Abs(a.Average() - b.Average()) / se, Is.LessThanOrEqualTo(Tolerances.MonteCarloZ), $"θ{j}");
        }
    }
}
