using Sbi.Distributions;
using Sbi.Nn.Fused;
using Sbi.Samplers;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Potentials;

/// <summary>
/// A <see cref="BasePotential"/> in a <see cref="IBijector"/>'s unconstrained space as an <see cref="IMcmcTarget"/>:
/// sbi's <c>transformed_potential</c> (sbi/utils/potentialutils.py). For rows z the target is
/// log p̃(T⁻¹(z)) + log|det ∂T⁻¹/∂z| = potential(θ) − LogAbsDetJacobian(θ, z) with θ = T⁻¹(z), computed as sbi does:
/// z rounded to float32 on the potential's device, θ, the potential and the Jacobian term in float32, the difference
/// returned as float64. NaN becomes −∞ (sbi's numpy comparisons treat NaN as outside every slice; here the interface
/// promises −∞), so rows outside the support, where the potential is −∞, stay −∞.
/// </summary>
/// <remarks>
/// <para>Safe for concurrent calls: nothing is cached between calls, each call runs in its own dispose scope with its
/// own gradient mode (TorchSharp's scopes and libtorch's grad mode are per thread), and the potential is only read.
/// The potential must not be given another x while chains run.</para>
/// <para>Where the potential is a <see cref="PosteriorBasedPotential"/> over sbi's MAF on the CPU at one observation
/// (and the fused CPU kernels can run: AVX2/FMA, MKL, <c>SBI_NET_FUSED</c> not 0), <see cref="LogDensity"/> computes
/// log q(θ | x_o) with a fused kernel bound to the estimator's weights and x_o at construction (one pass of small GEMMs
/// instead of ~100 libtorch ops a call: MCMC makes hundreds of thousands of such calls on ~20 rows); the transform,
/// the support check and the Jacobian term stay libtorch ops. Same maths, other float32 rounding (at the 1e-7 level);
/// <see cref="UsesFusedDensity"/> says which path runs. With it <see cref="LogDensityAndGradient"/> takes log q's gradient
/// from the kernel's hand-written backward pass too (HMC and NUTS call it once per leapfrog step; autograd through the
/// modules costs ~2 ms a call there), and only the transform's part from autograd.</para>
/// </remarks>
public sealed class TransformedPotentialTarget : IMcmcTarget
{
    private readonly BasePotential _potential;
    private readonly IBijector _transform;
    private readonly Device _device;

    /// <summary>The target of <paramref name="potential"/> in the space of <paramref name="transform"/>, evaluated on <paramref name="device"/> (default: the estimator's for a <see cref="PosteriorBasedPotential"/>, else the prior's, else the CPU).</summary>
    public TransformedPotentialTarget(BasePotential potential, IBijector transform, int dim, Device? device = null)
        : this(potential, transform, dim, device, allowFused: true) { }

    /// <summary>As the public constructor; <paramref name="allowFused"/> false keeps the module path (for tests comparing the two).</summary>
    internal TransformedPotentialTarget(BasePotential potential, IBijector transform, int dim, Device? device, bool allowFused)
    {
        ArgumentNullException.ThrowIfNull(potential);
        ArgumentNullException.ThrowIfNull(transform);
        Guard.Positive(dim, nameof(dim));
        _potential = potential;
        _transform = transform;
        Dim = dim;
        _device = device ?? DeviceOf(potential);
        if (allowFused && _device.type == DeviceType.CPU && potential is PosteriorBasedPotential { XO: { } xo } p && xo.shape[0] == 1 && p.PosteriorEstimator.InputDim == dim)
        {
            _fused = MafDensity.TryCreate(p.PosteriorEstimator, xo, out _);
            _prior = p.Prior;
        }
    }

    private readonly MafDensity? _fused;
    private readonly IDistribution? _prior;

    /// <summary>Whether <see cref="LogDensity"/> evaluates the estimator with the fused MAF kernel (see remarks).</summary>
    public bool UsesFusedDensity => _fused is not null;

