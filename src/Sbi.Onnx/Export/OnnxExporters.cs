using System.Collections.Concurrent;

namespace Sbi.Onnx.Export;

/// <summary>
/// The ONNX exporter of each estimator family, by the family's name (the model file's "estimator"). The built-in
/// families are registered here; a user's own family registers its <see cref="IGraphExporter"/> under the name it
/// registered with Sbi.Net's estimator registry, and its models then export like the built-in ones.
/// </summary>
public static class OnnxExporters
{
    private static readonly ConcurrentDictionary<string, IGraphExporter> Exporters = new(StringComparer.Ordinal)
    {
        ["maf"] = new MafExporter(),
        ["nsf"] = new NsfExporter(),
        ["mdn"] = new MdnExporter(),
        ["made"] = new MadeMixtureExporter(),
        ["vi"] = new VariationalExporter(),   // a VI posterior's q (any of the above, or a Gaussian) behind the prior's θ transform
    };

    /// <summary>Registers (or replaces) the exporter of a family.</summary>
    public static void Register(string estimator, IGraphExporter exporter)
    {
        ArgumentException.ThrowIfNullOrEmpty(estimator);
        ArgumentNullException.ThrowIfNull(exporter);
        Exporters[estimator] = exporter;
    }

    /// <summary>The registered family names.</summary>
    public static IReadOnlyCollection<string> Names => Exporters.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

    /// <summary>The exporter of a family.</summary>
    /// <exception cref="ArgumentException">no exporter is registered under that name.</exception>
    public static IGraphExporter Get(string estimator) => Exporters.TryGetValue(estimator, out var e) ? e
        : throw new ArgumentException($"no ONNX exporter is registered for estimator '{estimator}'; registered: {string.Join(", ", Names)} (OnnxExporters.Register adds one).", nameof(estimator));
}
