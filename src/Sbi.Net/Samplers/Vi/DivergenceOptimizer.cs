using System.Diagnostics;
using System.Globalization;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Optim;
using Sbi.Potentials;
using Sbi.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// sbi's <c>DivergenceOptimizer</c> (sbi/samplers/vi/vi_divergence_optimizers.py) for one observation: Adam over q's
/// parameters (<see cref="FlatAdam"/>: PyTorch's update and <c>clip_grad_norm_</c>) with sbi's ExponentialLR (the
/// learning rate of step i is lr·γⁱ), the prior warm-up, the loss statistics and convergence check
/// (<see cref="LossStatistics"/>), and best-q tracking. Gradients are taken with respect to q's parameters only
/// (<c>backward(inputs: …)</c>), so the potential's own network, if it has one, gets no gradient and its weight
/// gradients are never computed.
/// Deviation from sbi: where sbi's <c>resolve_state</c> silently resets q to a 50-step-old state and warms up again on a
/// non-finite loss, here a non-finite potential value or loss stops training with a <see cref="VITrainingException"/>
/// naming the iteration, after restoring the best q seen (the lowest moving-average loss); cancellation restores it too.
/// A normally finished training keeps the last q, as sbi does (the decayed learning rate makes it the most refined).
/// </summary>
public sealed class DivergenceOptimizer : IDisposable
{
    /// <summary>Samples per warm-up step (sbi: 32).</summary>
    public const int WarmUpParticles = 32;

    private readonly VariationalDistribution _q;
    private readonly VariationalDistribution? _stopped;
    private readonly DivergenceObjective _objective;
    private readonly BasePotential _potential;
    private readonly IDistribution _prior;
    private readonly FlatAdam _adam;
    private readonly List<Parameter> _params;
    private readonly IList<Tensor> _gradientInputs;
    private readonly double _learningRate, _clipValue, _gamma;
    private readonly int _nParticles;
    private readonly ITrainingKernel? _kernel;
    private readonly List<Sbi.Nn.MaskedLinear> _masked;
    private Tensor? _best;
    private double _bestLoss = double.PositiveInfinity;
    private int _bestIteration = -1;

    /// <summary>The optimiser of <paramref name="q"/> for <paramref name="objective"/> over <paramref name="potential"/> (set to x by the caller).</summary>
    public DivergenceOptimizer(VariationalDistribution q, DivergenceObjective objective, BasePotential potential, IDistribution prior,
                               double learningRate = 1e-3, double clipValue = 10.0, double gamma = 0.999, int nParticles = 256)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(potential);
        ArgumentNullException.ThrowIfNull(prior);
        Guard.Positive(learningRate, nameof(learningRate));
        Guard.Positive(clipValue, nameof(clipValue));
        Guard.Positive(nParticles, nameof(nParticles));
        if (!(gamma > 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"gamma must be in (0, 1]; got {gamma}.");
        _q = q;
        _objective = objective;
        _potential = potential;
        _prior = prior;
        _learningRate = learningRate;
        _clipValue = clipValue;
        _gamma = gamma;
        _nParticles = nParticles;
        _params = q.Q.parameters().Where(p => p.requires_grad).ToList();
        if (_params.Count == 0) throw new ArgumentException("q has no trainable parameters.", nameof(q));
        _gradientInputs = _params.Cast<Tensor>().ToList();
        _adam = new FlatAdam(_params, learningRate);
        _masked = Premask(q.Q, _adam);
        if (objective.NeedsStoppedQ) _stopped = StoppedCopy(q);
        if (objective is ForwardKlObjective && !q.InverseAutoregressive) _kernel = BindKernel(q.Q, out _);
    }

    /// <summary>
    /// Zeroes the masked entries of q's MADE weights and masks their gradients in the optimiser, so that the layers skip
    /// W ⊙ M in every pass while training (same values, and after masking the same gradients; NPE training does the same).
    /// Undone (the layers, not the zeros) when the optimiser is disposed.
    /// </summary>
    private static List<Sbi.Nn.MaskedLinear> Premask(ConditionalDensityEstimator q, FlatAdam adam)
    {
        var layers = q.modules().OfType<Sbi.Nn.MaskedLinear>().ToList();
        if (layers.Count == 0) return layers;
        using (no_grad())
            foreach (var l in layers) l.Weight.mul_(l.Mask);
        adam.SetGradientMask(layers.Select(l => (l.Weight, l.Mask)));
        foreach (var l in layers) l.Premasked = true;
        return layers;
    }

