using Sbi.Estimators;
using Sbi.Samplers.Vi;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

public sealed partial class VIPosterior
{
    /// <summary>
    /// Installs a fitted q (loaded from a file): its mode and, for a single-x q, the observation it was fitted at. The
    /// warm-up counts as done, so that training it again continues from it, as sbi's pickled posterior does.
    /// </summary>
    internal void Restore(ConditionalDensityEstimator q, VIMode mode, Tensor? trainedOn, bool inverseAutoregressive)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (mode == VIMode.Untrained) throw new ArgumentException("a restored q is trained.", nameof(mode));
        if (q.InputDim != Dim) throw new ArgumentException($"q's θ dimension must equal the prior's, {Dim}; got {q.InputDim}.", nameof(q));
        DropQ();
        _xShape = q.ConditionShape;
        _q = new VariationalDistribution(q, ThetaTransform, inverseAutoregressive);
        Mode = mode;
        _warmUpDone = true;
        if (mode == VIMode.SingleX)
            _trainedOn = ProcessX(trainedOn ?? throw new ArgumentNullException(nameof(trainedOn)), nameof(trainedOn)).clone().DetachFromDisposeScope();
    }
}
