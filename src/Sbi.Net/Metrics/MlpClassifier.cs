using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Metrics;

/// <summary>
/// Binary multi-layer perceptron classifier that reproduces the training semantics of scikit-learn's
/// <c>MLPClassifier(activation="relu", solver="adam")</c> with its other defaults, as sbibm's C2ST uses it:
/// <list type="bullet">
/// <item>ReLU hidden layers, one logistic output unit, binary cross-entropy with predicted
/// probabilities clipped to [eps, 1 − eps] (eps = float32 machine epsilon) in the reported loss;</item>
/// <item>Glorot-uniform initialisation of weights and biases, bound √(6 / (fan_in + fan_out)), drawn
/// layer by layer (weights row-major, then biases) from one seeded <see cref="IRandomStream"/>
/// (<see cref="Streams"/>: <see cref="Random"/> by default, or NumPy's <c>RandomState</c>, which draws exactly
/// scikit-learn's initial weights and batch orders);</item>
/// <item>L2 penalty <c>alpha</c> on the weights only, added to each mini-batch loss as
/// α / (2·n_batch) · Σ‖W‖² (gradient (Xᵀδ + αW) / n_batch);</item>
/// <item>scikit-learn's Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// lr_t = lr·√(1−β₂ᵗ)/(1−β₁ᵗ), θ ← θ − lr_t·m/(√v + ε);</item>
/// <item>mini-batches of min(200, n) rows over a fresh shuffle of the rows each epoch (last batch
/// may be smaller); epoch loss = Σ batch_loss·n_batch / n;</item>
/// <item>stopping as <c>_update_no_improvement_count</c> with <c>early_stopping=False</c>: the count of
/// epochs whose loss exceeds best_loss − tol must exceed <c>n_iter_no_change</c>, or <c>max_iter</c>
/// epochs are reached.</item>
/// </list>
/// Gradients are computed by hand (as scikit-learn's <c>_backprop</c> does) on float32 tensors; all
/// parameters, gradients and Adam moments live in flat buffers (weights first, then biases, like
/// scikit-learn's <c>_pack</c>) so that the L2 term and each Adam step are single tensor operations.
/// The global torch RNG is never used.
/// </summary>
internal sealed class MlpClassifier : IDisposable
{
    private readonly int[] _hidden;
    private readonly int _seed;

    /// <summary>L2 penalty strength (scikit-learn <c>alpha</c>).</summary>
    public double Alpha { get; init; } = 1e-4;
    /// <summary>Adam step size (<c>learning_rate_init</c>).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Adam β₁.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam β₂.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Adam ε.</summary>
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>Maximum number of epochs (<c>max_iter</c>).</summary>
    public int MaxIter { get; init; } = 200;
    /// <summary>Loss improvement tolerance (<c>tol</c>).</summary>
    public double Tol { get; init; } = 1e-4;
    /// <summary>Epochs without improvement tolerated (<c>n_iter_no_change</c>).</summary>
    public int NIterNoChange { get; init; } = 10;
    /// <summary>Mini-batch size cap (<c>batch_size="auto"</c> means min(200, n)).</summary>
    public int BatchSize { get; init; } = 200;

    /// <summary>
    /// The random stream for a seed (<c>random_state</c>): one is made per <see cref="Fit"/> and draws the initial
    /// weights, then each epoch's shuffle. Default: <see cref="SystemRandomStream"/>.
    /// </summary>
    public Func<int, IRandomStream> Streams { get; init; } = seed => new SystemRandomStream(seed);

    /// <summary>
    /// Train with <see cref="MlpKernel"/> (plain buffers, MKL GEMMs) where the fused CPU kernels can run
    /// (<see cref="Sbi.Nn.Fused.FusedAvailability"/>; <c>SBI_NET_FUSED=0</c> switches them off) and the data is on
    /// the CPU; else, or when false, with TorchSharp operations. Both compute the same steps.
    /// </summary>
    public bool UseKernel { get; init; } = true;

    /// <summary>Epochs run by the last <see cref="Fit"/>.</summary>
    public int NIter { get; private set; }
    /// <summary>Training loss of each epoch of the last <see cref="Fit"/>.</summary>
    public List<double> LossCurve { get; } = new();

    private Tensor? _flat;       // all parameters: [W_0 .. W_L, b_0 .. b_L]
    private Tensor[] _w = [];   // views into _flat
    private Tensor[] _b = [];

