using Sbi.Data;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Tests.Diagnostics;

/// <summary>The arrays python/make_sbc_tarp_fixtures.py recorded with the real sbi (data/diagnostics/*.npz), by case.</summary>
internal sealed class DiagnosticFixtures
{
    private readonly NpzFile _file;

    private DiagnosticFixtures(NpzFile file) => _file = file;

    public static DiagnosticFixtures Load(string name) =>
        new(Npz.Load(Path.Combine(AppContext.BaseDirectory, "data", "diagnostics", name)));

    public IReadOnlyList<string> Cases => _file["cases"].AsStrings();

    public Tensor Tensor(string c, string key) => _file[$"{c}/{key}"].ToTensor();

    public double[] Doubles(string c, string key) => _file[$"{c}/{key}"].AsFloat64();

    public float[] Floats(string c, string key) => _file[$"{c}/{key}"].AsFloat32();
}
