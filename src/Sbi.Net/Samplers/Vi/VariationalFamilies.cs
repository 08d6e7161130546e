using Sbi.Estimators;
using Sbi.Numpy;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// The variational families q(z | x) a VI posterior fits in the prior's unconstrained space: sbi's "maf" and "nsf"
/// (built by the registered estimator families, i.e. nflows-style conditional flows; sbi uses zuko's unconditional
/// flows, see <see cref="VariationalDistribution"/>), "gaussian" and "gaussian_diag" (<see cref="GaussianQFamily"/>),
/// and any family a user registers with <see cref="EstimatorFamilies.Register"/> whose estimators are flows with a
/// standard-normal base. sbi's mixture estimators "mdn" and "made" are refused: a mixture's component draw is
/// discrete, so its samples cannot be reparameterised and the divergences' gradients would be wrong.
/// </summary>
public static class VariationalFamilies
{
    /// <summary>The families built in: "maf", "nsf", "gaussian", "gaussian_diag".</summary>
    public static IReadOnlyList<string> BuiltIn { get; } = ["maf", "nsf", GaussianQFamily.FullName, GaussianQFamily.DiagonalName];

    private static readonly string[] NotReparameterisable = ["mdn", "made"];

    /// <summary>Whether <paramref name="name"/> names a family q can be built from.</summary>
    public static bool IsKnown(string? name) =>
        name is not null && (BuiltIn.Contains(name, StringComparer.Ordinal) || (EstimatorFamilies.Contains(name) && !NotReparameterisable.Contains(name, StringComparer.Ordinal)));

    /// <summary>The names q may take now (the built-in ones and the user families registered so far), for messages.</summary>
    public static IReadOnlyList<string> Names =>
        BuiltIn.Concat(EstimatorFamilies.Names.Where(n => !BuiltIn.Contains(n) && !NotReparameterisable.Contains(n))).ToList();

    /// <summary>The family of that name.</summary>
    /// <exception cref="ArgumentException">an unknown name, or a mixture family; the message lists the valid names.</exception>
    public static IEstimatorFamily Get(string name, string argumentName = "q")
    {
        if (name == GaussianQFamily.FullName) return new GaussianQFamily(true);
        if (name == GaussianQFamily.DiagonalName) return new GaussianQFamily(false);
        if (name is not null && NotReparameterisable.Contains(name, StringComparer.Ordinal))
            throw new ArgumentException($"q '{name}' is a mixture, whose samples cannot be reparameterised, so VI cannot fit it; q must be one of {string.Join(", ", Names.Select(n => $"'{n}'"))}.", argumentName);
        if (!IsKnown(name))
            throw new ArgumentException($"q must be one of {string.Join(", ", Names.Select(n => $"'{n}'"))} (or a flow family added with EstimatorFamilies.Register); got {(name is null ? "null" : $"'{name}'")}.", argumentName);
        return EstimatorFamilies.Get(name!, argumentName);
    }

    /// <summary>
    /// A fresh q of family <paramref name="name"/> over z (D = zBatch's width): θ z-scoring from <paramref name="zBatch"/> (sbi
    /// z-scores its flows with 1,000 prior samples mapped to the unconstrained space) and the x pipeline from
    /// <paramref name="xBatch"/> (B, *x_shape).
    /// </summary>
    public static ConditionalDensityEstimator Build(string name, int numTransforms, int hiddenFeatures, ZScoreMode zScoreTheta, ZScoreMode zScoreX,
                                                    Tensor zBatch, Tensor xBatch)
    {
        ArgumentNullException.ThrowIfNull(zBatch);
        ArgumentNullException.ThrowIfNull(xBatch);
        var family = Get(name);
        var xShape = xBatch.shape[1..];
        var config = family.Configure(new EstimatorConfig
        {
            Estimator = family.Name,
            D = (int)zBatch.shape[1],
            XShape = xShape,
            HiddenFeatures = hiddenFeatures,
            NumTransforms = numTransforms,
            NumBlocks = EstimatorDefaults.NumBlocks,
            ZScoreTheta = zScoreTheta,
            ZScoreX = zScoreX,
        });
        var embedding = EmbeddingFactory.Create(config.ZScoreX, xBatch, xShape, null);
        config = config with { C = EmbeddingFactory.OutputFeatures(embedding, xShape) };
        var q = family.Create(config, zBatch, embedding);
        RequireReparameterisable(q, name);
        return q;
    }

