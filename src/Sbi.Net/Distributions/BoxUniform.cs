using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>
/// sbi's <c>BoxUniform</c>: independent uniforms on [low, high). As in sbi, <see cref="LogProb"/> treats the upper
/// edge as outside (half-open box, −inf there) while <see cref="WithinSupport"/> uses the closed box; so θ = high
/// is accepted by rejection sampling but has prior density 0 (NPE-B weight 0).
/// </summary>
public sealed class BoxUniform : IDistribution, IDisposable
{
    private readonly Tensor _logVolume;
    private readonly double _logVolume64;

    /// <summary>Creates the box from per-dimension bounds (any float dtype; stored as float32).</summary>
    public BoxUniform(Tensor low, Tensor high, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (low.dim() != 1) throw new ArgumentException($"low must be 1-D (D); got shape {Guard.Shape(low)}.", nameof(low));
        if (!low.shape.SequenceEqual(high.shape))
            throw new ArgumentException($"high must have the shape of low {Guard.Shape(low)}; got {Guard.Shape(high)}.", nameof(high));
        var dev = device ?? low.device;
        Low = low.to(ScalarType.Float32, dev).detach().clone().DetachFromDisposeScope();
        High = high.to(ScalarType.Float32, dev).detach().clone().DetachFromDisposeScope();
        using (NewDisposeScope())
        {
            if (!(High > Low).all().item<bool>())
                throw new ArgumentException($"high must exceed low in every dimension; low = [{string.Join(", ", Low.data<float>())}], high = [{string.Join(", ", High.data<float>())}].", nameof(high));
            _logVolume = (High - Low).log().sum().DetachFromDisposeScope();
            _logVolume64 = (High - Low).to(ScalarType.Float64).log().sum().item<double>();
        }
    }

    /// <summary>Creates the box from per-dimension bounds.</summary>
    public BoxUniform(float[] low, float[] high, Device? device = null)
        : this(tensor(low), tensor(high), device) { }

    /// <summary>Lower bounds, shape (D).</summary>
    public Tensor Low { get; }

    /// <summary>Upper bounds, shape (D).</summary>
    public Tensor High { get; }

    /// <inheritdoc/>
    public int Dim => (int)Low.shape[0];

    /// <inheritdoc/>
    public Device Device => Low.device;

    /// <inheritdoc/>
    public Tensor Mean => Low.Plus(High) / Scalars.Of(2);

    /// <inheritdoc/>
    public Tensor Stddev => (High - Low) / Scalars.Of(Math.Sqrt(12.0));

    /// <inheritdoc/>
    public Tensor Sample(long n)
    {
        Guard.Positive(n, nameof(n));
        using var scope = NewDisposeScope();
        var u = rand(new long[] { n, Dim }, dtype: ScalarType.Float32, device: Device);
        return Low.Plus(u * (High - Low)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor LogProb(Tensor theta)
    {
        CheckTheta(theta);
        using var scope = NewDisposeScope();
        var inside = (theta >= Low).logical_and(theta < High).all(-1);
        // float32 θ: sbi's float32 sum of log-widths; float64 θ (reference evaluations): the same sum in float64.
        var lp = theta.dtype == ScalarType.Float64
            ? where(inside, tensor(-_logVolume64, ScalarType.Float64, theta.device), tensor(double.NegativeInfinity, ScalarType.Float64, theta.device))
            : where(inside, -_logVolume, tensor(float.NegativeInfinity, device: theta.device));
        return lp.MoveToOuterDisposeScope();
    }

    /// <summary>The logit of the box-normalised θ (torch's <c>biject_to(interval)</c> inverse, as sbi's <c>mcmc_transform</c>).</summary>
    public IBijector ThetaTransform => new SigmoidBoxBijector(Low, High);

    /// <inheritdoc/>
    public Tensor WithinSupport(Tensor theta)
    {
        CheckTheta(theta);
        using var scope = NewDisposeScope();
        return (theta >= Low).logical_and(theta <= High).all(-1).MoveToOuterDisposeScope();
    }

    private void CheckTheta(Tensor theta)
    {
        ArgumentNullException.ThrowIfNull(theta);
        if (theta.dim() == 0 || theta.shape[^1] != Dim)
            throw new ArgumentException($"theta must have D = {Dim} entries in its last dimension; got shape {Guard.Shape(theta)}.", nameof(theta));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Low.Dispose();
        High.Dispose();
        _logVolume.Dispose();
    }
}
