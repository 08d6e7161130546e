namespace Sbi.Bench.Sbibm;

/// <summary>The sbibm tasks Sbi.Net implements, by sbibm's name.</summary>
public static class SbibmTasks
{
    /// <summary>The names, in sbibm's table order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["two_moons", "gaussian_linear", "gaussian_linear_uniform", "slcp"];

    /// <summary>A new instance of the task <paramref name="name"/> (dispose it).</summary>
    /// <exception cref="ArgumentException">No such task.</exception>
    public static SbibmTask Create(string name) => name switch
    {
        "two_moons" => new TwoMoons(),
        "gaussian_linear" => new GaussianLinear(),
        "gaussian_linear_uniform" => new GaussianLinearUniform(),
        "slcp" => new Slcp(),
        _ => throw new ArgumentException($"unknown sbibm task '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
    };
}
