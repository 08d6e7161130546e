using Sbi.Samplers.Vi;

namespace Sbi.Posteriors.Parameters;

/// <summary>
/// sbi's <c>VIPosteriorParameters</c> (sbi/inference/posteriors/posterior_parameters.py): the settings of a
/// <c>VIPosterior</c>, with sbi's defaults and checks. <see cref="Q"/> names the variational family ("maf", "nsf",
/// "gaussian", "gaussian_diag" or a flow family registered with <c>EstimatorFamilies.Register</c>, see
/// <see cref="VariationalFamilies"/>); a q built by the user is passed to the <c>VIPosterior</c> constructor instead. sbi's
/// zuko-only families (naf, unaf, nice, sospf, gf) do not exist here and are refused.
/// </summary>
public sealed record VIPosteriorParameters : PosteriorParameters
{
    private readonly string _q = "maf", _viMethod = "rKL";
    private readonly int _numTransforms = 5, _hiddenFeatures = 50;

    /// <summary>The settings; every argument is checked.</summary>
    public VIPosteriorParameters(string q = "maf", string viMethod = "rKL", int numTransforms = 5, int hiddenFeatures = 50,
                                 ZScoreMode zScoreTheta = ZScoreMode.Independent, ZScoreMode zScoreX = ZScoreMode.Independent)
    {
        Q = q;
        ViMethod = viMethod;
        NumTransforms = numTransforms;
        HiddenFeatures = hiddenFeatures;
        ZScoreTheta = zScoreTheta;
        ZScoreX = zScoreX;
    }

    /// <inheritdoc/>
    public override string SampleWith => "vi";

    /// <summary>The variational family ("maf"); one of <see cref="VariationalFamilies.Names"/>.</summary>
    public string Q
    {
        get => _q;
        init => _q = VariationalFamilies.IsKnown(value) ? value : OneOf(value, nameof(Q), [.. VariationalFamilies.Names]);
    }

    /// <summary>
    /// The divergence q is fitted by ("rKL"): "rKL" and "alpha" (α &gt; 1) are mode seeking, "fKL", "IW" and "alpha" (α &lt; 1)
    /// mass covering. Amortised training always uses the ELBO (rKL), as in sbi.
    /// </summary>
    public string ViMethod { get => _viMethod; init => _viMethod = OneOf(value, nameof(ViMethod), [.. DivergenceObjective.Methods]); }

    /// <summary>Flow transforms of q (5); positive. Not used by the Gaussian families.</summary>
    public int NumTransforms { get => _numTransforms; init => _numTransforms = Positive(value, nameof(NumTransforms)); }

    /// <summary>Hidden width of q's networks (50); positive. Not used by the Gaussian families.</summary>
    public int HiddenFeatures { get => _hiddenFeatures; init => _hiddenFeatures = Positive(value, nameof(HiddenFeatures)); }

    /// <summary>
    /// z-scoring of θ inside q (independent), from 1,000 prior samples mapped to the unconstrained space (sbi's rule;
    /// the Gaussian families have none).
    /// </summary>
    public ZScoreMode ZScoreTheta { get; init; } = ZScoreMode.Independent;

    /// <summary>z-scoring of x in amortised training (independent); a single-observation q standardises with x_o itself.</summary>
    public ZScoreMode ZScoreX { get; init; } = ZScoreMode.Independent;
}
