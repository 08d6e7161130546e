using NUnit.Framework;

namespace Sbi.Numpy.Tests;

/// <summary>The limits grow with the file: legitimate files of hundreds of MB of float data load with the defaults.</summary>
public class LargeFileTests
{
    private const int Floats = 50_000_000; // 200 MB of float32

    private static float[] Data()
    {
        var d = new float[Floats];
        for (int i = 0; i < d.Length; i++) d[i] = (i % 1000) * 0.25f - 100f;
        return d;
    }

    [Test]
    public void A200MbNpzAndPtLoadWithDefaultLimits()
    {
        using var tmp = TestData.Temp();
        var array = NpyArray.FromFloat32(Data(), new long[] { Floats / 10, 10 });
        var npz = tmp.File("big.npz");
        Npz.Write(npz, new[] { new KeyValuePair<string, NpyArray>("x", array) });
        var pt = tmp.File("big.pt");
        TorchPt.Save(pt, array);

        foreach (var loaded in new[] { NpzFile.Load(npz)["x"], TorchPt.LoadArray(pt) })
        {
            Assert.That(loaded.Shape, Is.EqualTo(array.Shape));
            Assert.That(loaded.RawBytes.SequenceEqual(array.RawBytes), "the same bytes come back");
        }
    }
}