    /// <summary>
    /// Whether a new q of <paramref name="family"/> is used as an inverse autoregressive flow (see
    /// <see cref="VariationalDistribution.InverseAutoregressive"/>): a "maf" q trained through its samples (every method but
    /// fKL, and amortised training), so that its reparameterised samples cost one pass per layer. Such a MAF has no θ
    /// z-scoring layer (in the sampling direction it would act on the noise); the unconstrained space of a normal prior is
    /// standardised already, and the warm-up fits q to the prior.
    /// </summary>
    public static bool UsesInverseAutoregressive(string family, string method, bool amortized) =>
        family == "maf" && (amortized || method != "fKL");

    /// <summary>The architecture of a saved q (its configuration), for loading its weights.</summary>
    public static ConditionalDensityEstimator Rebuild(EstimatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var family = Get(config.Estimator, nameof(config));
        return family.Create(config, null, EmbeddingFactory.Create(config.ZScoreX, null, config.XShape, null));
    }

    /// <summary>
    /// The stored configuration of a q checked against the one its family infers from the stored weights (D, C and
    /// the flows' sizes, <see cref="ConfigConsistency"/>), before it is rebuilt.
    /// </summary>
    /// <exception cref="SbiDataException">a field disagrees with the weights.</exception>
    public static void CheckConsistency(EstimatorConfig stored, IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (EstimatorFamilies.Contains(stored.Estimator)) { ConfigConsistency.Check(stored, stateDict, source); return; }
        EstimatorConfig? inferred;
        try { inferred = Get(stored.Estimator, nameof(stored)).InferConfig(stateDict, source); }
        catch (ArgumentException e) { throw new SbiDataException(source, $"the stored weights do not have the '{stored.Estimator}' layout: {e.Message}", e); }
        if (inferred is null)
            throw new SbiDataException(source, $"the stored weights are not those of a '{stored.Estimator}' q (no 'loc' and 'context_weight', or the other covariance form).");
        if (inferred.D != stored.D || inferred.C != stored.C)
            throw new SbiDataException(source, $"the q configuration says D = {stored.D}, C = {stored.C}, but the stored weights imply D = {inferred.D}, C = {inferred.C}.");
    }

    /// <summary>
    /// Whether q's samples are reparameterised: a flow (<see cref="FlowEstimator"/>) with a standard-normal base, or a
    /// <see cref="GaussianQ"/>.
    /// </summary>
    public static bool IsReparameterisable(ConditionalDensityEstimator q) =>
        q is GaussianQ || (q is FlowEstimator f && f.Net.Distribution is StandardNormal);

    /// <summary>Throws when q's samples are not reparameterised (see <see cref="IsReparameterisable"/>).</summary>
    public static void RequireReparameterisable(ConditionalDensityEstimator q, string what)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (!IsReparameterisable(q))
            throw new ArgumentException($"q ({what}, a {q.GetType().Name}) must be a flow with a standard-normal base (FlowEstimator) or a Gaussian " +
                                        "(GaussianQ): VI differentiates through q's samples, which a mixture or another base cannot provide.", nameof(q));
    }

    /// <summary>
    /// Sets the mean of q's x standardisation (the <c>_embedding_net.0._mean</c> buffer) to <paramref name="x"/>, so that a
    /// single-observation q maps that x to the context 0 it was trained with. False when q has no such buffer (a user's
    /// pipeline), which is then left as it is.
    /// </summary>
    internal static bool Recenter(ConditionalDensityEstimator q, Tensor x)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (key, buffer) in q.named_buffers())
            if (key.EndsWith("_embedding_net.0._mean", StringComparison.Ordinal) && buffer.shape.SequenceEqual(q.ConditionShape))
            {
                buffer.copy_(x.reshape(q.ConditionShape).to(buffer.dtype, buffer.device));
                return true;
            }
        return false;
    }
}
