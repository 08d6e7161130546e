using Sbi.Distributions;
using Sbi.Potentials;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's MAP by gradient ascent (sbi/utils/sbiutils.py, <c>gradient_ascent</c>, called by
/// sbi/inference/posteriors/base_posterior.py <c>_calculate_map</c>): the best of the initial points by potential are
/// optimised with Adam in the space of the posterior's θ transform, and the best point seen every
/// <c>saveBestEvery</c> steps is kept. Any <see cref="IPosterior"/>: the prior enters only through its transform.
/// </summary>
public static class MapOptimizer
{
    /// <summary>Runs the optimisation; initial points are <paramref name="inits"/> or <paramref name="numInitSamples"/> posterior samples.</summary>
    public static Tensor Run(IPosterior posterior, BasePotential potential, IBijector transform, int numIter, int numToOptimize,
                             double learningRate, int numInitSamples, int saveBestEvery, Tensor? inits)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        ArgumentNullException.ThrowIfNull(potential);
        ArgumentNullException.ThrowIfNull(transform);
        Guard.Positive(numIter, nameof(numIter));
        Guard.Positive(numToOptimize, nameof(numToOptimize));
        Guard.Positive(learningRate, nameof(learningRate));
        Guard.Positive(saveBestEvery, nameof(saveBestEvery));
        using var scope = NewDisposeScope();
        Tensor Value(Tensor theta, bool grad) => potential.Evaluate(theta, trackGradients: grad);
        Tensor start;
        using (no_grad())
        {
            var candidates = inits?.to(ScalarType.Float32) ?? posterior.Sample(numInitSamples);
            var values = Value(candidates, false);
            int k = (int)Math.Min(numToOptimize, candidates.shape[0]);
            var top = values.topk(k).indexes;
            start = candidates.index_select(0, top.to(candidates.device));
        }
        var u = new TorchSharp.Modules.Parameter(transform.Forward(start).detach());
        var opt = optim.Adam(new[] { u }, learningRate);
        Tensor best;
        double bestValue;
        using (no_grad())
        {
            var v = Value(start, false);
            int i = (int)v.argmax().item<long>();
            best = start[i].clone();
            bestValue = v[i].item<float>();
        }
        for (int it = 0; it < numIter; it++)
        {
            using var step = NewDisposeScope();
            opt.zero_grad();
            var loss = -Value(transform.Inverse(u), true).sum();
            loss.backward();
            opt.step();
            if ((it + 1) % saveBestEvery == 0 || it == numIter - 1)
            {
                using var _ = no_grad();
                var theta = transform.Inverse(u);
                var v = Value(theta, false);
                int i = (int)v.argmax().item<long>();
                double value = v[i].item<float>();
                if (value > bestValue)
                {
                    bestValue = value;
                    best.Dispose();
                    best = theta[i].clone().MoveToOuterDisposeScope();
                }
            }
        }
        return best.unsqueeze(0).MoveToOuterDisposeScope();
    }
}
