using static TorchSharp.torch;

namespace Sbi.Testing;

/// <summary>
/// One quantity computed by two implementations of the same maths (ours and a reference such as sbi), each in float32
/// and in float64 on the same weights and inputs, judged as <see cref="Tolerances"/> describes: the float64 values must
/// agree (<see cref="SameMaths"/>) and ours in float32 must be as close to its float64 value as the reference's float32
/// evaluation is to its own (<see cref="Float32Accurate"/>). Errors are absolute, or relative to |ref64| when
/// <c>relative</c> is set (weights, norms, losses); infinities must sit at the same places (<see cref="Diff"/>).
/// </summary>
public sealed record FloatAgreement(
    double Float64Difference, double Float64Bound,
    double Float32Error, double Float32Bound,
    double ReferenceFloat32Error, double Float32Difference, bool Relative)
{
    /// <summary>|ours64 − ref64| within <see cref="Tolerances.SameMathsFloat64"/>.</summary>
    public bool SameMaths => Float64Difference <= Float64Bound;

    /// <summary>|ours32 − ours64| within <see cref="Tolerances.Float32"/>.</summary>
    public bool Float32Accurate => Float32Error <= Float32Bound;

    /// <summary>Both checks hold.</summary>
    public bool Passed => SameMaths && Float32Accurate;

    /// <summary>Compares ours (float32 and float64) with the reference (float32 and float64).</summary>
    /// <param name="reductionLength">The longest reduction of the computation (see <see cref="Tolerances.Reduction"/>).</param>
    public static FloatAgreement Of(Tensor ours32, Tensor ours64, Tensor ref32, Tensor ref64, long reductionLength, bool relative = false)
    {
        Func<Tensor, Tensor, double> diff = relative ? Diff.MaxRel : Diff.MaxAbs;
        double refErr = diff(ref32, ref64);
        double scale = relative ? 1.0 : Diff.MaxAbsValue(ref64);
        return new FloatAgreement(
            diff(ours64, ref64), Tolerances.SameMathsFloat64(refErr, reductionLength, scale),
            diff(ours32, ours64), Tolerances.Float32(refErr, reductionLength, scale),
            refErr, diff(ours32, ref32), relative);
    }

    /// <summary>Scalars (losses, norms): relative errors.</summary>
    public static FloatAgreement OfScalars(double ours32, double ours64, double ref32, double ref64, long reductionLength)
    {
        using var scope = NewDisposeScope();
        return Of(tensor(ours32), tensor(ours64), tensor(ref32), tensor(ref64), reductionLength, relative: true);
    }

    /// <summary>
    /// A float32 path checked against the float64 evaluation of a reference implementation that has no float64
    /// counterpart of its own (a fused kernel, an exported graph): the reference's float32 error sets the bound.
    /// </summary>
    public static FloatAgreement Float32Only(Tensor ours32, Tensor ref32, Tensor ref64, long reductionLength, bool relative = false)
        => Of(ours32, ref64, ref32, ref64, reductionLength, relative);

    /// <summary>One line for messages and reports.</summary>
    public override string ToString()
    {
        string kind = Relative ? "rel" : "abs";
        return $"float64 |ours − ref| {Float64Difference:G3} (≤ {Float64Bound:G3}); float32 |ours − float64| {Float32Error:G3} " +
               $"(≤ {Float32Bound:G3}; the reference's own {ReferenceFloat32Error:G3}); float32 |ours − ref| {Float32Difference:G3} ({kind})";
    }
}
