using System.Globalization;
using System.Text;
using System.Text.Json;
using Sbi.Numpy;

namespace Sbi.Cli;

/// <summary>One named result of a diagnostic: a single number (ATC) or one number per dimension or grid point (KS p-values, ECP).</summary>
internal sealed record ResultField(string Name, double[] Values, bool IsScalar = false)
{
    public static ResultField Scalar(string name, double value) => new(name, [value], IsScalar: true);
}

/// <summary>
/// Writes a diagnostic's results, atomically (<see cref="AtomicFile"/>), as JSON or CSV by the file's extension. JSON:
/// one object, scalars as numbers and per-dimension results as arrays, under sbi's key names (<c>ks_pvals</c>,
/// <c>c2st_ranks</c>, <c>c2st_dap</c>; <c>atc</c>, <c>ks_pval</c>, <c>ecp</c>, <c>alpha</c>). CSV: one value a row,
/// <c>statistic,index,value</c>, the index 0-based as in the JSON arrays and empty for a scalar, so every result of
/// every diagnostic fits one table.
/// </summary>
internal static class ResultsFile
{
    /// <summary>The extensions --out takes.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".json", ".csv"];

    /// <summary>Whether <paramref name="path"/> ends in one of <see cref="Extensions"/> (case-insensitive).</summary>
    public static bool HasKnownExtension(string path) => Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>Writes <paramref name="fields"/> after the string members <paramref name="header"/> (JSON only; CSV holds numbers).</summary>
    public static void Write(string path, IReadOnlyList<(string Name, string Value)> header, IReadOnlyList<ResultField> fields)
    {
        bool json = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        AtomicFile.Write(path, stream =>
        {
            if (json) WriteJson(stream, header, fields);
            else WriteCsv(stream, fields);
        });
    }

    private static void WriteJson(Stream stream, IReadOnlyList<(string Name, string Value)> header, IReadOnlyList<ResultField> fields)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        foreach (var (name, value) in header) w.WriteString(name, value);
        foreach (var f in fields)
        {
            if (f.IsScalar)
            {
                w.WriteNumber(f.Name, f.Values[0]);
                continue;
            }
            w.WriteStartArray(f.Name);
            foreach (var v in f.Values) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteCsv(Stream stream, IReadOnlyList<ResultField> fields)
    {
        using var w = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        w.WriteLine("statistic,index,value");
        foreach (var f in fields)
            for (int i = 0; i < f.Values.Length; i++)
                w.WriteLine($"{f.Name},{(f.IsScalar ? "" : i.ToString(CultureInfo.InvariantCulture))},{f.Values[i].ToString("R", CultureInfo.InvariantCulture)}");
    }
}
