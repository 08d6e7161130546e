using NUnit.Framework;
using NumSharp;
using Sbi.NumSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests;

/// <summary>
/// NDArray ↔ Tensor: bit-exact round trips for both dtypes and both orders, memory shared exactly where
/// <see cref="NDArrayTensors.SharesMemory(NDArray)"/> says (a write through one side shows in the other), one copy
/// elsewhere, lifetimes independent of the caller's disposal, and other dtypes refused naming the argument.
/// </summary>
public class NDArrayTensorsTests
{
    // NaN payloads (quiet with a payload, signalling), ±0, the smallest and largest subnormals, ±inf, extremes.
    private static readonly uint[] Bits32 =
    {
        0x7FC00001, 0xFFC12345, 0x7F800001, 0x80000000, 0x00000000, 0x00000001, 0x007FFFFF, 0x807FFFFF,
        0x7F800000, 0xFF800000, 0x7F7FFFFF, 0x3F800000,
    };

    private static readonly ulong[] Bits64 =
    {
        0x7FF8000000000001, 0xFFF80000DEADBEEF, 0x7FF0000000000001, 0x8000000000000000, 0, 1, 0x000FFFFFFFFFFFFF,
        0x800FFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FEFFFFFFFFFFFFF, 0x3FF0000000000000,
    };

    /// <summary>A 3 × 4 array of the special bit patterns, in C or Fortran order (same logical values).</summary>
    private static NDArray Special(NPTypeCode code, char order)
    {
        NDArray c = code == NPTypeCode.Single
            ? np.array(Bits32.Select(BitConverter.UInt32BitsToSingle).ToArray()).reshape(3, 4)
            : np.array(Bits64.Select(BitConverter.UInt64BitsToDouble).ToArray()).reshape(3, 4);
        if (order == 'C') return c;
        var f = np.asfortranarray(c);
        c.Dispose();
        return f;
    }

    /// <summary>The bit patterns of an array's elements in logical (row-major) order, as 64-bit integers.</summary>
    private static ulong[] BitsOf(NDArray a) => a.typecode == NPTypeCode.Single
        ? a.flatten('C').ToArray<float>().Select(v => (ulong)BitConverter.SingleToUInt32Bits(v)).ToArray()
        : a.flatten('C').ToArray<double>().Select(BitConverter.DoubleToUInt64Bits).ToArray();

    private static ulong[] BitsOf(Tensor t)
    {
        using var c = t.contiguous();
        return t.dtype == ScalarType.Float32
            ? c.data<float>().ToArray().Select(v => (ulong)BitConverter.SingleToUInt32Bits(v)).ToArray()
            : c.data<double>().ToArray().Select(BitConverter.DoubleToUInt64Bits).ToArray();
    }

    private static void Set(NDArray a, double value, int i, int j)
    {
        if (a.typecode == NPTypeCode.Single) a.SetSingle((float)value, i, j);
        else a.SetDouble(value, i, j);
    }

    private static double Value(Tensor element) => element.to_type(ScalarType.Float64).item<double>();

    private static ulong[] Expected(NPTypeCode code) =>
        code == NPTypeCode.Single ? Bits32.Select(b => (ulong)b).ToArray() : Bits64;

    [Test]
    public void RoundTripIsBitExact([Values(NPTypeCode.Single, NPTypeCode.Double)] NPTypeCode code, [Values('C', 'F')] char order)
    {
        using var scope = NewDisposeScope();
        using var a = Special(code, order);
        Assert.That(BitsOf(a), Is.EqualTo(Expected(code)), "the test's own array holds the patterns");
        var t = a.ToTensor();
        Assert.That(t.dtype, Is.EqualTo(code == NPTypeCode.Single ? ScalarType.Float32 : ScalarType.Float64));
        Assert.That(t.shape, Is.EqualTo(new long[] { 3, 4 }));
        Assert.That(t.stride(), Is.EqualTo(order == 'C' ? new long[] { 4, 1 } : new long[] { 1, 3 }), "the tensor keeps the array's layout");
        Assert.That(BitsOf(t), Is.EqualTo(Expected(code)));
        using var back = t.ToNDArray();
        Assert.That(back.typecode, Is.EqualTo(code));
        Assert.That(back.shape, Is.EqualTo(new[] { 3, 4 }));
        Assert.That(back.Shape.Order, Is.EqualTo(order), "the array keeps the tensor's layout");
        Assert.That(BitsOf(back), Is.EqualTo(Expected(code)));
        using var copied = t.ToNDArray(copy: true);
        Assert.That(BitsOf(copied), Is.EqualTo(Expected(code)), "the copying path is bit-exact too");
    }

