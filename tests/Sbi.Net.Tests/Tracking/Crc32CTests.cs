using System.Text;
using NUnit.Framework;
using Sbi.Tracking;

namespace Sbi.Tests.Tracking;

public class Crc32CTests
{
    /// <summary>Published check values of CRC-32C: "123456789" (the CRC catalogue's check) and RFC 3720 B.4's 32-byte vectors.</summary>
    [Test]
    public void MatchesPublishedCheckValues()
    {
        Assert.That(Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")), Is.EqualTo(0xE3069283u));
        Assert.That(Crc32C.Compute(new byte[32]), Is.EqualTo(0x8A9136AAu));
        Assert.That(Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()), Is.EqualTo(0x62A8AB43u));
        Assert.That(Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()), Is.EqualTo(0x46DD794Eu));
    }

    /// <summary>TFRecord's mask (tensorflow/core/lib/hash/crc32c.h): rotate right by 15, add 0xa282ead8; unmasking gives the CRC back.</summary>
    [Test]
    public void MaskIsTensorFlowsRotateAndAdd()
    {
        var data = Encoding.ASCII.GetBytes("123456789");
        uint masked = Crc32C.Masked(data);
        uint rot = masked - 0xa282ead8u;
        Assert.That((rot >> 17) | (rot << 15), Is.EqualTo(0xE3069283u));
    }
}
