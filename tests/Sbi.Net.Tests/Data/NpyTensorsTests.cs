using NUnit.Framework;
using Sbi.Data;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Tests.Data;

public class NpyTensorsTests
{
    [Test]
    public void ToTensorKeepsDTypeShapeAndValues()
    {
        using var scope = NewDisposeScope();
        var t = NpyArray.FromFloat32(new[] { -1f, -0.5f, 0f, 0.5f, 1f, 1.5f }, new long[] { 2, 3 }).ToTensor();
        Assert.That(t.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(t.shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(t[1, 2].item<float>(), Is.EqualTo(1.5f));
        var i = NpyArray.FromInt64(new[] { long.MinValue, 0, 42, long.MaxValue }, new long[] { 2, 2 }).ToTensor();
        Assert.That(i.dtype, Is.EqualTo(ScalarType.Int64));
        Assert.That(i[1, 1].item<long>(), Is.EqualTo(long.MaxValue));
        var i32 = NpyArray.FromInt32(new[] { -1, int.MaxValue }).ToTensor();
        Assert.That(i32.dtype, Is.EqualTo(ScalarType.Int32));
        var b = NpyArray.FromBool(new[] { true, false, true }).ToTensor();
        Assert.That(b.dtype, Is.EqualTo(ScalarType.Bool));
        Assert.That(b.data<bool>().ToArray(), Is.EqualTo(new[] { true, false, true }));
        var s = NpyArray.FromFloat64(new[] { 3.5 }, Array.Empty<long>()).ToTensor();
        Assert.That(s.dim(), Is.EqualTo(0));
        Assert.That(s.item<double>(), Is.EqualTo(3.5));
        var e = NpyArray.FromFloat32(Array.Empty<float>(), new long[] { 0, 3 }).ToTensor();
        Assert.That(e.shape, Is.EqualTo(new long[] { 0, 3 }));
    }

    [Test]
    public void UnicodeArraysHaveNoTensorForm()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => NpyArray.FromString("a").ToTensor());
        Assert.That(ex!.Message, Does.Contain("<U1"));
    }

    [Test]
    public void ToNpyCopiesNonContiguousTensorsInCOrder()
    {
        using var scope = NewDisposeScope();
        var t = arange(6, dtype: ScalarType.Float64).reshape(2, 3).t(); // a non-contiguous view
        var a = t.ToNpy();
        Assert.That(a.DType, Is.EqualTo("<f8"));
        Assert.That(a.Shape, Is.EqualTo(new long[] { 3, 2 }));
        Assert.That(a.AsFloat64(), Is.EqualTo(new double[] { 0, 3, 1, 4, 2, 5 }));
        Assert.That(a.ToTensor().eq(t).all().item<bool>(), Is.True, "the round trip keeps every value");
        var ex = Assert.Throws<ArgumentException>(() => ones(2, dtype: ScalarType.Float16).ToNpy());
        Assert.That(ex!.Message, Does.Contain("Float16"));
    }
}
