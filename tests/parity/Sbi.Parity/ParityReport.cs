using System.Globalization;
using System.Text;
using Sbi.Parity.Checks;
using Sbi.Parity.Data;

namespace Sbi.Parity;

/// <summary>Plain-text table of results (readable when redirected, as CI logs are) and the versions of both sides.</summary>
public static class ParityReport
{
    public static string Table(IEnumerable<CaseResult> results, bool notes = true)
    {
        var rows = results.ToList();
        var sb = new StringBuilder();
        int wCase = Math.Max(4, rows.Select(r => r.Case.Length).DefaultIfEmpty(4).Max());
        int wSrc = Math.Max(6, rows.Select(r => r.Source.Length).DefaultIfEmpty(6).Max());
        int wMetric = Math.Max(6, rows.Select(r => r.Metric.Length).DefaultIfEmpty(6).Max());
        sb.AppendLine($"{"case".PadRight(wCase)}  {"source".PadRight(wSrc)}  {"metric".PadRight(wMetric)}  {"value",10}  {"tol",8}  status");
        foreach (var r in rows)
        {
            sb.Append($"{r.Case.PadRight(wCase)}  {r.Source.PadRight(wSrc)}  {r.Metric.PadRight(wMetric)}  {Num(r.Value),10}  {Num(r.Tolerance),8}  {r.Status.ToString().ToLowerInvariant()}");
            if (notes && r.Note.Length > 0) sb.Append("  ").Append(FirstLine(r.Note));
            sb.AppendLine();
        }
        return sb.ToString();
    }

    public static string Summary(IEnumerable<CaseResult> results)
    {
        var rows = results.ToList();
        int Count(CaseStatus s) => rows.Count(r => r.Status == s);
        return $"{Count(CaseStatus.Pass)} pass, {Count(CaseStatus.Fail)} fail, {Count(CaseStatus.Skip)} skip, {Count(CaseStatus.Info)} reported";
    }

    /// <summary>Sbi.Net's side: TorchSharp and runtime versions.</summary>
    public static string NetVersions() =>
        $"Sbi.Net {typeof(Sbi.Inference.NpeB).Assembly.GetName().Version}, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, " +
        $".NET {Environment.Version}";

    public static string Versions(IReadOnlyDictionary<string, string> versions) => ArrayBundle.Describe(versions);

    private static string Num(double v) =>
        double.IsNaN(v) ? "-" : v == 0 ? "0" : Math.Abs(v) >= 0.01 && Math.Abs(v) < 1e4 ? v.ToString("0.####", CultureInfo.InvariantCulture) : v.ToString("0.0e+0", CultureInfo.InvariantCulture);

    private static string FirstLine(string s)
    {
        var line = s.Split('\n')[0].Trim();
        return line.Length > 160 ? line[..157] + "..." : line;
    }
}
