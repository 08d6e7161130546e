using NUnit.Framework;
using Sbi.Data;
using Sbi.Numpy;
using Sbi.Numpy.Python;
using Sbi.Numpy.Tests;
using static TorchSharp.torch;

namespace Sbi.Tests.Data;

public class SimulationDataTests
{
    // The CLI installs the pythonnet loader the same way; without it pickles are refused (PicklesNeedALoader).
    [OneTimeSetUp] public void InstallPickleLoader() => SimulationData.PickleLoader = PythonPickle.Load;

    private static void RequirePython()
    {
        if (!PythonPickle.IsAvailable(out var reason)) Assert.Ignore("Python with numpy unavailable: " + reason);
    }

    private static readonly float[] Theta = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

    private static long Live() => TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    private static void AssertStandard(SimulationData d)
    {
        Assert.That(d.Count, Is.EqualTo(5));
        Assert.That(d.ThetaDim, Is.EqualTo(2));
        Assert.That(d.XDim, Is.EqualTo(3));
        Assert.That(d.Theta.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(d.X.dtype, Is.EqualTo(ScalarType.Float32), "float64 x is cast to float32");
        Assert.That(d.Theta.is_contiguous() && d.X.is_contiguous());
        Assert.That(d.Theta.data<float>().ToArray(), Is.EqualTo(Theta));
        var x = d.X.data<float>().ToArray();
        Assert.That(x[0..3], Is.EqualTo(new[] { 1f, 1.5f, 2f }));
        Assert.That(float.IsNaN(x[3]));
        Assert.That(x[10], Is.EqualTo(float.PositiveInfinity));
        Assert.That(d.NanRowCount, Is.EqualTo(1));
        Assert.That(d.InfRowCount, Is.EqualTo(1));
        Assert.That(d.InvalidRowCount, Is.EqualTo(2));
        Assert.That(d.ThetaNonFiniteRowCount, Is.EqualTo(0));
    }

    // ------------------------------------------------------------------ good input

    [Test]
    public void LoadsTwoNpyFiles()
    {
        using var d = SimulationData.Load(TestData.Npy("sim_theta.npy"), TestData.Npy("sim_x.npy"));
        AssertStandard(d);
        Assert.That(d.ToString(), Does.Contain("5 simulations"));
    }

    [Test]
    public void LoadsNpzWithDefaultAndCustomNames()
    {
        using (var d = SimulationData.LoadNpz(TestData.Npy("sim.npz"))) AssertStandard(d);
        using (var d = SimulationData.LoadNpz(TestData.Npy("sim_names.npz"), "params", "obs")) AssertStandard(d);
    }

    [TestCase("sim_tuple.pt")]
    [TestCase("sim_list.pt")]
    [TestCase("sim_dict.pt")]
    [TestCase("sim_ordereddict.pt")]
    [TestCase("nested.pt")]
    public void LoadsPtContainers(string file)
    {
        long before = Live();
        using (var d = SimulationData.LoadPt(TestData.Pt(file))) AssertStandard(d);
        Assert.That(Live(), Is.EqualTo(before), "no other tensor of the file stays alive");
    }

    [TestCase("sim_tuple.pkl")]
    [TestCase("sim_dict.pkl")]
    public void LoadsPickles(string file)
    {
        RequirePython();
        using var d = SimulationData.LoadPickle(TestData.Npy(file));
        AssertStandard(d);
    }

    [Test]
    public void LoadFileRecognisesTheKindFromContent()
    {
        using (var d = SimulationData.LoadFile(TestData.Npy("sim.npz"))) AssertStandard(d);
        using (var d = SimulationData.LoadFile(TestData.Pt("sim_tuple.pt"))) AssertStandard(d);
        using (var d = SimulationData.LoadFile(TestData.Npy("sim_names.npz"), "params", "obs")) AssertStandard(d);
        // content, not extension, decides
        using var tmp = TestData.Temp();
        var renamed = tmp.File("data.bin");
        File.Copy(TestData.Pt("sim_dict.pt"), renamed);
        using (var d = SimulationData.LoadFile(renamed)) AssertStandard(d);
        if (PythonPickle.IsAvailable(out _))
            using (var d = SimulationData.LoadFile(TestData.Npy("sim_tuple.pkl"))) AssertStandard(d);
    }

    [Test]
    public void TwoFileLoadAcceptsPtAndMixedKinds()
    {
        using var tmp = TestData.Temp();
        var xp = tmp.File("x.npy");
        using (var src = SimulationData.LoadNpz(TestData.Npy("sim.npz"))) Npy.Write(xp, src.X.ToNpy());
        using var d = SimulationData.Load(TestData.Pt("f32_2x3.pt"), TestData.Pt("f32_2x3.pt"));
        Assert.That(d.Count, Is.EqualTo(2));
        Assert.That(d.ThetaDim, Is.EqualTo(3));
        using var mixed = SimulationData.Load(TestData.Npy("sim_theta.npy"), xp);
        Assert.That(mixed.X.data<float>().ToArray()[0..3], Is.EqualTo(new[] { 1f, 1.5f, 2f }));
        if (PythonPickle.IsAvailable(out _))
            using (var p = SimulationData.Load(TestData.Npy("sim_array.pkl"), xp))
                Assert.That(p.Theta.data<float>().ToArray(), Is.EqualTo(Theta));
    }

    [Test]
    public void WithoutInvalidRowsDropsNanAndInfRowsOfX()
    {
        using var d = SimulationData.LoadNpz(TestData.Npy("sim.npz"));
        using var v = d.WithoutInvalidRows();
        Assert.That(v.Count, Is.EqualTo(3));
        Assert.That(v.InvalidRowCount, Is.EqualTo(0));
        Assert.That(v.Theta.data<float>().ToArray(), Is.EqualTo(new float[] { 0, 1, 4, 5, 8, 9 }));
        Assert.That(v.X.data<float>().ToArray(), Is.EqualTo(new[] { 1f, 1.5f, 2f, 3f, 3.5f, 4f, 7f, 7.5f, 8f }));
    }

    [Test]
    public void WithoutInvalidRowsRefusesWhenNothingIsLeft()
    {
        using var d = SimulationData.FromTensors(zeros(2, 1), full(2, 2, double.NaN, ScalarType.Float64));
        Assert.That(d.NanRowCount, Is.EqualTo(2));
        var ex = Assert.Throws<SbiDataException>(() => d.WithoutInvalidRows());
        Assert.That(ex!.Message, Does.Contain("all 2 rows"));
    }

    [Test]
    public void FromTensorsCopiesCastsAndValidates()
    {
        using var scope = NewDisposeScope();
        var theta = arange(6, dtype: ScalarType.Float64).reshape(2, 3).t(); // (3, 2), non-contiguous
        var x = ones(3, 4);
        using (var d = SimulationData.FromTensors(theta, x))
        {
            Assert.That(d.Theta.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(d.Theta.is_contiguous());
            Assert.That(d.Theta.data<float>().ToArray(), Is.EqualTo(new float[] { 0, 3, 1, 4, 2, 5 }));
            Assert.That(d.ThetaNonFiniteRowCount, Is.EqualTo(0));
        }
        Assert.That(theta.sum().item<double>(), Is.EqualTo(15.0), "caller's tensors are still usable");
        var ex = Assert.Throws<ArgumentException>(() => SimulationData.FromTensors(ones(4, 2), ones(3, 1)));
        Assert.That(ex!.Message, Does.Contain("(4, 2)").And.Contain("(3, 1)"));
    }

    [Test]
    public void CountsNonFiniteTheta()
    {
        using var d = SimulationData.FromTensors(tensor(new float[] { 0, float.NaN, 1, 2 }, 2, 2), ones(2, 1));
        Assert.That(d.ThetaNonFiniteRowCount, Is.EqualTo(1));
        Assert.That(d.InvalidRowCount, Is.EqualTo(0));
    }

    [Test]
    public void SaveNpzRoundTrips()
    {
        using var tmp = TestData.Temp();
        var p = tmp.File("out.npz");
        using (var d = SimulationData.LoadPt(TestData.Pt("sim_tuple.pt"))) d.SaveNpz(p);
        var z = NpzFile.Load(p);
        Assert.That(z.Keys, Is.EqualTo(new[] { "theta", "x" }));
        Assert.That(z["x"].DType, Is.EqualTo("<f4"));
        using var back = SimulationData.LoadNpz(p);
        AssertStandard(back);
    }

    // ------------------------------------------------------------------ bad input

    [Test]
    public void RowMismatchNamesBothShapes()
    {
        long before = Live();
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadNpz(TestData.Npy("sim_rows_mismatch.npz")));
        Assert.That(ex!.Message, Does.Contain("(4, 2)").And.Contain("(5, 3)").And.Contain("sim_rows_mismatch.npz"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadPt(TestData.Pt("sim_rows_mismatch.pt")));
        Assert.That(ex!.Message, Does.Contain("(4, 2)").And.Contain("(5, 3)"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.Load(TestData.Pt("f32_2x3.pt"), TestData.Npy("sim_x.npy")));
        Assert.That(ex!.Message, Does.Contain("(2, 3)").And.Contain("(5, 3)"));
        Assert.That(Live(), Is.EqualTo(before), "nothing half-loaded");
    }

    [Test]
    public void OneDimensionalDataIsRefusedWithAdvice()
    {
        long before = Live();
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadNpz(TestData.Npy("sim_1d.npz")));
        Assert.That(ex!.Message, Does.Contain("theta").And.Contain("(5)").And.Contain("2-D").And.Contain("reshape(-1, 1)"));
        Assert.That(Live(), Is.EqualTo(before));
    }

    [Test]
    public void ThreeDimensionalAndEmptyDataAreRefused()
    {
        long before = Live();
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.Load(TestData.Npy("f4_3d.npy"), TestData.Npy("sim_x.npy")));
        Assert.That(ex!.Message, Does.Contain("(2, 3, 4)").And.Contain("2-D"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.Load(TestData.Npy("f4_empty_0x3.npy"), TestData.Npy("f4_empty_0x3.npy")));
        Assert.That(ex!.Message, Does.Contain("no rows"));
        Assert.That(Live(), Is.EqualTo(before));
    }

    [Test]
    public void NonFloatDataIsRefused()
    {
        long before = Live();
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadNpz(TestData.Npy("sim_int.npz")));
        Assert.That(ex!.Message, Does.Contain("<i8").And.Contain("float32 or float64").And.Contain("'theta'"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.Load(TestData.Pt("i64_2x2.pt"), TestData.Pt("f32_2x3.pt")));
        Assert.That(ex!.Message, Does.Contain("<i8").And.Contain("float32 or float64"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.Load(TestData.Npy("u_1d.npy"), TestData.Npy("sim_x.npy")));
        Assert.That(ex!.Message, Does.Contain("<U3"));
        Assert.That(Live(), Is.EqualTo(before));
    }

    [Test]
    public void UnsupportedDTypeInFileIsRefused()
    {
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.Load(TestData.Npy("bad_float16.npy"), TestData.Npy("sim_x.npy")));
        Assert.That(ex!.Message, Does.Contain("<f2"));
    }

    [Test]
    public void MissingArrayNameIsReported()
    {
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadNpz(TestData.Npy("sim_missing_x.npz")));
        Assert.That(ex!.Message, Does.Contain("no array named 'x'").And.Contain("'theta'"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadNpz(TestData.Npy("sim.npz"), "params"));
        Assert.That(ex!.Message, Does.Contain("no array named 'params'"));
    }

    [Test]
    public void WrongContainerShapeIsReported()
    {
        long before = Live();
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadPt(TestData.Pt("sim_triple.pt")));
        Assert.That(ex!.Message, Does.Contain("a tuple of 3"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadPt(TestData.Pt("f32_2x3.pt")));
        Assert.That(ex!.Message, Does.Contain("(theta, x)"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadPt(TestData.Pt("sim_dict.pt"), "params"));
        Assert.That(ex!.Message, Does.Contain("'params'").And.Contain("'theta', 'x'"));
        Assert.That(Live(), Is.EqualTo(before));
    }

    [Test]
    public void WrongPickleContentIsReported()
    {
        RequirePython();
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadPickle(TestData.Npy("sim_bad.pkl")));
        Assert.That(ex!.Message, Does.Contain("'not'"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadPickle(TestData.Npy("sim_array.pkl")));
        Assert.That(ex!.Message, Does.Contain("(theta, x)"));
    }

    [Test]
    public void MissingFilesAreReported()
    {
        Assert.Throws<FileNotFoundException>(() => SimulationData.Load("/nonexistent/t.npy", TestData.Npy("sim_x.npy")));
        long before = Live();
        var ex = Assert.Throws<FileNotFoundException>(() => SimulationData.Load(TestData.Npy("sim_theta.npy"), "/nonexistent/x.npy"));
        Assert.That(ex!.Message, Does.Contain("/nonexistent/x.npy"));
        Assert.That(Live(), Is.EqualTo(before), "theta loaded first is disposed");
        Assert.Throws<FileNotFoundException>(() => SimulationData.LoadNpz("/nonexistent/a.npz"));
        Assert.Throws<FileNotFoundException>(() => SimulationData.LoadPt("/nonexistent/a.pt"));
        Assert.Throws<FileNotFoundException>(() => SimulationData.LoadPickle("/nonexistent/a.pkl"));
        Assert.Throws<FileNotFoundException>(() => SimulationData.LoadFile("/nonexistent/a.npz"));
    }

    [Test]
    public void WrongMagicAndTruncatedFilesAreReported()
    {
        using var tmp = TestData.Temp();
        var text = tmp.File("data.npz");
        File.WriteAllText(text, "theta,x\n1,2\n");
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadFile(text));
        Assert.That(ex!.Message, Does.Contain(text).And.Contain("not a numpy"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadNpz(text));
        Assert.That(ex!.Message, Does.Contain(text));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.Load(text, text));
        Assert.That(ex!.Message, Does.Contain(text));

        long before = Live();
        var bytes = File.ReadAllBytes(TestData.Npy("sim_x.npy"));
        var trunc = tmp.File("x.npy");
        File.WriteAllBytes(trunc, bytes[..^8]);
        ex = Assert.Throws<SbiDataException>(() => SimulationData.Load(TestData.Npy("sim_theta.npy"), trunc));
        Assert.That(ex!.Message, Does.Contain("truncated").And.Contain(trunc));
        var ptBytes = File.ReadAllBytes(TestData.Pt("sim_tuple.pt"));
        var truncPt = tmp.File("t.pt");
        File.WriteAllBytes(truncPt, ptBytes[..(ptBytes.Length - 40)]);
        ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadPt(truncPt));
        Assert.That(ex!.Message, Does.Contain(truncPt));
        var npzBytes = File.ReadAllBytes(TestData.Npy("sim.npz"));
        var truncNpz = tmp.File("t.npz");
        File.WriteAllBytes(truncNpz, npzBytes[..(npzBytes.Length / 2)]);
        ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadFile(truncNpz));
        Assert.That(ex!.Message, Does.Contain(truncNpz));
        Assert.That(Live(), Is.EqualTo(before));
    }

    [Test]
    public void SingleArrayFilesPointToTheRightLoader()
    {
        var ex = Assert.Throws<SbiDataException>(() => SimulationData.LoadFile(TestData.Npy("sim_theta.npy")));
        Assert.That(ex!.Message, Does.Contain("two files"));
        ex = Assert.Throws<SbiDataException>(() => SimulationData.Load(TestData.Npy("sim.npz"), TestData.Npy("sim_x.npy")));
        Assert.That(ex!.Message, Does.Contain("LoadNpz"));
    }

    [Test]
    public void PicklesNeedALoader()
    {
        var old = SimulationData.PickleLoader;
        try
        {
            SimulationData.PickleLoader = null;
            var ex = Assert.Throws<InvalidOperationException>(() => SimulationData.LoadPickle(TestData.Npy("sim_tuple.pkl")));
            Assert.That(ex!.Message, Does.Contain("Sbi.Numpy.Python").And.Contain("PickleLoader"));
        }
        finally
        {
            SimulationData.PickleLoader = old;
        }
    }
}
