using System.Globalization;
using Sbi.Utils;

namespace Sbi.Posteriors.Parameters;

/// <summary>
/// sbi's <c>PosteriorParameters</c> (sbi/inference/posteriors/posterior_parameters.py): the immutable settings of one
/// kind of posterior, validated on construction and in every <c>with</c> copy (a bad value names the field, the
/// allowed values and what was given). <see cref="SampleWith"/> is the <c>sampleWith</c> name the settings belong to,
/// so a builder can refuse a mismatch; MCMC and VI settings derive from this record the same way.
/// </summary>
public abstract record PosteriorParameters
{
    /// <summary>The <c>sampleWith</c> value these settings are for ("direct", "rejection", "importance", …).</summary>
    public abstract string SampleWith { get; }

    /// <summary>A positive integer field, checked; the message names <c>Type.Field</c>.</summary>
    protected int Positive(int value, string field)
    {
        Guard.Positive(value, Qualified(field));
        return value;
    }

    /// <summary>A positive finite double field, checked.</summary>
    protected double PositiveFinite(double value, string field)
    {
        Guard.Positive(value, Qualified(field));
        if (double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(Qualified(field), value, $"{Qualified(field)} must be a positive finite number; got {value.ToString(CultureInfo.InvariantCulture)}.");
        return value;
    }

    /// <summary>A non-negative integer field, checked.</summary>
    protected int NonNegative(int value, string field)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(Qualified(field), value, $"{Qualified(field)} must be an integer ≥ 0; got {value}.");
        return value;
    }

    /// <summary>A field with a fixed set of string values (sbi's <c>Literal</c> fields), checked.</summary>
    protected string OneOf(string value, string field, params string[] allowed)
    {
        if (value is null || !allowed.Contains(value, StringComparer.Ordinal))
            throw new ArgumentException($"{Qualified(field)} must be one of {string.Join(", ", allowed.Select(a => $"'{a}'"))}; got " +
                                        $"{(value is null ? "null" : $"'{value}'")}.", Qualified(field));
        return value;
    }

    private string Qualified(string field) => GetType().Name + "." + field;
}
