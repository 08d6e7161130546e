using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.IO;
using Sbi.Onnx.Export;
using Sbi.Onnx.Model;
using static TorchSharp.torch;

namespace Sbi.Onnx.Tests;

/// <summary>
/// Export round trip for estimators trained in Sbi.Net: model file → ONNX package → ONNX Runtime results on the same
/// inputs are as close to the TorchSharp estimator's float64 values as its own float32 values are
/// (<see cref="FloatAgreement.Float32Only"/>): log-densities and flow samples from the same noise, for D = 1 and D = 3
/// and batch sizes 1, 7 and 10,000.
/// </summary>
public class SbiNetRoundTripTests
{
    private static IEnumerable<TestCaseData> Cases()
        => EstimatorFamilies.Names.SelectMany(m => new[] { 1, 3 }.Select(d => new TestCaseData(m, d)));

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
            using var est64 = Float64.Copy(est);
            // One set of 10,000 rows; batches 1, 7 and 10,000 are its prefixes. The reference error (TorchSharp float32
            // against float64) is taken over all 10,000 rows, so that a one-row batch is held to the same bound.
            const int rows = 10_000;
            var th = randn(rows, d) * 0.8;
            var xs = randn(rows, 2);
            var noise = randn(1, rows, d);
            var x0 = xs.narrow(0, 0, 1);
            Tensor lp32, lp64, s32 = empty(0), s64 = empty(0);
            using (no_grad())
            {
                lp32 = est.LogProbPaired(th, xs);
                lp64 = est64.LogProbPaired(th.D(), xs.D());
                if (est is FlowEstimator f && model != "made") { s32 = f.SampleFromNoise(noise, x0); s64 = ((FlowEstimator)est64).SampleFromNoise(noise.D(), x0.D()); }
            }
            double lpBound = Tolerances.Float32(Diff.MaxAbs(lp32, lp64), 24, Diff.MaxAbsValue(lp64));
            foreach (int n in new[] { 1, 7, rows })
            {
                var got = Fixtures.Run(Path.Combine(dir, "pkg", "log_prob.onnx"), ("theta", th.narrow(0, 0, n).contiguous().data<float>().ToArray(), new long[] { n, d }),
                                       ("x", xs.narrow(0, 0, n).contiguous().data<float>().ToArray(), new long[] { n, 2 }));
                Assert.That(Diff.MaxAbs(tensor(got), lp64.narrow(0, 0, n)), Is.LessThanOrEqualTo(lpBound), $"log_prob, batch {n}");
                if (s32.numel() == 0) continue;
                double sBound = Tolerances.Float32(Diff.MaxAbs(s32, s64), 24, Diff.MaxAbsValue(s64));
                var nz = noise.narrow(1, 0, n).contiguous();
                var gotS = Fixtures.Run(Path.Combine(dir, "pkg", "sample.onnx"), ("x", x0.data<float>().ToArray(), new long[] { 1, 2 }), ("noise", nz.data<float>().ToArray(), new long[] { 1, n, d }));
                Assert.That(Diff.MaxAbs(tensor(gotS).view(1, n, d), s64.narrow(1, 0, n)), Is.LessThanOrEqualTo(sBound), $"samples, batch {n}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
