using NUnit.Framework;
using Sbi.Onnx.Bench;
using Sbi.Onnx.Export;

namespace Sbi.Onnx.Tests;

/// <summary>Not part of the test suite (Explicit): prints <see cref="OnnxBench"/> numbers for the maf_D5 fixture.</summary>
[Explicit("benchmark; run with --filter Category=Benchmark")]
[Category("Benchmark")]
public class BenchmarkRunner
{
    [Test]
    public void MafD5Throughput()
    {
        foreach (var (tag, opts) in new[] { ("pruned", new ExportOptions()), ("unpruned", new ExportOptions { PruneAutoregressivePasses = false }) })
        {
            var dir = Fixtures.Package("maf", 5, opts, "_bench_" + tag);
            foreach (var r in OnnxBench.RunThreads(dir, 100_000, 1, 2))
                TestContext.Out.WriteLine($"[{tag}] {r}");
        }
    }

    [Test]
    public void OtherEstimatorsD5()
    {
        foreach (var est in new[] { "nsf", "mdn", "made" })
            TestContext.Out.WriteLine(OnnxBench.Run(Fixtures.Package(est, 5), 100_000, 1));
    }
}
