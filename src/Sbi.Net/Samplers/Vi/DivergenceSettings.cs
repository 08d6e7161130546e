using System.Globalization;

namespace Sbi.Samplers.Vi;

/// <summary>
/// The method-specific settings of sbi's divergence optimisers (sbi/samplers/vi/vi_divergence_optimizers.py, passed
/// there as <c>**kwargs</c> of <c>VIPosterior.train</c>), with sbi's defaults; each is checked on construction.
/// </summary>
public sealed record DivergenceSettings
{
    private readonly int _k = 8;
    private readonly double _alpha = 0.5;
    private readonly double? _eps;

    /// <summary>
    /// rKL, IW and alpha: the sticking-the-landing gradient (Roeder, Wu and Duvenaud 2017): log q of the samples is
    /// evaluated with q's parameters held fixed, so only the path through the samples is differentiated (false).
    /// </summary>
    public bool StickTheLanding { get; init; }

    /// <summary>IW: importance-weighted particles per ELBO term, K (8); each step draws nParticles·K samples. Positive.</summary>
    public int K
    {
        get => _k;
        init => _k = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(K), value, $"{nameof(DivergenceSettings)}.{nameof(K)} must be positive; got {value}.");
    }

    /// <summary>
    /// IW and alpha: the doubly reparameterised gradient (Tucker et al. 2018): squared normalised weights with
    /// sticking the landing (false; turns <see cref="StickTheLanding"/> on).
    /// </summary>
    public bool Dreg { get; init; }

    /// <summary>alpha: the Rényi divergence's α (0.5): below 1 mass covering, above 1 mode seeking; finite and not 1 (α = 1 is rKL).</summary>
    public double Alpha
    {
        get => _alpha;
        init => _alpha = double.IsFinite(value) && value != 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Alpha), value,
                $"{nameof(DivergenceSettings)}.{nameof(Alpha)} must be finite and not 1 (α = 1 is the ELBO: use vi method 'rKL'); got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>
    /// The convergence check's sensitivity: training stops once the mean slope of the loss's moving average over 50 steps
    /// is below it in magnitude. Null: the method's own (1e-5; IW 1e-7). Positive and finite.
    /// </summary>
    public double? Eps
    {
        get => _eps;
        init => _eps = value is null || (value > 0 && double.IsFinite(value.Value))
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Eps), value, $"{nameof(DivergenceSettings)}.{nameof(Eps)} must be positive and finite; got {value}.");
    }

    /// <summary>Whether log q is evaluated with stopped parameters: <see cref="StickTheLanding"/> or <see cref="Dreg"/>.</summary>
    public bool UsesStoppedQ => StickTheLanding || Dreg;
}
