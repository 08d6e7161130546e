using static TorchSharp.torch;

namespace Sbi.Posteriors;

public sealed partial class VIPosterior
{
    /// <summary>
    /// sbi's <c>evaluate</c>: the quality of q against the potential by <paramref name="qualityControlMetric"/> ("psis":
    /// Pareto-k̂, warned about above 0.7; "prop" / "prop_prior": sbi's proportionality R², warned about below 0.5; see
    /// <see cref="VIQualityControl"/>) on <paramref name="n"/> samples (sbi: 50,000), at the fitted x (single-x) or the
    /// default x (amortised). The result is also logged, as sbi prints it.
    /// </summary>
    /// <exception cref="InvalidOperationException">q is not trained, or (amortised) no default x is set.</exception>
    /// <exception cref="VIQualityCheckException">q's samples or densities fail sbi's basic checks.</exception>
    public VIQuality Evaluate(string qualityControlMetric = "psis", int n = 50_000)
    {
        if (Mode == VIMode.Untrained) throw new InvalidOperationException("The variational posterior is not trained: call Train(x) (or TrainAmortized) first.");
        var x = Mode == VIMode.SingleX ? _trainedOn! : DefaultX ?? throw new InvalidOperationException("Evaluating an amortised q needs a default x: call SetDefaultX first.");
        return AtX(x, () => VIQualityControl.Evaluate(this, x, qualityControlMetric, n, Logger));
    }
}
