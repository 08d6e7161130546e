using NUnit.Framework;
using static TorchSharp.torch;
namespace Sbi.Tests;
public class SmokeTests
{
    [Test]
    public void TorchSharpLoadsAndMatchesPyTorchStream()
    {
        manual_seed(42);
        var v = randn(3).data<float>().ToArray();
        Assert.That(v[0], Is.EqualTo(0.33669037f).Within(1e-7));
    }
}
