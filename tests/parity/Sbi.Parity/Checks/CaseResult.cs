using Sbi.Testing;

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

    /// <summary>
    /// The two rows of a float comparison (<see cref="FloatAgreement"/>): the maths in float64 against the reference's
    /// float64, and Sbi.Net's float32 against its own float64 bounded by the reference's float32 error.
    /// </summary>
    public static IEnumerable<CaseResult> Agreement(string id, string source, string what, FloatAgreement a, string reference = "sbi")
    {
        string rel = a.Relative ? " rel" : "";
        yield return Check(id, source, $"{what}, float64 max{rel} |ours − {reference}|", a.Float64Difference, a.Float64Bound, "same maths, in float64");
        yield return Check(id, source, $"{what}, float32 max{rel} |ours − float64|", a.Float32Error, a.Float32Bound,
            $"{reference}'s own float32 error {a.ReferenceFloat32Error:G3}; float32 |ours − {reference}| {a.Float32Difference:G3}");
    }

    public static CaseResult Report(string id, string source, string metric, double value, string note = "") =>
        new(id, source, metric, value, double.NaN, CaseStatus.Info, note);
}