    /// <summary>Where a potential's θ rows go: the estimator's device, else the prior's, else the CPU.</summary>
    public static Device DeviceOf(BasePotential potential) => potential switch
    {
        PosteriorBasedPotential p => p.PosteriorEstimator.Device,
        { Prior: { } prior } => prior.Device,
        _ => CPU,
    };

    /// <inheritdoc/>
    public int Dim { get; }

    /// <inheritdoc/>
    public void LogDensity(ReadOnlySpan<double> z, int rows, Span<double> logDensity)
    {
        Check(z, rows, logDensity.Length, nameof(logDensity));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var zt = Rows(z, rows);
        if (_fused is not null)
        {
            FusedLogDensity(zt, rows, logDensity);
            return;
        }
        var value = Evaluate(zt, trackGradients: false);
        CopyOut(value, rows, logDensity);
    }

    /// <summary>
    /// The potential itself at θ rows (n, D), without gradient (what the init strategies weigh their candidates with):
    /// <see cref="BasePotential.Evaluate"/>, which for sbi's MAF on the CPU takes the same fused density; (n).
    /// </summary>
    public Tensor Potential(Tensor theta)
    {
        ArgumentNullException.ThrowIfNull(theta);
        return _potential.Evaluate(theta, trackGradients: false);
    }

    /// <summary>PosteriorBasedPotential.Evaluate's support check and log q from the fused kernel, minus the Jacobian term.</summary>
    private void FusedLogDensity(Tensor z, int rows, Span<double> logDensity)
    {
        var theta = _transform.Inverse(z).to(ScalarType.Float32).contiguous();
        using var inside = Support.Within(_prior!, theta).cpu().contiguous();
        using var logAbsDet = _transform.LogAbsDetJacobian(theta, z).to(ScalarType.Float32).contiguous();
        Span<float> lq = rows <= 256 ? stackalloc float[rows] : new float[rows];
        _fused!.LogProb(theta.data<float>().ToArray(), rows, lq);
        var within = inside.data<bool>();
        var jacobian = logAbsDet.data<float>();
        for (int i = 0; i < rows; i++)
        {
            // float32 as sbi's transformed_potential: potential − log|det|, then widened.
            float v = within[i] ? lq[i] - jacobian[i] : float.NegativeInfinity;
            logDensity[i] = float.IsNaN(v) ? double.NegativeInfinity : v;
        }
    }

    /// <inheritdoc/>
    public void LogDensityAndGradient(ReadOnlySpan<double> z, int rows, Span<double> logDensity, Span<double> gradient)
    {
        Check(z, rows, logDensity.Length, nameof(logDensity));
        if (gradient.Length < (long)rows * Dim)
            throw new ArgumentException($"gradient must hold rows × D = {(long)rows * Dim} values; got {gradient.Length}.", nameof(gradient));
        using var scope = NewDisposeScope();
        using var _ = enable_grad();
        var zt = Rows(z, rows).requires_grad_(true);
        if (_fused is not null)
        {
            FusedLogDensityAndGradient(zt, rows, logDensity, gradient);
            return;
        }
        var value = Evaluate(zt, trackGradients: true);
        // Rows are independent, so the gradient of the sum is each row's gradient; −∞ rows contribute nothing (their
        // gradient, NaN or not, is set to 0 below as the interface promises).
        var finite = value.isfinite();
        var sum = where(finite, value, zeros_like(value)).sum();
        var g = sum.requires_grad
            ? autograd.grad(new[] { sum }, new[] { zt }, allow_unused: true)[0] ?? zeros_like(zt)
            : zeros_like(zt);
        g = where(finite.unsqueeze(1), g, zeros_like(g)).detach();
        CopyOut(value.detach(), rows, logDensity);
        using var g64 = g.to(ScalarType.Float64).cpu().contiguous();
        g64.data<double>().CopyTo(gradient[..(rows * Dim)]);
    }