    /// <summary>Whether the steps run through q's family's fused training kernel (fKL on a MAF on the CPU), and why not otherwise.</summary>
    public bool UsesKernel => _kernel is not null;

    /// <summary>
    /// The fused training kernel of q's family, bound to q and the optimiser's gradients (as NPE training binds it):
    /// it reads the pre-masked MADE weights (<see cref="Premask"/>). Null, with the reason, where the family has none or the
    /// kernels cannot run.
    /// </summary>
    private static ITrainingKernel? BindKernel(ConditionalDensityEstimator q, out string reason)
    {
        reason = $"'{q.Config.Estimator}' is not a registered family";
        if (!EstimatorFamilies.Contains(q.Config.Estimator)) return null;
        return EstimatorFamilies.Get(q.Config.Estimator).TryCreateTrainingKernel(q, out reason);
    }

    /// <summary>The objective.</summary>
    public DivergenceObjective Objective => _objective;

    /// <summary>
    /// sbi's <c>warm_up</c>: <paramref name="steps"/> Adam steps (learning rate constant, no clipping) on
    /// −mean(log prior(θ) − log q(θ)) over <see cref="WarmUpParticles"/> reparameterised samples, fitting q to the prior
    /// before the potential is seen.
    /// </summary>
    public void WarmUp(int steps, Tensor x, IProgress<VIProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"warmUpRounds must be ≥ 0; got {steps}.");
        _adam.LearningRate = _learningRate;
        for (int i = 0; i < steps; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            _adam.ZeroGrad();
            var (theta, _, logQ) = _q.RSampleAndLogProb(WarmUpParticles, x);
            var th = theta.reshape(WarmUpParticles, _q.Dim);
            var logPrior = _prior.LogProb(th).to(logQ.dtype);
            var loss = -(logPrior - logQ.reshape(WarmUpParticles)).mean();
            double value = loss.item<float>();
            if (!double.IsFinite(value))
                throw new VITrainingException($"VI warm-up: the loss is {Fmt(value)} at warm-up step {i} (the prior's log-density or q's is not finite at q's " +
                                              "samples); q was left as it was before this step. Try a smaller learningRate.", "warm-up", i);
            loss.backward(null, false, false, _gradientInputs);
            _adam.Step();
            progress?.Report(new VIProgress("warm-up", i, value, double.NaN, double.NaN, _learningRate));
        }
    }

    /// <summary>
    /// Up to <paramref name="maxNumIters"/> steps at the potential's current x (x is q's condition): each draws the
    /// objective's particles, backpropagates to q's parameters, clips the gradient norm to clipValue, takes an Adam step at
    /// lr·γⁱ and records the loss. With <paramref name="checkForConvergence"/>, stops after step i &gt; <paramref name="minNumIters"/>
    /// once <see cref="LossStatistics.Converged"/> holds (sbi's rule).
    /// </summary>
    /// <exception cref="VITrainingException">a potential value or the loss is not finite; the best q has been restored.</exception>
    /// <exception cref="OperationCanceledException">cancelled; the best q has been restored.</exception>
    public VITrainingSummary Train(Tensor x, int maxNumIters, int minNumIters, bool checkForConvergence, int warmUpSteps,
                                   IProgress<VIProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Positive(maxNumIters, nameof(maxNumIters));
        if (minNumIters < 0) throw new ArgumentOutOfRangeException(nameof(minNumIters), minNumIters, $"minNumIters must be ≥ 0; got {minNumIters}.");
        var clock = Stopwatch.StartNew();
        var stats = new LossStatistics();
        var inputs = new ObjectiveInputs(_q, _stopped, x, _nParticles, (theta, grad) => Potential(theta, grad, stats.Count));
        bool converged = false;
        int it = 0;
        try
        {
            for (; it < maxNumIters; it++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double lr = _learningRate * Math.Pow(_gamma, it);
                double value = Step(inputs, lr, it);
                stats.Add(value);
                if (stats.AverageIsFull && stats.MovingAverage < _bestLoss) Remember(stats.MovingAverage, it);
                progress?.Report(new VIProgress("train", it, value, stats.MovingAverage, stats.MovingStd, lr));
                if (checkForConvergence && it > minNumIters && stats.Converged(_objective.Eps)) { converged = true; it++; break; }
            }
        }
        catch (Exception e) when (e is VITrainingException or OperationCanceledException)
        {
            RestoreBest();
            throw;
        }
        return new VITrainingSummary(_objective.Name, it, warmUpSteps, converged, false, _bestIteration,
                                     _bestIteration >= 0 ? _bestLoss : double.NaN, stats.MovingAverage, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The iteration and moving-average loss of the best q so far (−1 and +∞ before the average is full).</summary>
    public (int Iteration, double Loss) Best => (_bestIteration, _bestLoss);

    private double Step(ObjectiveInputs inputs, double lr, int it)
    {
        using var scope = NewDisposeScope();
        _adam.ZeroGrad();
        if (_kernel is not null && _objective is ForwardKlObjective fkl)
        {
            double v = fkl.KernelStep(inputs, _kernel);
            if (!double.IsFinite(v))
                throw new VITrainingException($"VI training (fKL): the loss is {Fmt(v)} at iteration {it}, although the potential was finite at q's samples: " +
                                              $"q's densities overflowed. Training stopped; {BestText()} Try a smaller learningRate or clipValue.", "train", it);
            _adam.ClipGradNorm(_clipValue);
            _adam.LearningRate = lr;
            _adam.Step();
            return v;
        }
        var (surrogate, loss) = _objective.Loss(inputs);
        double s = surrogate.item<float>(), value = loss.item<float>();
        if (!double.IsFinite(s) || !double.IsFinite(value))
            throw new VITrainingException($"VI training ({_objective.Name}): the loss is {Fmt(value)} (surrogate {Fmt(s)}) at iteration {it}, although the " +
                                          $"potential was finite at q's samples: q's densities overflowed. Training stopped; {BestText()} Try a smaller " +
                                          "learningRate or clipValue.", "train", it);
        surrogate.backward(null, false, false, _gradientInputs);
        _adam.ClipGradNorm(_clipValue);
        _adam.LearningRate = lr;
        _adam.Step();
        return value;
    }

    private Tensor Potential(Tensor theta, bool trackGradients, int iteration)
    {
        var value = _potential.Evaluate(theta, trackGradients);
        using (no_grad())
        {
            var bad = value.isfinite().logical_not();
            if (bad.any().item<bool>())
            {
                long count = bad.sum().item<long>();
                long row = bad.nonzero()[0, 0].item<long>();
                var example = string.Join(", ", theta[row].detach().cpu().to(ScalarType.Float64).data<double>().Select(v => v.ToString("G6", CultureInfo.InvariantCulture)));
                throw new VITrainingException(
                    $"VI training ({_objective.Name}): the potential returned {count} non-finite value(s) at iteration {iteration}, e.g. " +
                    $"{Fmt(value[row].to(ScalarType.Float64).item<double>())} at θ = [{example}], where q's samples lie inside the prior's support. " +
                    $"Training stopped; {BestText()} Check the potential (its estimator's weights, x) or the prior.", "train", iteration);
            }
        }
        return value;
    }

    private void Remember(double loss, int iteration)
    {
        using var _ = no_grad();
        if (_best is null) _best = _adam.Parameters.clone().DetachFromDisposeScope();
        else _best.copy_(_adam.Parameters);
        _bestLoss = loss;
        _bestIteration = iteration;
    }

    private void RestoreBest()
    {
        if (_best is null) return;
        using var _ = no_grad();
        _adam.Parameters.copy_(_best);
    }

    private string BestText() => _best is null
        ? "q is the last finite one (no moving average was complete yet)."
        : $"the best q so far (iteration {_bestIteration}, moving-average loss {_bestLoss.ToString("G6", CultureInfo.InvariantCulture)}) was restored.";

    private static string Fmt(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>A copy of q whose parameters share q's storage with gradients off: sbi's <c>_surrogate_q</c> for sticking the landing.</summary>
    internal static VariationalDistribution StoppedCopy(VariationalDistribution q)
    {
        ConditionalDensityEstimator copy;
        try { copy = VariationalFamilies.Rebuild(q.Q.Config); }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"sticking the landing and DReG evaluate log q with fixed parameters through a second q of the same family; " +
                                        $"q's family '{q.Q.Config.Estimator}' cannot be rebuilt ({e.Message}).", "settings", e);
        }
        copy.to(q.Q.Device);
        StateDictLoader.Load(copy, q.Q.state_dict(), "q");
        var live = q.Q.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
            foreach (var (name, p) in copy.named_parameters())
            {
                p.requires_grad_(false);
                p.set_(live[name].detach());
            }
        return new VariationalDistribution(copy, q.Transform, q.InverseAutoregressive);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // q leaves training as a plain module (weights loaded into it later need not be pre-masked).
        foreach (var l in _masked) l.Premasked = false;
        _adam.Dispose();
        _kernel?.Dispose();
        _best?.Dispose();
        _stopped?.Q.Dispose();
    }
}
