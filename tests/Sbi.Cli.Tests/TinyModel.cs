using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Cli.Tests;

/// <summary>
/// A model file trained in seconds (200 simulations θ ~ U(0,1)², x = θ + 0.1·noise, prior box [0,1]², 2 epochs,
/// default x (0.5, 0.5)) in its own workspace, for tests that need something to sample from.
/// </summary>
internal sealed class TinyModel : IDisposable
{
    private TinyModel(Workspace w, string path)
    {
        Workspace = w;
        Path = path;
    }

    public Workspace Workspace { get; }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>θ's dimension (and x's).</summary>
    public const int Dim = 2;

    public static TinyModel Train()
    {
        var w = new Workspace();
        var (theta, x) = w.Simulations(200, 200, Dim);
        var model = w["m.npz"];
        var r = CliRun.Of("train", "--theta", theta, "--x", x, "--prior", "box:0,1", "--out", model, "--max-epochs", "2",
                          "--batch-size", "20", "--x-o", "0.5,0.5");
        Assert.That(r.Code, Is.EqualTo(0), r.ToString());
        return new TinyModel(w, model);
    }

    /// <summary>Reads samples written by sample and checks their shape (n, D) and that every value is finite.</summary>
    public static float[] ReadSamples(string path, int n)
    {
        var a = Npy.Read(path);
        Assert.That(a.Shape, Is.EqualTo(new long[] { n, Dim }), path);
        var v = a.AsFloat32();
        Assert.That(v.All(float.IsFinite), Is.True, "every sample finite");
        return v;
    }

    /// <summary>Whether every value lies in the box prior [0, 1] (its support).</summary>
    public static bool InsidePrior(float[] values) => values.All(v => v >= 0f && v <= 1f);

    public void Dispose() => Workspace.Dispose();
}
