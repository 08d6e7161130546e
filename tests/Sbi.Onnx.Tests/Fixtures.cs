using Microsoft.ML.OnnxRuntime;
using NUnit.Framework;
using Sbi.Onnx.Export;
using Sbi.Numpy;
using Sbi.Onnx.Model;

namespace Sbi.Onnx.Tests;

/// <summary>Access to the sbi parity fixtures (tests/parity/fixtures) and one-shot ONNX Runtime calls.</summary>
internal static class Fixtures
{
    private static readonly Dictionary<string, NpzFile> Cache = new();
    private static readonly Dictionary<string, string> Packages = new();
    private static readonly object Gate = new();

    public static string PathOf(string est, int d) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", $"{est}_D{d}.npz");

    public static NpzFile Arrays(string est, int d)
    {
        lock (Gate)
        {
            string key = $"{est}_D{d}";
            if (!Cache.TryGetValue(key, out var a)) Cache[key] = a = NpzFile.Load(PathOf(est, d));
            return a;
        }
    }

    /// <summary>Exports the fixture once per test run (default options) and returns the package directory.</summary>
    public static string Package(string est, int d, ExportOptions? options = null, string tag = "")
    {
        lock (Gate)
        {
            string key = $"{est}_D{d}{tag}";
            if (options == null && Packages.TryGetValue(key, out var dir)) return dir;
            dir = Path.Combine(Path.GetTempPath(), "sbi-onnx-tests-" + Environment.ProcessId, key);
            PosteriorExporter.Export(EstimatorModel.LoadNpz(PathOf(est, d)), dir, options);
            if (options == null) Packages[key] = dir;
            return dir;
        }
    }

    /// <summary>
    /// The float32 bound for an output <paramref name="key"/> of the fixture (log_prob, samples): <see cref="Tolerances.Float32"/>
    /// of sbi's own float32 error against its float64 companion (f64/…) on the same rows, reduction length
    /// <paramref name="n"/> (the hidden width). Exported graphs evaluate the same maths in float32, so they are held to it.
    /// </summary>
    public static double Float32Bound(NpzFile a, string key, int n)
    {
        var f32 = a[key].AsFloat32();
        var f64 = a["f64/" + key].AsFloat64();
        double err = f32.Select((v, i) => Math.Abs(v - f64[i])).Max();
        return Tolerances.Float32(err, n, f64.Max(Math.Abs));
    }

    /// <summary>Largest |a_i − b_i| of a float32 output against float64 values.</summary>
    public static double MaxAbsDiff(float[] a, double[] b) => a.Select((v, i) => Math.Abs(v - b[i])).Max();

    /// <summary>Runs one graph on float32 inputs and returns the first output, flattened.</summary>
    public static float[] Run(string onnxPath, params (string name, float[] data, long[] shape)[] inputs)
    {
        using var session = new InferenceSession(onnxPath);
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.data, i.shape)).ToArray();
        try
        {
            using var run = new RunOptions();
            using var outputs = session.Run(run, inputs.Select(i => i.name).ToArray(), values, session.OutputNames.ToArray());
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length), "length");
        float m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    /// <summary>Repeats the rows of a row-major (rows × cols) array to <paramref name="n"/> rows.</summary>
    public static float[] TileRows(float[] data, int cols, int n)
    {
        int rows = data.Length / cols;
        var r = new float[n * cols];
        for (int i = 0; i < n; i++) Array.Copy(data, (i % rows) * cols, r, i * cols, cols);
        return r;
    }
}
