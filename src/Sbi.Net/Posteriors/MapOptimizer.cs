using Sbi.Distributions;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>sbi's MAP by gradient ascent on the potential, in the prior's unconstrained space (spec §6.6).</summary>
internal static class MapOptimizer
{
    public static Tensor Run(DirectPosterior posterior, Func<Tensor, Tensor> potential, int numIter, int numToOptimize,
                             double learningRate, int numInitSamples, int saveBestEvery, Tensor? inits)
    {
        Guard.Positive(numIter, nameof(numIter));
        Guard.Positive(numToOptimize, nameof(numToOptimize));
        Guard.Positive(learningRate, nameof(learningRate));
        Guard.Positive(saveBestEvery, nameof(saveBestEvery));
        using var scope = NewDisposeScope();
        var prior = posterior.Prior;
        Tensor start;
        using (no_grad())
        {
            var candidates = inits?.to(ScalarType.Float32, posterior.Device) ?? posterior.Sample(numInitSamples);
            var values = potential(candidates);
            int k = (int)Math.Min(numToOptimize, candidates.shape[0]);
            var top = values.topk(k).indexes;
            start = candidates.index_select(0, top);
        }
        var (toU, fromU) = Transforms(prior, posterior.EnableTransform, posterior.Device);
        var u = new TorchSharp.Modules.Parameter(toU(start).detach());
        var opt = optim.Adam(new[] { u }, learningRate);
        Tensor best;
        double bestValue;
        using (no_grad())
        {
            var v = potential(start);
            int i = (int)v.argmax().item<long>();
            best = start[i].clone();
            bestValue = v[i].item<float>();
        }
        for (int it = 0; it < numIter; it++)
        {
            using var step = NewDisposeScope();
            opt.zero_grad();
            var loss = -potential(fromU(u)).sum();
            loss.backward();
            opt.step();
            if ((it + 1) % saveBestEvery == 0 || it == numIter - 1)
            {
                using var _ = no_grad();
                var theta = fromU(u);
                var v = potential(theta);
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

    /// <summary>BoxUniform: logit of the box-normalised θ; other priors: (θ − mean)/std; identity when disabled.</summary>
    private static (Func<Tensor, Tensor> ToU, Func<Tensor, Tensor> FromU) Transforms(IDistribution prior, bool enable, Device device)
    {
        if (!enable) return (t => t, t => t);
        if (prior is BoxUniform box)
        {
            var low = box.Low.to(device);
            var width = (box.High - box.Low).to(device);
            return (t => ((t - low) / width).clamp(1e-6, 1 - 1e-6).logit(), u => low + width * u.sigmoid());
        }
        var mean = prior.Mean.to(device);
        var std = prior.Stddev.to(device);
        return (t => (t - mean) / std, u => mean + std * u);
    }
}
