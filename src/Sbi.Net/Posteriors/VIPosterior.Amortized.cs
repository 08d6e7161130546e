using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Globalization;
using Sbi.Estimators;
using Sbi.Optim;
using Sbi.Samplers.Vi;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

public sealed partial class VIPosterior
{
    /// <summary>
    /// sbi's <c>train_amortized</c> (sbi 0.26): fits one q(θ | x) for every observation by the ELBO, so that
    /// <see cref="Sample"/> and <see cref="LogProb(Tensor, Tensor?)"/> work at any x without retraining. The simulations
    /// (<paramref name="theta"/>, <paramref name="x"/>) are split randomly into training and validation parts
    /// (<paramref name="validationFraction"/>); their θ z-score q (in the unconstrained space) and their x its x pipeline. Each
    /// step draws <paramref name="batchSize"/> training x (with replacement) and <paramref name="nParticles"/> reparameterised
    /// samples per x, and minimises −mean(log p̃(θ | x) − log q(θ | x)) with Adam (learning rate
    /// <paramref name="learningRate"/>·<paramref name="gamma"/>ⁱ, gradient norm clipped to <paramref name="clipValue"/>); the
    /// same loss on up to <paramref name="validationBatchSize"/> validation x stops training after
    /// <paramref name="stopAfterIters"/> steps without improvement, and the best q by it is kept. The potential is evaluated
    /// at each θ's own x (<see cref="PairedPotential"/>). q's family and sizes default to <see cref="Parameters"/>.
    /// </summary>
    /// <exception cref="ArgumentException">mismatched or non-finite simulations, a setting out of range, too few simulations for the split.</exception>
    /// <exception cref="VITrainingException">the training loss was not finite; the best q so far is kept.</exception>
    /// <exception cref="OperationCanceledException">cancelled; the best q so far is kept.</exception>
    public VIPosterior TrainAmortized(Tensor theta, Tensor x, int nParticles = 128, double learningRate = 1e-3, double gamma = 0.999,
                                      int maxNumIters = 500, double clipValue = 5.0, int batchSize = 64, double validationFraction = 0.1,
                                      int? validationBatchSize = null, int? validationNParticles = null, int stopAfterIters = 20,
                                      bool retrainFromScratch = false, string? q = null, int? numTransforms = null, int? hiddenFeatures = null,
                                      ZScoreMode? zScoreTheta = null, ZScoreMode? zScoreX = null, IProgress<VIProgress>? progress = null,
                                      CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(x);
        if (_userQ is not null && q is null)
            throw new InvalidOperationException("TrainAmortized builds q from a family name (pass q, e.g. \"maf\"); the q given to the constructor is for single-observation training.");
        var family = q ?? Parameters.Q;
        _ = VariationalFamilies.Get(family, nameof(q));
        var th = theta.to(ScalarType.Float32);
        if (th.dim() == 1) th = th.unsqueeze(1);
        var xs = x.to(ScalarType.Float32);
        if (xs.dim() == 1) xs = xs.unsqueeze(1);
        if (th.dim() != 2 || th.shape[1] != Dim)
            throw new ArgumentException($"theta must have shape (n, {Dim}) (the prior's dimension); got {Guard.Shape(theta)}.", nameof(theta));
        if (th.shape[0] != xs.shape[0])
            throw new ArgumentException($"theta and x must hold the same number of simulations; got {th.shape[0]} and {xs.shape[0]}.", nameof(x));
        if (th.shape[0] == 0) throw new ArgumentException("Training data cannot be empty.", nameof(theta));
        Guard.Finite(th, nameof(theta));
        Guard.Finite(xs, nameof(x));
        if (_xShape is not null && !xs.shape[1..].SequenceEqual(_xShape))
            throw new ArgumentException($"x must have rows of shape ({string.Join(", ", _xShape)}); got {Guard.Shape(x)}.", nameof(x));
        Guard.Positive(nParticles, nameof(nParticles));
        Guard.Positive(learningRate, nameof(learningRate));
        if (!(gamma > 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"gamma must be in (0, 1]; got {gamma}.");
        Guard.Positive(maxNumIters, nameof(maxNumIters));
        Guard.Positive(clipValue, nameof(clipValue));
        Guard.Positive(batchSize, nameof(batchSize));
        Guard.Positive(stopAfterIters, nameof(stopAfterIters));
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, $"validationFraction must be in (0, 1); got {validationFraction}.");
        int valBatch = validationBatchSize ?? batchSize, valParticles = validationNParticles ?? nParticles;
        Guard.Positive(valBatch, nameof(validationBatchSize));
        Guard.Positive(valParticles, nameof(validationNParticles));
        long total = th.shape[0], numVal = (long)(validationFraction * total), numTrain = total - numVal;
        if (numVal == 0)
            throw new ArgumentException($"The validation set is empty ({total} simulations × validationFraction {validationFraction}); increase validationFraction or provide more simulations.", nameof(validationFraction));
        if (numTrain < batchSize)
            throw new ArgumentException($"The training set ({numTrain} simulations) is smaller than batchSize ({batchSize}); reduce validationFraction or batchSize.", nameof(batchSize));
        _xShape ??= xs.shape[1..];

        var perm = randperm(total);
        var thetaTrain = th.index_select(0, perm.narrow(0, 0, numTrain)).DetachFromDisposeScope();
        var xTrain = xs.index_select(0, perm.narrow(0, 0, numTrain)).DetachFromDisposeScope();
        var xVal = xs.index_select(0, perm.narrow(0, numTrain, numVal)).DetachFromDisposeScope();

        if (Mode != VIMode.Amortized || _q is null || retrainFromScratch)
        {
            if (Mode == VIMode.SingleX) Logger.LogWarning(LogEvents.VariationalInference, "Switching from single-x to amortized mode: the single-x q is discarded.");
            DropQ();
            using var build = NewDisposeScope();
            Tensor z;
            using (no_grad()) z = ThetaTransform.Forward(thetaTrain);
            bool iaf = VariationalFamilies.UsesInverseAutoregressive(family, "rKL", amortized: true);
            var built = VariationalFamilies.Build(family, numTransforms ?? Parameters.NumTransforms, hiddenFeatures ?? Parameters.HiddenFeatures,
                                                  iaf ? ZScoreMode.None : zScoreTheta ?? Parameters.ZScoreTheta, zScoreX ?? Parameters.ZScoreX, z, xTrain);
            WarnOneDimensionalFlow(built);
            _q = new VariationalDistribution(built, ThetaTransform, iaf);
        }
        Mode = VIMode.Amortized;
        var qd = _q;
        var parameters = qd.Q.parameters().Where(p => p.requires_grad).ToList();
        IList<Tensor> gradientInputs = parameters.Cast<Tensor>().ToList();
        using var adam = new FlatAdam(parameters, learningRate);
        var clock = Stopwatch.StartNew();
        var best = adam.Parameters.clone().DetachFromDisposeScope();
        double bestVal = double.PositiveInfinity, lastVal = double.NaN;
        int bestIt = -1, sinceImprovement = 0, it = 0;
        bool stoppedEarly = false;
        try
        {
            for (; it < maxNumIters; it++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var step = NewDisposeScope();
                double lr = learningRate * Math.Pow(gamma, it);
                adam.ZeroGrad();
                var batch = xTrain.index_select(0, randint(0, numTrain, new long[] { batchSize }));
                var loss = AmortizedElboLoss(qd, batch, nParticles, trackGradients: true);
                double value = loss.item<float>();
                if (!double.IsFinite(value))
                    throw new VITrainingException($"Amortized VI: the training loss became {value.ToString(CultureInfo.InvariantCulture)} at iteration {it} (numerical " +
                                                  $"instability). Training stopped and the best q so far (iteration {bestIt}) was restored. Try a smaller learningRate " +
                                                  $"(now {learningRate}) or fewer particles (now {nParticles}), and check the potential.", "amortized", it);
                loss.backward(null, false, false, gradientInputs);
                adam.ClipGradNorm(clipValue);
                adam.LearningRate = lr;
                adam.Step();
                Tensor valX = valBatch < xVal.shape[0] ? xVal.index_select(0, randperm(xVal.shape[0]).narrow(0, 0, valBatch)) : xVal;
                double val;
                using (no_grad()) val = AmortizedElboLoss(qd, valX, valParticles, trackGradients: false).item<float>();
                lastVal = val;
                if (val < bestVal)
                {
                    bestVal = val;
                    bestIt = it;
                    sinceImprovement = 0;
                    using (no_grad()) best.copy_(adam.Parameters);
                }
                else sinceImprovement++;
                progress?.Report(new VIProgress("amortized", it, value, double.NaN, double.NaN, lr, val));
                if (sinceImprovement >= stopAfterIters) { stoppedEarly = true; it++; break; }
            }
            TrainingSummary = new VITrainingSummary("rKL", it, 0, stoppedEarly, false, bestIt, bestVal, lastVal, clock.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            TrainingSummary = new VITrainingSummary("rKL", it, 0, false, true, bestIt, bestVal, lastVal, clock.Elapsed.TotalSeconds);
            throw;
        }
        finally
        {
            using (no_grad()) adam.Parameters.copy_(best);
            best.Dispose();
            thetaTrain.Dispose(); xTrain.Dispose(); xVal.Dispose();
        }
        return this;
    }

    /// <summary>sbi's <c>_compute_amortized_elbo_loss</c>: −mean over x (B) and particles (S) of log p̃(θ | x) − log q(θ | x).</summary>
    private Tensor AmortizedElboLoss(VariationalDistribution q, Tensor xBatch, int nParticles, bool trackGradients)
    {
        var (theta, _, logQ) = q.RSampleAndLogProb(nParticles, xBatch);
        var logP = PairedPotential.Evaluate(Potential, theta, xBatch, trackGradients);
        return -(logP.to(logQ.dtype) - logQ).mean();
    }
}
