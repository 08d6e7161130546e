using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>Multivariate normal N(loc, covariance) over D parameters (torch's parameterisation).</summary>
public sealed class MultivariateNormal : IDistribution, IDisposable
{
    private readonly Tensor _scaleTril;
    private readonly Tensor _halfLogDet;
    // The same factor in float64 (from the float32 covariance values), for float64 reference evaluations.
    private readonly Tensor _scaleTril64;
    private readonly double _halfLogDet64;

    /// <summary>Creates N(<paramref name="loc"/>, <paramref name="covariance"/>); covariance must be symmetric positive definite.</summary>
    public MultivariateNormal(Tensor loc, Tensor covariance, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(loc);
        ArgumentNullException.ThrowIfNull(covariance);
        if (loc.dim() != 1) throw new ArgumentException($"loc must be 1-D (D); got shape {Guard.Shape(loc)}.", nameof(loc));
        long d = loc.shape[0];
        if (covariance.dim() != 2 || covariance.shape[0] != d || covariance.shape[1] != d)
            throw new ArgumentException($"covariance must have shape ({d}, {d}); got {Guard.Shape(covariance)}.", nameof(covariance));
        var dev = device ?? loc.device;
        Loc = loc.to(ScalarType.Float32, dev).detach().clone().DetachFromDisposeScope();
        Covariance = covariance.to(ScalarType.Float32, dev).detach().clone().DetachFromDisposeScope();
        using (NewDisposeScope())
        {
            Tensor l;
            try { l = linalg.cholesky(Covariance); }
            catch (Exception e)
            {
                throw new ArgumentException("covariance must be symmetric positive definite (Cholesky failed).", nameof(covariance), e);
            }
            _scaleTril = l.DetachFromDisposeScope();
            _halfLogDet = l.diagonal().log().sum().DetachFromDisposeScope();
            var l64 = linalg.cholesky(Covariance.to(ScalarType.Float64));
            _scaleTril64 = l64.DetachFromDisposeScope();
            _halfLogDet64 = l64.diagonal().log().sum().item<double>();
        }
    }

    /// <summary>Standard normal N(0, I) in <paramref name="dim"/> dimensions.</summary>
    public static MultivariateNormal Standard(int dim, Device? device = null)
    {
        Guard.Positive(dim, nameof(dim));
        using var z = zeros(dim);
        using var i = eye(dim);
        return new MultivariateNormal(z, i, device);
    }

    /// <summary>Mean vector, shape (D).</summary>
    public Tensor Loc { get; }

    /// <summary>Covariance matrix, shape (D, D).</summary>
    public Tensor Covariance { get; }

    /// <inheritdoc/>
    public int Dim => (int)Loc.shape[0];

    /// <inheritdoc/>
    public Device Device => Loc.device;

    /// <inheritdoc/>
    public Tensor Mean => Loc.clone();

    /// <inheritdoc/>
    public Tensor Stddev => Covariance.diagonal().sqrt();

    /// <inheritdoc/>
    public Tensor Sample(long n)
    {
        Guard.Positive(n, nameof(n));
        using var scope = NewDisposeScope();
        var eps = randn(new long[] { n, Dim }, dtype: ScalarType.Float32, device: Device);
        return Loc.Plus(eps.matmul(_scaleTril.T)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor LogProb(Tensor theta)
    {
        ArgumentNullException.ThrowIfNull(theta);
        if (theta.dim() == 0 || theta.shape[^1] != Dim)
            throw new ArgumentException($"theta must have D = {Dim} entries in its last dimension; got shape {Guard.Shape(theta)}.", nameof(theta));
        using var scope = NewDisposeScope();
        // float64 θ (reference evaluations) uses the float64 factor; float32 θ the float32 one, as torch does.
        bool f64 = theta.dtype == ScalarType.Float64;
        var diff = (theta - (f64 ? Loc.to(ScalarType.Float64) : Loc)).unsqueeze(-1);
        var l = (f64 ? _scaleTril64 : _scaleTril).expand(diff.shape[..^2].Concat(new long[] { Dim, Dim }).ToArray());
        var m = linalg.solve_triangular(l, diff, upper: false).squeeze(-1);
        var quad = Scalars.Of(-0.5) * m.pow(Scalars.Of(2)).sum(-1);
        using Scalar halfLogDet64 = _halfLogDet64, logNormalizer = 0.5 * Dim * Math.Log(2 * Math.PI);
        var lp = (f64 ? quad.sub(halfLogDet64) : quad - _halfLogDet).sub(logNormalizer);
        return lp.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor WithinSupport(Tensor theta)
    {
        using var scope = NewDisposeScope();
        return theta.isfinite().all(-1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Loc.Dispose();
        Covariance.Dispose();
        _scaleTril.Dispose();
        _halfLogDet.Dispose();
        _scaleTril64.Dispose();
    }
}
