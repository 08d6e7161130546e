using Sbi.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Optim;

/// <summary>
/// Adam with total-norm gradient clipping over one contiguous buffer. Every trainable parameter is rebound
/// (<c>set_</c>) to a view of a flat parameter tensor and its gradient to a view of a flat gradient tensor, so
/// zeroing, clipping and the Adam update are a dozen native calls per step instead of a dozen per parameter —
/// small flows are dominated by per-call overhead. The elementwise arithmetic is PyTorch's Adam (1.13,
/// single-tensor path: same β1, β2, ε, bias corrections and update order) and <c>clip_grad_norm_</c>
/// (factor min(1, max_norm/(‖g‖ + 1e-6)) applied unconditionally, as PyTorch does).
/// The rebinding survives in-place weight loads (copy_) but not <c>Module.to(device)</c>: build it after moving.
/// </summary>
public sealed class FlatAdam : IDisposable
{
    private readonly List<Parameter> _params;
    private readonly Tensor _flat, _grad, _expAvg, _expAvgSq;
    private readonly double _beta1, _beta2, _eps;
    private double _lr;
    private long _step;
    private Tensor? _gradMask;
    private bool _masked;

    /// <summary>Rebinds the given parameters to flat storage and creates fresh Adam moments.</summary>
    public FlatAdam(IEnumerable<Parameter> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _params = parameters.ToList();
        if (_params.Count == 0) throw new ArgumentException("FlatAdam needs at least one parameter.", nameof(parameters));
        _lr = lr; _beta1 = beta1; _beta2 = beta2; _eps = eps;
        var device = _params[0].device;
        long total = _params.Sum(p => p.numel());
        _flat = zeros(total, dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();
        _grad = zeros(total, dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();
        _expAvg = zeros(total, dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();
        _expAvgSq = zeros(total, dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long offset = 0;
        foreach (var p in _params)
        {
            if (p.dtype != ScalarType.Float32 || p.device_type != device.type || p.device_index != device.index)
                throw new ArgumentException($"FlatAdam needs float32 parameters on one device; got {p.dtype} on {p.device}.", nameof(parameters));
            long n = p.numel();
            var pView = _flat.narrow(0, offset, n).view(p.shape);
            pView.copy_(p);
            p.set_(pView);
            p.grad = _grad.narrow(0, offset, n).view(p.shape).DetachFromDisposeScope();
            offset += n;
        }
    }

    /// <summary>
    /// The learning rate of the next <see cref="Step"/> (PyTorch's <c>param_groups[0]["lr"]</c>): a scheduler such as
    /// ExponentialLR sets it between steps; the Adam moments are unaffected.
    /// </summary>
    public double LearningRate
    {
        get => _lr;
        set => _lr = value > 0 && double.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(LearningRate), value, $"{nameof(LearningRate)} must be positive and finite; got {value}.");
    }

    /// <summary>Number of scalar parameters.</summary>
    public long Count => _flat.numel();

    /// <summary>All parameters as one flat tensor (a view of their storage).</summary>
    public Tensor Parameters => _flat;

    /// <summary>All gradients as one flat tensor.</summary>
    public Tensor Gradients => _grad;

    /// <summary>Zeroes every gradient in place (the gradient views stay bound).</summary>
    public void ZeroGrad()
    {
        _grad.zero_();
        _masked = false;
    }

    /// <summary>
    /// Multiplies the gradients of the given parameters by fixed 0/1 masks before every clip and step (one op for all
    /// of them). Used with pre-masked MADE weights, whose masked entries must stay exactly zero.
    /// </summary>
    public void SetGradientMask(IEnumerable<(Parameter Parameter, Tensor Mask)> masks)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _gradMask?.Dispose();
        var flatMask = ones_like(_grad);
        long offset = 0;
        var given = masks.ToDictionary(m => m.Parameter.Handle, m => m.Mask);
        foreach (var p in _params)
        {
            long n = p.numel();
            if (given.TryGetValue(p.Handle, out var m)) flatMask.narrow(0, offset, n).copy_(m.reshape(-1));
            offset += n;
        }
        _gradMask = flatMask.DetachFromDisposeScope();
    }

    private void ApplyGradientMask()
    {
        if (_gradMask is null || _masked) return;
        _grad.mul_(_gradMask);
        _masked = true;
    }

    /// <summary>Scales the gradients to total 2-norm ≤ maxNorm and returns the norm before clipping (a 0-dim tensor, no sync).</summary>
    public Tensor ClipGradNorm(double maxNorm)
    {
        using var scope = NewDisposeScope();
        ApplyGradientMask();
        var norm = _grad.norm();
        using Scalar max = maxNorm;
        var coef = (max / norm.Plus(Scalars.Of(1e-6))).clamp_max(Scalars.Of(1.0));
        _grad.mul_(coef);
        return norm.MoveToOuterDisposeScope();
    }

    /// <summary>One Adam update.</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        ApplyGradientMask();
        _step++;
        double bc1 = 1 - Math.Pow(_beta1, _step);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(_beta2, _step));
        // Explicit Scalars kept alive by `using`: TorchSharp's implicit ones can be finalized during the native call.
        using Scalar beta1 = _beta1, oneMinusBeta1 = 1 - _beta1, beta2 = _beta2, oneMinusBeta2 = 1 - _beta2,
                     bc2 = bc2Sqrt, eps = _eps, step = -_lr / bc1;
        _expAvg.mul_(beta1).add_(_grad, alpha: oneMinusBeta1);
        _expAvgSq.mul_(beta2).addcmul_(_grad, _grad, value: oneMinusBeta2);
        var denom = (_expAvgSq.sqrt() / bc2).add_(eps, Scalars.One);
        _flat.addcdiv_(_expAvg, denom, value: step);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // The parameters keep referencing the flat storage (libtorch refcounts it); only our handles go.
        _expAvg.Dispose();
        _expAvgSq.Dispose();
        _gradMask?.Dispose();
    }
}