    /// <param name="hiddenLayerSizes">Widths of the hidden layers.</param>
    /// <param name="seed">Seed of the initialisation and the per-epoch shuffles (<c>random_state</c>).</param>
    public MlpClassifier(int[] hiddenLayerSizes, int seed)
    {
        _hidden = hiddenLayerSizes;
        _seed = seed;
    }

    /// <summary>Trains on <paramref name="x"/> (n, D) float32 and labels <paramref name="y"/> (n) in {0, 1}.</summary>
    public void Fit(Tensor x, Tensor y)
    {
        DisposeParameters();
        var rng = Streams(_seed);
        int n = (int)x.shape[0], d = (int)x.shape[1];
        var units = new int[_hidden.Length + 2];
        units[0] = d;
        _hidden.CopyTo(units, 1);
        units[^1] = 1;
        int layers = units.Length - 1;

        // Flat parameter layout and Glorot-uniform initialisation in scikit-learn's draw order.
        int nW = 0, nB = 0;
        for (int i = 0; i < layers; i++) { nW += units[i] * units[i + 1]; nB += units[i + 1]; }
        var init = new float[nW + nB];
        int wOff = 0, bOff = nW;
        for (int i = 0; i < layers; i++)
        {
            int fin = units[i], fout = units[i + 1];
            double bound = Math.Sqrt(6.0 / (fin + fout));
            for (int j = 0; j < fin * fout; j++) init[wOff + j] = (float)(-bound + 2 * bound * rng.NextDouble());
            for (int j = 0; j < fout; j++) init[bOff + j] = (float)(-bound + 2 * bound * rng.NextDouble());
            wOff += fin * fout; bOff += fout;
        }

        var device = x.device;
        if (UseKernel && device.type == DeviceType.CPU && MlpKernel.Reason is null)
        {
            // The same loop on plain buffers (MlpKernel): the TorchSharp one below spends most of its time per operation.
            float[] xs, ys;
            using (NewDisposeScope())
            {
                xs = x.to(ScalarType.Float32).contiguous().data<float>().ToArray();
                ys = y.to(ScalarType.Float32).contiguous().data<float>().ToArray();
            }
            var options = new MlpKernel.Options(Alpha, LearningRate, Beta1, Beta2, Epsilon, MaxIter, Tol, NIterNoChange, BatchSize);
            NIter = MlpKernel.Fit(xs, ys, n, units, init, options, rng, LossCurve);
            _flat = tensor(init, device: device);
            (_w, _b) = Views(_flat, units);
            return;
        }
        _flat = tensor(init, device: device);
        using var grad = zeros_like(_flat);
        using var m = zeros_like(_flat);
        using var v = zeros_like(_flat);
        (_w, _b) = Views(_flat, units);
        var (gw, gb) = Views(grad, units);
        using var wAll = _flat.narrow(0, 0, nW);
        using var gwAll = grad.narrow(0, 0, nW);

        int bs = Math.Min(BatchSize, n);
        using var ones = torch.ones(bs, dtype: ScalarType.Float32, device: device);
        using var yF = y.to(ScalarType.Float32);
        using var yCol = yF.reshape(n, 1);
        using var lossAcc = zeros(1, dtype: ScalarType.Float64, device: device);
        var idx = new long[n];
        for (int i = 0; i < n; i++) idx[i] = i;

        const float clipEps = 1.1920929e-7f;   // np.finfo(np.float32).eps = 2^-23
        float clipHi = 1f - clipEps;
        var hidden = new Tensor[layers];          // activations[0..L-1] of the current batch
        var delta = new Tensor[layers];

        LossCurve.Clear();
        // TorchSharp Scalars have finalizers and are not tracked by dispose scopes: one converted implicitly from a double
        // is unreachable once its handle is read, so a GC on another thread can free it during the native call (seen as
        // a sporadic "toFloat" check failure). The loop's scalars are therefore explicit and kept alive by `using`.
        using Scalar halfAlpha = 0.5 * Alpha, beta1 = Beta1, oneMinusBeta1 = 1 - Beta1, beta2 = Beta2, oneMinusBeta2 = 1 - Beta2,
                     epsilon = Epsilon, lo = clipEps, hi = clipHi;
        double best = double.PositiveInfinity;
        int noImprove = 0;
        long t = 0;
        NIter = 0;
        try
        {
            for (int epoch = 0; epoch < MaxIter; epoch++)
            {
                using var epochScope = NewDisposeScope();
                rng.Shuffle(idx);
                using var perm = tensor(idx, device: device);
                var xp = x.index_select(0, perm);
                var yp = yCol.index_select(0, perm);
                lossAcc.zero_();

                for (int start = 0; start < n; start += bs)
                {
                    using var stepScope = NewDisposeScope();
                    int nb = Math.Min(bs, n - start);
                    var xb = xp.narrow(0, start, nb);
                    var yb = yp.narrow(0, start, nb);

                    // Forward pass.
                    hidden[0] = xb;
                    Tensor z = xb;
                    for (int i = 0; i < layers; i++)
                    {
                        z = addmm(_b[i], hidden[i], _w[i], 1, 1);
                        if (i < layers - 1) { z.relu_(); hidden[i + 1] = z; }
                    }
                    var p = z.sigmoid();

                    // Batch loss · n_batch = Σ BCE(clipped p) + α/2 · Σ‖W‖² (before the update).
                    var q = p.clamp(lo, hi);
                    lossAcc.AddInPlace(nn.functional.binary_cross_entropy(q, yb, reduction: nn.Reduction.Sum));
                    lossAcc.add_(wAll.dot(wAll), alpha: halfAlpha);

                    // Backward pass with deltas pre-divided by n_batch.
                    var on = nb == bs ? ones : ones.narrow(0, 0, nb);
                    using Scalar invNb = 1.0 / nb, alphaOverNb = Alpha / nb;
                    delta[layers - 1] = p.sub_(yb).mul_(invNb);
                    for (int i = layers - 1; i >= 0; i--)
                    {
                        gw[i].addmm_(hidden[i].t(), delta[i], beta: 0, alpha: 1);
                        gb[i].addmv_(delta[i].t(), on, beta: 0, alpha: 1);
                        if (i > 0)
                        {
                            var dprev = delta[i].mm(_w[i].t());
                            dprev.mul_(hidden[i].sign());   // ReLU derivative: activations are >= 0, so sign() is the 0/1 mask
                            delta[i - 1] = dprev;
                        }
                    }
                    gwAll.add_(wAll, alpha: alphaOverNb);

                    // scikit-learn's Adam step.
                    t++;
                    double lrT = LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t));
                    using Scalar step = -lrT;
                    m.mul_(beta1).add_(grad, alpha: oneMinusBeta1);
                    v.mul_(beta2).addcmul_(grad, grad, value: oneMinusBeta2);
                    _flat.addcdiv_(m, v.sqrt().add_(epsilon, Scalars.One), value: step);
                }

                NIter++;
                double loss = lossAcc.item<double>() / n;
                LossCurve.Add(loss);
                if (loss > best - Tol) noImprove++; else noImprove = 0;
                if (loss < best) best = loss;
                if (noImprove > NIterNoChange) break;
            }
        }
        finally
        {
            foreach (var g in gw) g.Dispose();
            foreach (var g in gb) g.Dispose();
        }
    }

    /// <summary>Probability of class 1 for each row of <paramref name="x"/> (n, D); returns (n).</summary>
    public Tensor PredictProba(Tensor x)
    {
        if (_flat is null) throw new InvalidOperationException("The classifier has not been fitted.");
        using var scope = NewDisposeScope();
        Tensor a = x;
        for (int i = 0; i < _w.Length; i++)
        {
            a = addmm(_b[i], a, _w[i], 1, 1);
            if (i < _w.Length - 1) a.relu_();
        }
        return a.sigmoid_().reshape(-1).MoveToOuterDisposeScope();
    }

    /// <summary>Predicted labels (probability &gt; 0.5, as scikit-learn's LabelBinarizer), shape (n), bool.</summary>
    public Tensor Predict(Tensor x)
    {
        using var p = PredictProba(x);
        return p.gt(Scalars.Of(0.5));
    }

    private static (Tensor[] W, Tensor[] B) Views(Tensor flat, int[] units)
    {
        int layers = units.Length - 1;
        var w = new Tensor[layers];
        var b = new Tensor[layers];
        long off = 0;
        for (int i = 0; i < layers; i++)
        {
            using var part = flat.narrow(0, off, (long)units[i] * units[i + 1]);
            w[i] = part.view(units[i], units[i + 1]);
            off += (long)units[i] * units[i + 1];
        }
        for (int i = 0; i < layers; i++)
        {
            b[i] = flat.narrow(0, off, units[i + 1]);
            off += units[i + 1];
        }
        return (w, b);
    }

    private void DisposeParameters()
    {
        foreach (var t in _w) t.Dispose();
        foreach (var t in _b) t.Dispose();
        _flat?.Dispose();
        _w = []; _b = []; _flat = null;
    }

    /// <inheritdoc/>
    public void Dispose() => DisposeParameters();
}