    [Test]
    public void ThreeDimensionalFortranArraysKeepTheirElements()
    {
        using var scope = NewDisposeScope();
        using var c = np.arange(24).astype(NPTypeCode.Double).reshape(2, 3, 4);
        using var f = np.asfortranarray(c);
        Assert.That(NDArrayTensors.SharesMemory(f));
        var t = f.ToTensor();
        Assert.That(t.stride(), Is.EqualTo(new long[] { 1, 2, 6 }));
        Assert.That(t.contiguous().data<double>().ToArray(), Is.EqualTo(Enumerable.Range(0, 24).Select(i => (double)i).ToArray()));
        using var back = t.ToNDArray();
        Assert.That(back.Shape.IsFContiguous && !back.Shape.IsContiguous);
        Assert.That(back.flatten('C').ToArray<double>(), Is.EqualTo(Enumerable.Range(0, 24).Select(i => (double)i).ToArray()));
    }

    [Test]
    public void DenseArraysShareTheirBuffer([Values(NPTypeCode.Single, NPTypeCode.Double)] NPTypeCode code, [Values('C', 'F')] char order)
    {
        using var scope = NewDisposeScope();
        using var a = Special(code, order);
        Assert.That(NDArrayTensors.SharesMemory(a));
        var t = a.ToTensor();
        Set(a, 42, 1, 2);
        Assert.That(Value(t[1, 2]), Is.EqualTo(42), "a write to the array shows in the tensor");
        using (Scalar v = 7.0) t[2, 3].fill_(v);
        Assert.That(Convert.ToDouble(a.GetValue(2, 3)), Is.EqualTo(7), "a write to the tensor shows in the array");
        using var copy = a.ToTensor(copy: true);
        Set(a, -1, 0, 0);
        Assert.That(Value(copy[0, 0]), Is.Not.EqualTo(-1), "copy: true does not share");
    }

    [Test]
    public void DenseTensorsShareTheirStorage([Values(ScalarType.Float32, ScalarType.Float64)] ScalarType dtype, [Values('C', 'F')] char order)
    {
        using var scope = NewDisposeScope();
        var c = arange(12, dtype: dtype).reshape(3, 4);
        var t = order == 'C' ? c : c.T.contiguous().T; // an F-order (3, 4): the transpose of a contiguous (4, 3)
        Assert.That(NDArrayTensors.SharesMemory(t));
        using var a = t.ToNDArray();
        Assert.That(a.Shape.Order, Is.EqualTo(order));
        using (Scalar v = 99.0) t[1, 2].fill_(v);
        Assert.That(Convert.ToDouble(a.GetValue(1, 2)), Is.EqualTo(99), "a write to the tensor shows in the array");
        Set(a, 5.5, 2, 1);
        Assert.That(Value(t[2, 1]), Is.EqualTo(5.5), "a write to the array shows in the tensor");
    }

    [Test]
    public void ContiguousSlicesShareFromTheirOffset()
    {
        using var scope = NewDisposeScope();
        using var a = np.arange(12).astype(NPTypeCode.Single).reshape(3, 4);
        using var rows = a["1:3"];                 // C-contiguous, starting at element 4
        Assert.That(NDArrayTensors.SharesMemory(rows));
        Assert.That(rows.ToTensor().contiguous().data<float>().ToArray(), Is.EqualTo(Enumerable.Range(4, 8).Select(i => (float)i).ToArray()));
        using var f = np.asfortranarray(a);
        using var cols = f[":, 1:3"];              // F-contiguous, starting at element (0, 1)
        Assert.That(cols.Shape.IsFContiguous && NDArrayTensors.SharesMemory(cols));
        var tc = cols.ToTensor();
        Assert.That(tc.contiguous().data<float>().ToArray(), Is.EqualTo(new float[] { 1, 2, 5, 6, 9, 10 }));
        cols.SetSingle(-3f, 2, 1);
        Assert.That(tc[2, 1].item<float>(), Is.EqualTo(-3f));
    }

    [Test]
    public void StridedBroadcastAndReversedArraysAreCopied()
    {
        using var scope = NewDisposeScope();
        using var a = np.arange(12).astype(NPTypeCode.Single).reshape(3, 4);
        using var strided = a[":, ::2"];
        using var row = np.array(new float[] { 1, 2, 3 });
        using var broadcast = np.broadcast_to(row, new Shape(4, 3));
        using var reversed = row["::-1"];
        foreach (var (array, values) in new[]
                 {
                     (strided, new float[] { 0, 2, 4, 6, 8, 10 }), (broadcast, new float[] { 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3 }),
                     (reversed, new float[] { 3, 2, 1 }),
                 })
        {
            Assert.That(NDArrayTensors.SharesMemory(array), Is.False);
            var t = array.ToTensor();
            Assert.That(t.is_contiguous());
            Assert.That(t.contiguous().data<float>().ToArray(), Is.EqualTo(values));
            using (Scalar v = -9.0) t.fill_(v);
            Assert.That(array.flatten('C').ToArray<float>(), Is.EqualTo(values), "the copy is the tensor's own");
        }
    }

