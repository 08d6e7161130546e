using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.IO;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using static TorchSharp.torch;

namespace Sbi.Onnx.Tests;

/// <summary>
/// Export round trip for estimators trained in Sbi.Net: model file → ONNX package → ONNX Runtime results equal
/// Sbi.Net's TorchSharp results on the same inputs (log-densities 1e-5 abs, 3e-5 for nsf as in ParityTests;
/// flow samples from the same noise 1e-4), for D = 1 and D = 3 and batch sizes 1, 7 and 10,000.
/// </summary>
public class SbiNetRoundTripTests
{
    private static IEnumerable<TestCaseData> Cases()
        => PosteriorNn.Models.SelectMany(m => new[] { 1, 3 }.Select(d => new TestCaseData(m, d)));

    [TestCaseSource(nameof(Cases))]
    public void ExportedGraphsMatchTorchSharp(string model, int d)
    {
        using var scope = NewDisposeScope();
        manual_seed(10 + d);
        var theta = randn(600, d) * 0.7 + 0.2;
        var x = theta.sum(1, keepdim: true).repeat(1, 2) + 0.1 * randn(600, 2);
        var est = PosteriorNn.Build(new DensityEstimatorOptions { Model = model, HiddenFeatures = 24, NumTransforms = 3 })(theta, x);
        using (no_grad())
            foreach (var p in est.parameters()) p.add_(0.05 * randn_like(p));   // leave the near-identity init
        est.eval();
        var dir = Path.Combine(Path.GetTempPath(), $"sbi-net-rt-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            using var prior = new BoxUniform(full(d, -4f), full(d, 4f));
            var file = Path.Combine(dir, "model.npz");
            ModelFile.Save(file, est, prior);
            PosteriorExporter.Export(EstimatorModel.LoadNpz(file), Path.Combine(dir, "pkg"));
            float tol = model == "nsf" ? 3e-5f : 1e-5f;
            foreach (int n in new[] { 1, 7, 10_000 })
            {
                var th = randn(n, d) * 0.8;
                var xs = randn(n, 2);
                float[] expected;
                using (no_grad()) expected = est.LogProbPaired(th, xs).data<float>().ToArray();
                var got = Fixtures.Run(Path.Combine(dir, "pkg", "log_prob.onnx"), ("theta", th.data<float>().ToArray(), new long[] { n, d }), ("x", xs.data<float>().ToArray(), new long[] { n, 2 }));
                Assert.That(Fixtures.MaxAbsDiff(got, expected), Is.LessThan(tol), $"log_prob, batch {n}");
                if (est is FlowEstimator flow && model != "made")
                {
                    var noise = randn(1, n, d);
                    var x0 = xs.narrow(0, 0, 1);
                    float[] s;
                    using (no_grad()) s = flow.SampleFromNoise(noise, x0).data<float>().ToArray();
                    var gotS = Fixtures.Run(Path.Combine(dir, "pkg", "sample.onnx"), ("x", x0.data<float>().ToArray(), new long[] { 1, 2 }), ("noise", noise.data<float>().ToArray(), new long[] { 1, n, d }));
                    Assert.That(Fixtures.MaxAbsDiff(gotS, s), Is.LessThan(1e-4f), $"samples, batch {n}");
                }
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
