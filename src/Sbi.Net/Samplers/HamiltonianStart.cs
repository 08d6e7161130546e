namespace Sbi.Samplers;

/// <summary>The argument checks HMC and NUTS share: settings in range and a start with a finite log density and gradient.</summary>
internal static class HamiltonianStart
{
    /// <summary>Divergence threshold on the energy error H − H₀: 1000, Stan's <c>max_deltaH</c> (and Pyro's <c>max_sliced_energy</c>).</summary>
    public const double MaxDeltaH = 1000;

    public static void CheckSettings(McmcKernelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.WarmupSteps < 0)
            throw new ArgumentOutOfRangeException(nameof(settings), settings.WarmupSteps, $"settings.WarmupSteps must be non-negative; got {settings.WarmupSteps}.");
        if (!(settings.TargetAccept > 0 && settings.TargetAccept < 1))
            throw new ArgumentOutOfRangeException(nameof(settings), settings.TargetAccept, $"settings.TargetAccept must lie in (0, 1); got {settings.TargetAccept}.");
    }

    /// <summary>Copies <paramref name="init"/> into <paramref name="z"/> and evaluates it; throws unless its log density and gradient are finite.</summary>
    public static void Evaluate(Hamiltonian hamiltonian, ReadOnlySpan<double> init, PhasePoint z)
    {
        if (init.Length != hamiltonian.Dim)
            throw new ArgumentException($"init must be one row of the target's dimension {hamiltonian.Dim}; got length {init.Length}.", nameof(init));
        init.CopyTo(z.Q);
        foreach (double v in init)
            if (!double.IsFinite(v))
                throw new ArgumentException($"init must be finite; got [{Format(init)}].", nameof(init));
        hamiltonian.Evaluate(z);
        if (double.IsNegativeInfinity(z.LogDensity))
            throw new ArgumentException($"init must have a finite log density under the target; got a non-finite log density at [{Format(init)}].", nameof(init));
        foreach (double g in z.Gradient)
            if (!double.IsFinite(g))
                throw new ArgumentException($"init must have a finite gradient of the log density; got [{Format(z.Gradient)}] at [{Format(init)}].", nameof(init));
    }

    private static string Format(ReadOnlySpan<double> v)
    {
        const int shown = 8;
        var parts = new List<string>();
        for (int i = 0; i < Math.Min(v.Length, shown); i++) parts.Add(v[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
        if (v.Length > shown) parts.Add($"… ({v.Length} values)");
        return string.Join(", ", parts);
    }
}
