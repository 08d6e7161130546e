using Sbi.Numpy;

namespace Sbi.Cli.Tests;

/// <summary>A temporary folder with small generated simulations (θ ~ U(0,1)^D, x = θ + 0.1·noise), deleted on dispose.</summary>
internal sealed class Workspace : IDisposable
{
    public Workspace()
    {
        Root = Path.Combine(Path.GetTempPath(), $"sbi-cli-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string this[string name] => Path.Combine(Root, name);

    /// <summary>Writes theta.npy and x.npy (<paramref name="thetaRows"/> and <paramref name="xRows"/> rows); returns their paths.</summary>
    public (string Theta, string X) Simulations(int thetaRows, int xRows, int dim = 2, int seed = 0)
    {
        var (theta, x) = Draw(thetaRows, xRows, dim, seed);
        Npy.Write(this["theta.npy"], theta, new long[] { thetaRows, dim });
        Npy.Write(this["x.npy"], x, new long[] { xRows, dim });
        return (this["theta.npy"], this["x.npy"]);
    }

    /// <summary>Writes <paramref name="name"/>, an .npz with arrays theta and x of <paramref name="rows"/> simulations; returns its path.</summary>
    public string SimulationsNpz(string name, int rows, int dim = 2, int seed = 0)
    {
        var (theta, x) = Draw(rows, rows, dim, seed);
        Npz.Write(this[name], new Dictionary<string, NpyArray>
        {
            ["theta"] = NpyArray.FromFloat32(theta, [rows, dim]),
            ["x"] = NpyArray.FromFloat32(x, [rows, dim]),
        });
        return this[name];
    }

    private static (float[] Theta, float[] X) Draw(int thetaRows, int xRows, int dim, int seed)
    {
        var rng = new Random(seed);
        var theta = new float[thetaRows * dim];
        for (int i = 0; i < theta.Length; i++) theta[i] = (float)rng.NextDouble();
        var x = new float[xRows * dim];
        for (int i = 0; i < x.Length; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            double noise = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            x[i] = (i < theta.Length ? theta[i] : 0.5f) + (float)(0.1 * noise);
        }
        return (theta, x);
    }

    public void Dispose()
    {
        try
        {
            // A test may have made a folder read-only; give it back its write bit so it can be removed.
            if (!OperatingSystem.IsWindows())
                foreach (var d in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories))
                    File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(Root, true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
