namespace Sbi.Parity.Checks;

/// <summary>Pass/fail against a tolerance; Skip: could not run (reason in the note); Info: a reported number without a bound.</summary>
public enum CaseStatus { Pass, Fail, Skip, Info }

/// <summary>
/// One measured quantity of a parity case: <paramref name="Value"/> (e.g. max abs error, |z|, C2ST accuracy) against
/// <paramref name="Tolerance"/> (pass when Value ≤ Tolerance). <paramref name="Source"/> names the sbi side:
/// a fixture file (recorded) or "live".
/// </summary>
public sealed record CaseResult(string Case, string Source, string Metric, double Value, double Tolerance, CaseStatus Status, string Note = "")
{
    public static CaseResult Check(string id, string source, string metric, double value, double tolerance, string note = "") =>
        new(id, source, metric, value, tolerance, value <= tolerance ? CaseStatus.Pass : CaseStatus.Fail, note);

    public static CaseResult Skip(string id, string source, string reason) =>
        new(id, source, "-", double.NaN, double.NaN, CaseStatus.Skip, reason);

    public static CaseResult Failed(string id, string source, string metric, string error) =>
        new(id, source, metric, double.NaN, double.NaN, CaseStatus.Fail, error);

    public static CaseResult Report(string id, string source, string metric, double value, string note = "") =>
        new(id, source, metric, value, double.NaN, CaseStatus.Info, note);
}
