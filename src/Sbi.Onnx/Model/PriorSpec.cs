namespace Sbi.Onnx.Model;

/// <summary>The prior the posterior was trained with; it defines the support that rejection sampling keeps.</summary>
public abstract record PriorSpec
{
    /// <summary>Dimension of θ.</summary>
    public abstract int D { get; }

    /// <summary>Kind name as written to the manifest ("box_uniform" or "multivariate_normal").</summary>
    public abstract string Kind { get; }

    /// <summary>True when θ (length D) lies in the support. sbi's BoxUniform support is the closed box.</summary>
    public abstract bool InSupport(ReadOnlySpan<float> theta);
}

/// <summary>sbi's <c>BoxUniform(low, high)</c>: support is the closed box low ≤ θ ≤ high.</summary>
public sealed record BoxUniformPrior : PriorSpec
{
    /// <summary>Creates a box prior; requires low &lt; high in every dimension.</summary>
    public BoxUniformPrior(float[] low, float[] high)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (low.Length == 0 || low.Length != high.Length)
            throw new ArgumentException($"low and high must have the same positive length (got {low.Length} and {high.Length}).");
        for (int i = 0; i < low.Length; i++)
            if (!(low[i] < high[i]) || !float.IsFinite(low[i]) || !float.IsFinite(high[i]))
                throw new ArgumentException($"BoxUniform needs finite low < high; dimension {i} has low={low[i]}, high={high[i]}.");
        Low = low;
        High = high;
    }

    /// <summary>Lower bounds.</summary>
    public float[] Low { get; }

    /// <summary>Upper bounds.</summary>
    public float[] High { get; }

    /// <inheritdoc />
    public override int D => Low.Length;

    /// <inheritdoc />
    public override string Kind => "box_uniform";

    /// <inheritdoc />
    public override bool InSupport(ReadOnlySpan<float> theta)
    {
        for (int i = 0; i < Low.Length; i++)
            if (!(theta[i] >= Low[i] && theta[i] <= High[i])) return false; // NaN is outside
        return true;
    }
}

/// <summary>A multivariate normal prior: its support is all of ℝ^D, so no sample is ever rejected.</summary>
public sealed record MultivariateNormalPrior : PriorSpec
{
    /// <summary>Creates the prior from its mean and (row-major D×D) covariance matrix.</summary>
    public MultivariateNormalPrior(float[] loc, float[,] covariance)
    {
        ArgumentNullException.ThrowIfNull(loc);
        ArgumentNullException.ThrowIfNull(covariance);
        if (loc.Length == 0 || covariance.GetLength(0) != loc.Length || covariance.GetLength(1) != loc.Length)
            throw new ArgumentException($"covariance must be {loc.Length}x{loc.Length}, got {covariance.GetLength(0)}x{covariance.GetLength(1)}.");
        Loc = loc;
        Covariance = covariance;
    }

    /// <summary>Mean.</summary>
    public float[] Loc { get; }

    /// <summary>Covariance matrix.</summary>
    public float[,] Covariance { get; }

    /// <inheritdoc />
    public override int D => Loc.Length;

    /// <inheritdoc />
    public override string Kind => "multivariate_normal";

    /// <inheritdoc />
    public override bool InSupport(ReadOnlySpan<float> theta)
    {
        for (int i = 0; i < Loc.Length; i++)
            if (!float.IsFinite(theta[i])) return false;
        return true;
    }
}
