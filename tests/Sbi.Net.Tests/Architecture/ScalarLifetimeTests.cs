using NUnit.Framework;
using Sbi.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Architecture;

/// <summary>No TorchSharp Scalar temporaries in the library (see <see cref="ScalarTemporaries"/> for the race they open).</summary>
public class ScalarLifetimeTests
{
    [Test]
    public void SbiNetPassesNoScalarTemporaries()
    {
        // Sbi.Utils.Scalars creates the held Scalars: its conversions go into static fields and a cache.
        var sites = ScalarTemporaries.Find(typeof(Sbi.Inference.NpeB).Assembly)
                                     .Where(s => !s.StartsWith("Sbi.Utils.Scalars", StringComparison.Ordinal)).ToList();
        var grouped = sites.GroupBy(s => s).Select(g => $"{g.Key} ×{g.Count()}").OrderBy(s => s);
        Assert.That(sites, Is.Empty, "Scalar temporaries (hold them in `using Scalar` locals or static fields):\n" + string.Join("\n", grouped));
    }

    [Test]
    public void TheScanFindsDirectAndTorchSharpInternalTemporaries()
    {
        var sites = ScalarTemporaries.Find(typeof(ScalarLifetimeTests).Assembly);
        Assert.That(sites.Count(s => s.Contains("Specimens.Direct:")), Is.EqualTo(1));
        Assert.That(sites.Count(s => s.Contains("Specimens.Internal:")), Is.EqualTo(2), "a + b → add(b, 1); t * 0.5 → mul(0.5)");
        Assert.That(sites.Where(s => s.Contains("Specimens.Held:")), Is.Empty);
    }

    private static class Specimens
    {
        public static Tensor Direct(Tensor t) => t.clamp_max(1.0);

        public static Tensor Internal(Tensor a, Tensor b) => (a + b) * 0.5;

        public static Tensor Held(Tensor t)
        {
            using Scalar one = 1.0;
            return t.clamp_max(one).sub(t);
        }
    }
}
