using Sbi.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// sbi's <c>MultivariateGaussianMDN</c>: a two-layer ReLU net on the context followed by four heads giving a mixture of
/// K full-covariance Gaussians over D features. Component k has mean μ_k and an upper-triangular precision factor A_k
/// (diagonal softplus(·), strictly-upper entries row-major); the density uses the precision A_kᵀA_k + ε·I in the quadratic
/// form but Σ log diag(A_k) as the log-determinant (sbi's arithmetic), and sampling uses A_k alone (μ_k + A_k⁻¹ε).
/// Keys: <c>_hidden_net.{0,2}</c>, <c>_logits_layer</c>, <c>_means_layer</c>, <c>_unconstrained_diagonal_layer</c>,
/// <c>_upper_layer</c> (absent when D = 1).
/// </summary>
public sealed class MultivariateGaussianMdn : nn.Module
{
    private readonly Sequential _hidden_net;
    private readonly Linear _logits_layer;
    private readonly Linear _means_layer;
    private readonly Linear _unconstrained_diagonal_layer;
    private readonly Linear? _upper_layer;
    // Constant 0/1 matrices for D > 1 (see ModuleConstants): "assemble" maps [diag (D), upper (D(D−1)/2)] to the
    // row-major D×D factor; "columns" picks, for every strictly-upper entry (i, j), component j of a vector, and "rows"
    // sums the entries of each row i. Matrix products instead of index_select over a short last dimension, which
    // libtorch runs slowly.
    private readonly ModuleConstants _constants = new();
    private readonly double _logNorm;

    /// <summary>Creates the network; <paramref name="customInitialization"/> is sbi's (always on in its builder).</summary>
    public MultivariateGaussianMdn(int features, int contextFeatures, int hiddenFeatures, int numComponents,
                                   double epsilon = EstimatorConstants.MdnEpsilon, bool customInitialization = true)
        : base(nameof(MultivariateGaussianMdn))
    {
        if (features < 1) throw new ArgumentException($"features must be >= 1, got {features}.", nameof(features));
        if (contextFeatures < 1) throw new ArgumentException($"context features must be >= 1, got {contextFeatures}.", nameof(contextFeatures));
        if (hiddenFeatures < 1) throw new ArgumentException($"hidden features must be >= 1, got {hiddenFeatures}.", nameof(hiddenFeatures));
        if (numComponents < 1) throw new ArgumentException($"number of components must be >= 1, got {numComponents}.", nameof(numComponents));
        if (epsilon <= 0) throw new ArgumentException($"epsilon must be > 0, got {epsilon}.", nameof(epsilon));
        Features = features;
        NumComponents = numComponents;
        Epsilon = epsilon;
        int numUpper = features * (features - 1) / 2;
        _logNorm = -0.5 * features * Math.Log(2 * Math.PI);

        _hidden_net = nn.Sequential(
            ("0", nn.Linear(contextFeatures, hiddenFeatures)), ("1", nn.ReLU()),
            ("2", nn.Linear(hiddenFeatures, hiddenFeatures)), ("3", nn.ReLU()));
        register_module("_hidden_net", _hidden_net);
        _logits_layer = nn.Linear(hiddenFeatures, numComponents);
        register_module("_logits_layer", _logits_layer);
        _means_layer = nn.Linear(hiddenFeatures, numComponents * features);
        register_module("_means_layer", _means_layer);
        _unconstrained_diagonal_layer = nn.Linear(hiddenFeatures, numComponents * features);
        register_module("_unconstrained_diagonal_layer", _unconstrained_diagonal_layer);
        if (numUpper > 0)
        {
            _upper_layer = nn.Linear(hiddenFeatures, numComponents * numUpper);
            register_module("_upper_layer", _upper_layer);
        }

        if (numUpper > 0)
        {
            var assemble = new float[(features + numUpper) * features * features];
            var columns = new float[features * numUpper];
            var rows = new float[numUpper * features];
            for (int r = 0; r < features; r++) assemble[r * features * features + r * features + r] = 1;
            int u = 0;
            for (int r = 0; r < features; r++)
                for (int c = r + 1; c < features; c++, u++)
                {
                    assemble[(features + u) * features * features + r * features + c] = 1;
                    columns[c * numUpper + u] = 1;
                    rows[u * features + r] = 1;
                }
            _constants.Add("assemble", tensor(assemble, new long[] { features + numUpper, features * features }));
            _constants.Add("columns", tensor(columns, new long[] { features, numUpper }));
            _constants.Add("rows", tensor(rows, new long[] { numUpper, features }));
        }

        if (customInitialization) Initialize();
    }

