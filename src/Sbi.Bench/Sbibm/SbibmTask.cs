using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Bench.Sbibm;

/// <summary>
/// One task of the simulation-based inference benchmark sbibm (Lueckmann et al., AISTATS 2021; sbi-benchmark/sbibm,
/// <c>sbibm/tasks/&lt;name&gt;/task.py</c>): a prior over θ, a simulator x ~ p(x | θ), and (in the shared
/// <c>&lt;name&gt;.npz</c>, see <see cref="SbibmReference"/>) ten observations with 10,000 reference posterior samples
/// each. Dispose the task to free its prior's tensors.
/// </summary>
public abstract class SbibmTask : IDisposable
{
    /// <summary>The task with its prior.</summary>
    protected SbibmTask(IDistribution prior) => Prior = prior;

    /// <summary>sbibm's name (the folder of its task.py and the .npz file's stem).</summary>
    public abstract string Name { get; }

    /// <summary>The number of parameters (sbibm's <c>dim_parameters</c>).</summary>
    public abstract int DimParameters { get; }

    /// <summary>The number of data values per simulation (sbibm's <c>dim_data</c>).</summary>
    public abstract int DimData { get; }

    /// <summary>sbibm's prior, as a library distribution (what NPE trains against and rejects outside of).</summary>
    public IDistribution Prior { get; }

    /// <summary>
    /// Simulates one x per row of <paramref name="theta"/> (n, <see cref="DimParameters"/>), float32; returns (n,
    /// <see cref="DimData"/>) float32. The noise is drawn from <paramref name="generator"/>, or from torch's global
    /// generator when null (so <c>manual_seed</c> makes a run reproducible).
    /// </summary>
    public Tensor Simulate(Tensor theta, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(theta);
        if (theta.dim() != 2 || theta.shape[1] != DimParameters)
            throw new ArgumentException($"theta must have shape (n, {DimParameters}) for {Name}; got [{string.Join(", ", theta.shape)}].", nameof(theta));
        if (theta.shape[0] == 0)
            throw new ArgumentException($"theta must have at least one row; got shape [{string.Join(", ", theta.shape)}].", nameof(theta));
        using var scope = NewDisposeScope();
        return SimulateCore(theta.detach().to(ScalarType.Float32), generator).MoveToOuterDisposeScope();
    }

    /// <summary>The simulator on checked float32 θ (n, D); called inside a dispose scope.</summary>
    protected abstract Tensor SimulateCore(Tensor theta, Generator? generator);

    /// <inheritdoc/>
    public void Dispose()
    {
        (Prior as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
    }
}