    [Test]
    public void ReadOnlyArraysAreCopied()
    {
        using var scope = NewDisposeScope();
        using var a = np.arange(6).astype(NPTypeCode.Double).reshape(2, 3);
        a.setflags(write: false);
        Assert.That(a.Shape.IsContiguous && NDArrayTensors.SharesMemory(a) == false, "dense, but libtorch could write to it");
        var t = a.ToTensor();
        using (Scalar v = 8.0) t.fill_(v);
        Assert.That(a.flatten('C').ToArray<double>(), Is.EqualTo(new double[] { 0, 1, 2, 3, 4, 5 }), "the read-only array is untouched");
    }

    [Test]
    public void StridedTensorsAreCopied()
    {
        using var scope = NewDisposeScope();
        var t = arange(12, dtype: ScalarType.Float32).reshape(3, 4);
        var strided = t.index(TensorIndex.Colon, TensorIndex.Slice(null, null, 2));
        Assert.That(NDArrayTensors.SharesMemory(strided), Is.False);
        using var a = strided.ToNDArray();
        Assert.That(a.flatten('C').ToArray<float>(), Is.EqualTo(new float[] { 0, 2, 4, 6, 8, 10 }));
        using (Scalar v = 50.0) t.fill_(v);
        Assert.That(a.flatten('C').ToArray<float>(), Is.EqualTo(new float[] { 0, 2, 4, 6, 8, 10 }), "the copy is the array's own");
    }

    [Test]
    public void SharedDataOutlivesTheCallersDisposal()
    {
        int pending = ForeignTensors.PendingCount;
        var values = Enumerable.Range(0, 1000).Select(i => (float)i).ToArray();
        Tensor t;
        using (var a = np.array(values))
            t = a.ToTensor(); // outside any dispose scope
        Assert.That(ForeignTensors.PendingCount, Is.EqualTo(pending + 1), "the tensor holds the buffer");
        // Buffers freed to NumSharp's pool would be handed out again here and overwritten.
        var others = Enumerable.Range(0, 20).Select(_ => np.full(new Shape(1000), -1f)).ToList();
        Assert.That(t.data<float>().ToArray(), Is.EqualTo(values));
        t.Dispose();
        Assert.That(ForeignTensors.PendingCount, Is.EqualTo(pending), "disposing the tensor releases the buffer");
        others.ForEach(o => o.Dispose());

        NDArray back;
        using (var scope = NewDisposeScope())
            back = tensor(values).ToNDArray(); // the scope disposes the tensor
        var tensors = Enumerable.Range(0, 20).Select(_ => full(1000, -1f)).ToList();
        Assert.That(back.ToArray<float>(), Is.EqualTo(values));
        back.Dispose();
        tensors.ForEach(o => o.Dispose());
    }

    [Test]
    public void EmptyAndScalarArraysConvert()
    {
        using var scope = NewDisposeScope();
        using var e = np.zeros(new Shape(0, 3), NPTypeCode.Single);
        Assert.That(e.ToTensor().shape, Is.EqualTo(new long[] { 0, 3 }));
        using var e2 = zeros(0, 3, dtype: ScalarType.Float64).ToNDArray();
        Assert.That(e2.shape, Is.EqualTo(new[] { 0, 3 }));
        using var s = np.array(new[] { 2.5 }).reshape(new Shape());
        Assert.That(s.ToTensor().item<double>(), Is.EqualTo(2.5));
    }

    [Test]
    public void OtherDTypesAreRefusedNamingTheArgument()
    {
        using var scope = NewDisposeScope();
        using var ints = np.arange(6).astype(NPTypeCode.Int32).reshape(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => ints.ToTensor());
        Assert.That(ex!.ParamName, Is.EqualTo("array"));
        Assert.That(ex.Message, Does.Contain("dtype int32").And.Contain("shape (2, 3)").And.Contain("expected float32 or float64"));
        var ex2 = Assert.Throws<ArgumentException>(() => arange(3, dtype: ScalarType.Int64).ToNDArray().Dispose());
        Assert.That(ex2!.ParamName, Is.EqualTo("tensor"));
        Assert.That(ex2.Message, Does.Contain("dtype Int64").And.Contain("expected float32 or float64"));
        var disposed = np.zeros(new Shape(2), NPTypeCode.Single);
        disposed.Dispose();
        Assert.That(Assert.Throws<ArgumentException>(() => disposed.ToTensor())!.Message, Does.Contain("disposed"));
    }
}
