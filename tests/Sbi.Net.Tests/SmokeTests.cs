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
        // torch.manual_seed(42); torch.randn(3)[0] in PyTorch 1.13 and 2.x: 0.33669036626815796 (the float32 value), bit for bit.
        Assert.That(v[0], Is.EqualTo(0.33669036626815796f));
    }
}
