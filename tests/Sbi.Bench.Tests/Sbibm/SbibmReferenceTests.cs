using NUnit.Framework;
using Sbi.Bench.Sbibm;
using Sbi.Numpy;

namespace Sbi.Bench.Tests.Sbibm;

/// <summary>Reading reference files: the members and shapes a task needs, finite values, 1-based observations.</summary>
public class SbibmReferenceTests
{
    private string _dir = "";
    [SetUp] public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"sbibm-ref-{Guid.NewGuid():N}"));
    [TearDown] public void RemoveFolder() => Directory.Delete(_dir, true);

    private string Write(int n, int dimX, int samples, int dimTheta, float fill = 0.5f, string? drop = null)
    {
        var arrays = new Dictionary<string, NpyArray>
        {
            ["observations"] = NpyArray.FromFloat32(Enumerable.Repeat(fill, n * dimX).ToArray(), [n, dimX]),
            ["reference_samples"] = NpyArray.FromFloat32(Enumerable.Repeat(0.25f, n * samples * dimTheta).ToArray(), [n, samples, dimTheta]),
            ["true_parameters"] = NpyArray.FromFloat32(Enumerable.Repeat(0.1f, n * dimTheta).ToArray(), [n, dimTheta]),
        };
        if (drop is not null) arrays.Remove(drop);
        var path = Path.Combine(_dir, "ref.npz");
        Npz.Write(path, arrays);
        return path;
    }

    [Test]
    public void ReadsAWellFormedFile()
    {
        using var task = new TwoMoons();
        using var r = SbibmReference.Load(Write(3, 2, 7, 2), task);
        Assert.That(r.Count, Is.EqualTo(3));
        Assert.That(r.SamplesPerObservation, Is.EqualTo(7));
        using var xo = r.Observation(3);
        Assert.That(xo.shape, Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(r.ObservationSeeds, Is.Empty);
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Observation(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Reference(4));
    }

    [Test]
    public void NamesTheMissingMember()
    {
        using var task = new TwoMoons();
        var e = Assert.Throws<SbiDataException>(() => SbibmReference.Load(Write(3, 2, 7, 2, drop: "true_parameters"), task))!;
        Assert.That(e.Message, Does.Contain("no array 'true_parameters'"));
    }

    [Test]
    public void RefusesAnotherTasksShapes()
    {
        using var task = new Slcp();
        var e = Assert.Throws<SbiDataException>(() => SbibmReference.Load(Write(3, 2, 7, 2), task))!;
        Assert.That(e.Message, Does.Contain("'observations' has shape (3, 2)").And.Contain("slcp needs (N, 8)"));
    }

    [Test]
    public void RefusesNonFiniteValues()
    {
        using var task = new TwoMoons();
        var e = Assert.Throws<SbiDataException>(() => SbibmReference.Load(Write(3, 2, 7, 2, fill: float.NaN), task))!;
        Assert.That(e.Message, Does.Contain("'observations' holds NaN"));
    }
}
