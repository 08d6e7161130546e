using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>
/// The registry of estimator families by name. sbi's four (maf, nsf, mdn, made) are registered when the library
/// loads (<c>Sbi.Families</c>); <see cref="Register"/> adds a user's own, after which <see cref="PosteriorNn"/>,
/// model files, state-dict files and the trainer treat it as they treat the built-in ones.
/// </summary>
public static class EstimatorFamilies
{
    private static readonly ConcurrentDictionary<string, IEstimatorFamily> Families = new(StringComparer.Ordinal);
    private static readonly ConcurrentQueue<string> Order = new();

    /// <summary>Registers a family under its name; a later registration of the same name replaces it.</summary>
    public static void Register(IEstimatorFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentException.ThrowIfNullOrEmpty(family.Name, nameof(family));
        if (family.Name != family.Name.ToLowerInvariant())
            throw new ArgumentException($"family names are lower case (configurations compare them exactly); got '{family.Name}'.", nameof(family));
        if (Families.TryAdd(family.Name, family)) Order.Enqueue(family.Name);
        else Families[family.Name] = family;
    }

    /// <summary>The registered names, in registration order (sbi's four first).</summary>
    public static IReadOnlyList<string> Names => Order.ToList();

    /// <summary>Whether a family of that name is registered.</summary>
    public static bool Contains(string name) => name is not null && Families.ContainsKey(name);

    /// <summary>The family of that name.</summary>
    /// <exception cref="ArgumentException">no family of that name is registered; the message lists the registered ones.</exception>
    public static IEstimatorFamily Get(string name, string argumentName = "estimator") =>
        name is not null && Families.TryGetValue(name, out var f) ? f
            : throw new ArgumentException($"density estimator must be one of {string.Join(", ", Names)} (or a family added with EstimatorFamilies.Register); got '{name}'.", argumentName);

    /// <summary>The configuration implied by a state dict in sbi's key names: the first family that recognises its keys.</summary>
    /// <exception cref="ArgumentException">no registered family recognises the keys.</exception>
    public static EstimatorConfig Infer(IReadOnlyDictionary<string, Tensor> stateDict, string source = "state dict")
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        foreach (var name in Names)
            if (Families[name].InferConfig(stateDict, source) is { } config) return config;
        throw new ArgumentException($"{source}: the keys match none of the registered estimators ({string.Join(", ", Names)}; first key '{stateDict.Keys.FirstOrDefault()}').", nameof(stateDict));
    }
}
