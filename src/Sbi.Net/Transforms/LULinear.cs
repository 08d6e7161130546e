using Sbi.Utils;
using TorchSharp;
using Sbi.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Transforms;

/// <summary>
/// nflows' <c>LULinear</c> (sbi's NSF mixing layer): y = L U x + bias with L unit lower triangular (strictly-lower
/// entries <c>lower_entries</c>, row-major), U upper triangular (strictly-upper <c>upper_entries</c>, row-major, diagonal
/// softplus(<c>unconstrained_upper_diag</c>) + 1e-3); log|det| = Σ log diag(U). Identity at initialisation.
/// The inverse uses two triangular solves, as nflows does.
/// </summary>
public sealed class LULinear : Transform
{
    private readonly Parameter bias;
    private readonly Parameter lower_entries;
    private readonly Parameter upper_entries;
    private readonly Parameter unconstrained_upper_diag;
    // "assemble" (0/1) maps [lower_entries, upper_entries, diag] to the row-major entries of L and U side by side, and
    // "offset" adds L's unit diagonal: one matrix product builds both matrices (see ModuleConstants).
    private readonly ModuleConstants _constants = new();

    /// <summary>Creates the identity-initialised layer for D features.</summary>
    public LULinear(int features) : base(nameof(LULinear))
    {
        if (features < 1) throw new ArgumentException("features must be at least 1.", nameof(features));
        Features = features;
        int nTri = features * (features - 1) / 2;
        bias = new Parameter(zeros(features).DetachFromDisposeScope());
        lower_entries = new Parameter(zeros(nTri).DetachFromDisposeScope());
        upper_entries = new Parameter(zeros(nTri).DetachFromDisposeScope());
        using Scalar identityDiag = (float)Math.Log(Math.Exp(1 - EstimatorConstants.LuEpsilon) - 1);
        unconstrained_upper_diag = new Parameter(full(features, identityDiag).DetachFromDisposeScope());
        register_parameter("bias", bias);
        register_parameter("lower_entries", lower_entries);
        register_parameter("upper_entries", upper_entries);
        register_parameter("unconstrained_upper_diag", unconstrained_upper_diag);

        // Row-major triangle order equals numpy's tril_indices/triu_indices order used by nflows.
        int dd = features * features;
        var assemble = new float[(2 * nTri + features) * 2 * dd];
        var offset = new float[2 * dd];
        int li = 0, ui = 0;
        for (int r = 0; r < features; r++)
            for (int c = 0; c < features; c++)
            {
                if (c < r) assemble[li++ * 2 * dd + r * features + c] = 1;
                else if (c > r) assemble[(nTri + ui++) * 2 * dd + dd + r * features + c] = 1;
                else
                {
                    offset[r * features + c] = 1;
                    assemble[(2 * nTri + r) * 2 * dd + dd + r * features + c] = 1;
                }
            }
        _constants.Add("assemble", tensor(assemble, new long[] { 2 * nTri + features, 2 * dd }));
        _constants.Add("offset", tensor(offset));
    }

    /// <inheritdoc/>
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        _constants.To(dtype, device);
    }

    /// <summary>The parameters: bias, strictly-lower and strictly-upper entries (row-major) and the unconstrained diagonal.</summary>
    internal (Parameter Bias, Parameter Lower, Parameter Upper, Parameter Diag) Parameters
        => (bias, lower_entries, upper_entries, unconstrained_upper_diag);

    /// <summary>Number of features D.</summary>
    public int Features { get; }

    /// <summary>The diagonal of U: softplus(unconstrained_upper_diag) + 1e-3.</summary>
    public Tensor UpperDiag() => Scalars.Softplus(unconstrained_upper_diag).Plus(Scalars.Of(EstimatorConstants.LuEpsilon));

    /// <summary>L (unit lower triangular) and U (upper triangular), both (D, D).</summary>
    public (Tensor Lower, Tensor Upper) LowerUpper() => LowerUpper(UpperDiag());

    private (Tensor Lower, Tensor Upper) LowerUpper(Tensor diag)
    {
        var both = cat(new Tensor[] { lower_entries, upper_entries, diag }).matmul(_constants["assemble"]).Plus(_constants["offset"])
            .view(2, Features, Features);
        return (both[0], both[1]);
    }

    /// <summary>log|det W| = Σ log diag(U) (a scalar).</summary>
    public Tensor LogAbsDet() => UpperDiag().log().sum();

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Forward(Tensor inputs, Tensor? context = null)
    {
        var diag = UpperDiag();
        var (lower, upper) = LowerUpper(diag);
        var outputs = nn.functional.linear(nn.functional.linear(inputs, upper), lower, bias);
        return (outputs, diag.log().sum().expand(inputs.shape[0]));
    }

    /// <inheritdoc/>
    public override (Tensor Outputs, Tensor? LogAbsDet) Inverse(Tensor inputs, Tensor? context = null)
    {
        var diag = UpperDiag();
        var (lower, upper) = LowerUpper(diag);
        var outputs = (inputs - bias).t();
        outputs = linalg.solve_triangular(lower, outputs, upper: false, unitriangular: true);
        outputs = linalg.solve_triangular(upper, outputs, upper: true, unitriangular: false);
        return (outputs.t(), (-diag.log().sum()).expand(inputs.shape[0]));
    }
}
