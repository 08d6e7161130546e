using NUnit.Framework;
using Sbi.Numpy;
using Sbi.Numpy.Pickle;

using Sbi.Numpy.Python;
using Sbi.Numpy.Tests;

namespace Sbi.Numpy.Python.Tests;

public class PythonLocationTests
{
    [Test]
    public void MissingLibraryGivesAClearReason()
    {
        var old = Environment.GetEnvironmentVariable("SBI_PYTHON_DLL");
        try
        {
            Environment.SetEnvironmentVariable("SBI_PYTHON_DLL", "/nonexistent/libpython3.99.so.1.0");
            Assert.That(PythonPickle.FindPythonDll(), Is.EqualTo("/nonexistent/libpython3.99.so.1.0"));
            var ex = Assert.Throws<PythonUnavailableException>(() => PythonPickle.ResolvePythonDll());
            Assert.That(ex!.Message, Does.Contain("/nonexistent/libpython3.99.so.1.0").And.Contain("does not exist"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("SBI_PYTHON_DLL", old);
        }
    }
}

public class PythonPickleTests
{
    internal static void RequirePython()
    {
        if (!PythonPickle.IsAvailable(out var reason)) Assert.Ignore("Python with numpy unavailable: " + reason);
    }

    [SetUp] public void SetUp() => RequirePython();

    private static readonly float[] Theta = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

    [Test]
    public void LoadsTupleOfArrays()
    {
        var o = PythonPickle.Load(TestData.Npy("sim_tuple.pkl"));
        var t = (object?[])o!;
        Assert.That(t, Has.Length.EqualTo(2));
        var theta = (NpyArray)t[0]!;
        var x = (NpyArray)t[1]!;
        Assert.That(theta.DType, Is.EqualTo("<f4"));
        Assert.That(theta.Shape, Is.EqualTo(new long[] { 5, 2 }));
        Assert.That(theta.AsFloat32(), Is.EqualTo(Theta));
        Assert.That(x.DType, Is.EqualTo("<f8"));
        Assert.That(x.Shape, Is.EqualTo(new long[] { 5, 3 }));
        var xv = x.AsFloat64();
        Assert.That(xv[0], Is.EqualTo(1.0));
        Assert.That(double.IsNaN(xv[3]));
        Assert.That(xv[10], Is.EqualTo(double.PositiveInfinity));
    }

    [Test]
    public void LoadsDictAndSingleArray()
    {
        var d = (PickleDict)PythonPickle.Load(TestData.Npy("sim_dict.pkl"))!;
        Assert.That(d.Keys, Is.EqualTo(new object[] { "theta", "x" }));
        Assert.That(((NpyArray)d["theta"]!).AsFloat32(), Is.EqualTo(Theta));
        var a = PythonPickle.LoadArray(TestData.Npy("sim_array.pkl"));
        Assert.That(a.Shape, Is.EqualTo(new long[] { 5, 2 }));
        Assert.That(a.AsFloat32(), Is.EqualTo(Theta));
    }

    [Test]
    public void LoadsNestedPlainValues()
    {
        var d = (PickleDict)PythonPickle.Load(TestData.Npy("sim_nested.pkl"))!;
        var data = (List<object?>)d["data"]!;
        Assert.That(((NpyArray)data[0]!).AsFloat32(), Is.EqualTo(Theta));
        var meta = (PickleDict)d["meta"]!;
        Assert.That(meta["n"], Is.EqualTo(5L));
        Assert.That(((NpyArray)meta["scale"]!).AsFloat64(), Is.EqualTo(new[] { 0.5 }), "numpy scalars become 0-d arrays");
        Assert.That(meta["ok"], Is.EqualTo(true));
        Assert.That(meta["none"], Is.Null);
        Assert.That(meta["blob"], Is.EqualTo(new byte[] { 0, 1 }));
    }

    [Test]
    public void NonContiguousArraysComeBackInCOrder()
    {
        var t = (object?[])PythonPickle.Load(TestData.Npy("sim_fortran.pkl"))!;
        Assert.That(((NpyArray)t[0]!).AsFloat32(), Is.EqualTo(Theta));
        var x = (NpyArray)t[1]!;
        Assert.That(x.Shape, Is.EqualTo(new long[] { 5, 2 }));
        Assert.That(x.AsFloat64()[0..2], Is.EqualTo(new[] { 1.0, 2.0 }));
    }

    [Test]
    public void RefusesCodeExecutingPickleWithoutRunningIt()
    {
        const string marker = "/tmp/sbi-compat-evil-pickle-ran";
        File.Delete(marker);
        var p = TestData.Npy("evil.pkl");
        var ex = Assert.Throws<SbiDataException>(() => PythonPickle.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("refusing to load posix.system"));
        Assert.That(File.Exists(marker), Is.False);
    }

    /// <summary>A list that contains itself unpickles fine in Python; converting it must stop at the depth limit.</summary>
    [Test]
    public void ASelfReferencingListIsRefusedAtTheDepthLimit()
    {
        // PROTO 2, EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP: l = []; l.append(l)
        var path = Path.Combine(Path.GetTempPath(), $"self-ref-{Guid.NewGuid():N}.pkl");
        File.WriteAllBytes(path, new byte[] { 0x80, 0x02, (byte)']', (byte)'q', 0x00, (byte)'h', 0x00, (byte)'a', (byte)'.' });
        try
        {
            var ex = Assert.Throws<SbiDataException>(() => PythonPickle.Load(path));
            Assert.That(ex!.Message, Does.Contain("nesting deeper than"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void RefusesUnknownClassesAndObjectArrays()
    {
        var ex = Assert.Throws<SbiDataException>(() => PythonPickle.Load(TestData.Npy("counter.pkl")));
        Assert.That(ex!.Message, Does.Contain("collections.Counter"));
        ex = Assert.Throws<SbiDataException>(() => PythonPickle.Load(TestData.Npy("object_array.pkl")));
        Assert.That(ex!.Message, Does.Contain("object arrays"));
    }

    [Test]
    public void RefusesTorchPicklesWithoutImportingTorch()
    {
        var p = TestData.Pt("torch_tensor.pkl");
        var ex = Assert.Throws<SbiDataException>(() => PythonPickle.Load(p));
        Assert.That(ex!.Message, Does.Contain("PyTorch objects").And.Contain("torch.save"));
        // The interpreter survives the refusal (SimulationDataTests also load pickles next to TorchSharp's libtorch).
        Assert.That(PythonPickle.IsAvailable(out _), Is.True);
    }

    [Test]
    public void TruncatedAndGarbageFiles()
    {
        using var tmp = TestData.Temp();
        var bytes = File.ReadAllBytes(TestData.Npy("sim_tuple.pkl"));
        var p = tmp.File("t.pkl");
        File.WriteAllBytes(p, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<SbiDataException>(() => PythonPickle.Load(p));
        Assert.That(ex!.Message, Does.Contain(p).And.Contain("cannot unpickle"));
        File.WriteAllText(p, "this is not a pickle");
        ex = Assert.Throws<SbiDataException>(() => PythonPickle.Load(p));
        Assert.That(ex!.Message, Does.Contain(p));
        File.WriteAllBytes(p, Array.Empty<byte>());
        Assert.Throws<SbiDataException>(() => PythonPickle.Load(p));
    }

    [Test]
    public void MissingFileAndWrongKind()
    {
        Assert.Throws<FileNotFoundException>(() => PythonPickle.Load("/nonexistent/a.pkl"));
        var ex = Assert.Throws<SbiDataException>(() => PythonPickle.LoadArray(TestData.Npy("sim_tuple.pkl")));
        Assert.That(ex!.Message, Does.Contain("expected one numpy array").And.Contain("a tuple of 2"));
    }
}