    /// <inheritdoc/>
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        _constants.To(dtype, device);
    }

    /// <summary>The two hidden layers and the four heads (upper null when D = 1), for the fused CPU kernel.</summary>
    internal (Linear Hidden0, Linear Hidden1, Linear Logits, Linear Means, Linear Diagonal, Linear? Upper) Layers
        => ((Linear)_hidden_net.children().ElementAt(0), (Linear)_hidden_net.children().ElementAt(2),
            _logits_layer, _means_layer, _unconstrained_diagonal_layer, _upper_layer);

    /// <summary>Dimension D of the modelled variable.</summary>
    public int Features { get; }

    /// <summary>Number of mixture components K.</summary>
    public int NumComponents { get; }

    /// <summary>ε added to the precision's diagonal in the density (sbi: 1e-4).</summary>
    public double Epsilon { get; }

    // sbi's _initialize: near-uniform mixture weights and near-identity precision factors.
    private void Initialize()
    {
        using var _ = no_grad();
        nn.init.normal_(_logits_layer.weight!, 0.0, Epsilon);
        nn.init.normal_(_logits_layer.bias!, 0.0, Epsilon);
        nn.init.normal_(_unconstrained_diagonal_layer.weight!, 0.0, Epsilon);
        using (var one = tensor((float)(1.0 - Epsilon)))
        using (var sp = one.exp().sub_(Scalars.Of(1)).log_())
        using (Scalar value = sp.item<float>())
            nn.init.constant_(_unconstrained_diagonal_layer.bias!, value);
        if (_upper_layer is not null)
        {
            nn.init.normal_(_upper_layer.weight!, 0.0, Epsilon);
            nn.init.zeros_(_upper_layer.bias!);
        }
    }

    /// <summary>
    /// The mixture for each context row (B, C): logits (B, K), means (B, K, D) and upper-triangular precision factors
    /// A (B, K, D, D). Raises when any of them is not finite, as sbi's mixture object does.
    /// </summary>
    public (Tensor Logits, Tensor Means, Tensor PrecisionFactors) Components(Tensor context)
    {
        var (logits, means, diag, upper) = Heads(context);
        CheckFinite(logits, means, diag, upper);
        long b = context.shape[0];
        int d = Features, k = NumComponents;
        var factors = upper is null
            ? diag.unsqueeze(-1)
            : cat(new[] { diag, upper }, -1).matmul(_constants["assemble"]).view(b, k, d, d);
        return (logits, means, factors);
    }

    // logits (B, K), means (B, K, D), diagonal of A (B, K, D), strictly-upper entries of A (B, K, D(D−1)/2) or null.
    private (Tensor Logits, Tensor Means, Tensor Diagonal, Tensor? Upper) Heads(Tensor context)
    {
        long b = context.shape[0];
        int d = Features, k = NumComponents;
        var h = _hidden_net.forward(context);
        var logits = _logits_layer.forward(h);
        var means = _means_layer.forward(h).view(b, k, d);
        var diag = Scalars.Softplus(_unconstrained_diagonal_layer.forward(h).view(b, k, d));
        var upper = _upper_layer?.forward(h).view(b, k, -1);
        return (logits, means, diag, upper);
    }

    private static void CheckFinite(Tensor logits, Tensor means, Tensor diag, Tensor? upper)
    {
        // One reduction for the common case; a non-finite sum means some entry is non-finite (or the sum overflowed).
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var total = logits.sum().Plus(means.sum()).Plus(diag.sum());
        if (upper is not null) total = total.Plus(upper.sum());
        if (total.isfinite().item<bool>()) return;
        if (!logits.isfinite().all().item<bool>()) throw new InvalidOperationException("MDN logits contain NaN or Inf values.");
        if (!means.isfinite().all().item<bool>()) throw new InvalidOperationException("MDN means contain NaN or Inf values.");
        if (!diag.isfinite().all().item<bool>() || (upper is not null && !upper.isfinite().all().item<bool>()))
            throw new InvalidOperationException("MDN precisions contain NaN or Inf values.");
    }

    /// <summary>log q(z_i | context_i) for paired rows z (N, D) and context (N, C); returns (N).</summary>
    public Tensor LogProb(Tensor inputs, Tensor context)
    {
        var (logits, means, diag, upper) = Heads(context);
        CheckFinite(logits, means, diag, upper);
        var diff = inputs.unsqueeze(1) - means;                                   // (N, K, D)
        // (z−μ)ᵀ(AᵀA + εI)(z−μ) = ‖A(z−μ)‖² + ε‖z−μ‖², with (A v)_i = A_ii v_i + Σ_{j>i} A_ij v_j.
        var aDiff = diag * diff;
        if (upper is not null) aDiff = aDiff.Plus((upper * diff.matmul(_constants["columns"])).matmul(_constants["rows"]));
        var quadratic = aDiff.Squared().sum(-1).Plus(Scalars.Of(Epsilon) * diff.Squared().sum(-1));
        var logComponent = (diag.log().sum(-1) - Scalars.Of(0.5) * quadratic).Plus(Scalars.Of(_logNorm));      // (N, K)
        return nn.functional.log_softmax(logits, -1).Plus(logComponent).logsumexp(-1);
    }

    /// <summary>
    /// S samples per context row (B, C) as sbi draws them: components by <c>multinomial</c> on softmax(logits), then
    /// μ_k + A_k⁻¹ε with a triangular solve (without ε·I). Returns (S, B, D).
    /// </summary>
    public Tensor Sample(long numSamples, Tensor context)
    {
        var (logits, means, factors) = Components(context);
        long b = context.shape[0];
        int d = Features;
        var choices = softmax(logits, -1).multinomial(numSamples, replacement: true);          // (B, S)
        var chosenMeans = means.gather(1, choices.unsqueeze(-1).expand(b, numSamples, d));
        var chosenFactors = factors.gather(1, choices.view(b, numSamples, 1, 1).expand(b, numSamples, d, d));
        var noise = randn(new[] { b, numSamples, d, 1L }, dtype: means.dtype, device: means.device);
        var offsets = linalg.solve_triangular(chosenFactors, noise, upper: true).squeeze(-1);
        return chosenMeans.Plus(offsets).transpose(0, 1);
    }
}
