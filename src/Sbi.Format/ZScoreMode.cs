namespace Sbi.Format;

/// <summary>sbi's z-scoring modes for θ (<c>z_score_theta</c>) and x (<c>z_score_x</c>).</summary>
public enum ZScoreMode
{
    /// <summary>No z-scoring (sbi: None).</summary>
    None,
    /// <summary>Per-feature mean and unbiased standard deviation (sbi's default).</summary>
    Independent,
    /// <summary>One scalar mean over all entries and the mean of the per-row standard deviations.</summary>
    Structured,
}

/// <summary>Parsing and printing of <see cref="ZScoreMode"/> with sbi's strings.</summary>
public static class ZScoreModes
{
    /// <summary>"independent", "structured" or "none"; null means none (sbi's <c>z_score_x=None</c>).</summary>
    public static ZScoreMode Parse(string? s, string argumentName) => (s ?? "none").ToLowerInvariant() switch
    {
        "independent" => ZScoreMode.Independent,
        "structured" => ZScoreMode.Structured,
        "none" or "" => ZScoreMode.None,
        _ => throw new ArgumentException($"{argumentName} must be 'independent', 'structured' or 'none'; got '{s}'.", argumentName),
    };

    /// <summary>sbi's name of the mode.</summary>
    public static string ToSbiString(this ZScoreMode mode) => mode switch
    {
        ZScoreMode.Independent => "independent",
        ZScoreMode.Structured => "structured",
        _ => "none",
    };
}