    /// <summary>
    /// The value and gradient with the fused density: log q(θ) and ∂ log q/∂θ from <see cref="MafDensity.LogProbAndGradient"/>
    /// (no autograd through the network), and ∂/∂z by autograd through the transform alone: the gradient of
    /// ⟨θ(z), ∂ log q/∂θ⟩ − log|det| with ∂ log q/∂θ held constant, which is the chain rule for potential(T⁻¹(z)) − log|det|.
    /// Rows outside the support are −∞ with gradient 0, as on the module path.
    /// </summary>
    private void FusedLogDensityAndGradient(Tensor zt, int rows, Span<double> logDensity, Span<double> gradient)
    {
        var theta = _transform.Inverse(zt);
        var logAbsDet = _transform.LogAbsDetJacobian(theta, zt).to(ScalarType.Float32);
        Tensor inside, thetaValues;
        using (no_grad())
        {
            thetaValues = theta.detach().to(ScalarType.Float32).cpu().contiguous();
            inside = Support.Within(_prior!, thetaValues).cpu().contiguous();
        }
        var lq = new float[rows];
        var dq = new float[rows * Dim];
        _fused!.LogProbAndGradient(thetaValues.data<float>().ToArray(), rows, lq, dq);
        var surrogate = theta.to(ScalarType.Float32).mul(tensor(dq, new long[] { rows, Dim }).to(theta.device)).sum().sub(logAbsDet.sum());
        var gz = autograd.grad(new[] { surrogate }, new[] { zt }, allow_unused: true)[0];
        using var g32 = (gz ?? zeros_like(zt)).detach().to(ScalarType.Float32).cpu().contiguous();
        var within = inside.data<bool>();
        var jac = logAbsDet.detach().cpu().contiguous().data<float>();
        var gv = g32.data<float>();
        for (int i = 0; i < rows; i++)
        {
            float v = within[i] ? lq[i] - jac[i] : float.NegativeInfinity;
            bool finite = float.IsFinite(v);
            logDensity[i] = float.IsNaN(v) ? double.NegativeInfinity : v;
            for (int j = 0; j < Dim; j++)
            {
                float gij = gv[i * Dim + j];
                gradient[i * Dim + j] = finite && float.IsFinite(gij) ? gij : 0.0;
            }
        }
    }

    /// <summary>potential(T⁻¹(z)) − LogAbsDetJacobian(T⁻¹(z), z) for float32 rows z (n, D): (n), float32.</summary>
    private Tensor Evaluate(Tensor z, bool trackGradients)
    {
        var theta = _transform.Inverse(z);
        var potential = _potential.Evaluate(theta, trackGradients).to(ScalarType.Float32, _device);
        var logAbsDet = _transform.LogAbsDetJacobian(theta, z).to(ScalarType.Float32, _device);
        return potential - logAbsDet;
    }

    private Tensor Rows(ReadOnlySpan<double> z, int rows)
    {
        var values = new float[rows * Dim];
        for (int i = 0; i < values.Length; i++) values[i] = (float)z[i];
        var t = tensor(values, new long[] { rows, Dim });
        return _device.type == DeviceType.CPU ? t : t.to(_device);
    }

    private static void CopyOut(Tensor value, int rows, Span<double> logDensity)
    {
        using var cpu = value.to(ScalarType.Float32).cpu().contiguous();
        var acc = cpu.data<float>();
        for (int i = 0; i < rows; i++)
        {
            double v = acc[i];
            logDensity[i] = double.IsNaN(v) ? double.NegativeInfinity : v;
        }
    }

    private void Check(ReadOnlySpan<double> z, int rows, int outLength, string outName)
    {
        if (rows < 1) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows must be positive; got {rows}.");
        if (z.Length < (long)rows * Dim) throw new ArgumentException($"z must hold rows × D = {(long)rows * Dim} values; got {z.Length}.", nameof(z));
        if (outLength < rows) throw new ArgumentException($"{outName} must hold {rows} values; got {outLength}.", outName);
    }
}
