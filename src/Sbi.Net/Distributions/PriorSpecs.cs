using static TorchSharp.torch;

namespace Sbi.Distributions;

/// <summary>Priors to and from their saved form (<see cref="PriorSpec"/>, whose JSON is the model format's).</summary>
public static class PriorSpecs
{
    /// <summary>The saved form of a prior; other prior types cannot be saved (they are user code).</summary>
    public static PriorSpec ToSpec(this IDistribution prior) => prior switch
    {
        BoxUniform b => new BoxUniformSpec(b.Low.cpu().data<float>().ToArray(), b.High.cpu().data<float>().ToArray()),
        MultivariateNormal m => new MultivariateNormalSpec(m.Loc.cpu().data<float>().ToArray(), ToMatrix(m.Covariance)),
        _ => throw new ArgumentException($"only BoxUniform and MultivariateNormal priors can be saved; got {prior.GetType().Name}. Save the estimator and pass your prior when loading.", nameof(prior)),
    };

    /// <summary>The prior a saved form describes.</summary>
    public static IDistribution ToDistribution(this PriorSpec spec) => spec switch
    {
        BoxUniformSpec b => new BoxUniform(b.Low, b.High),
        MultivariateNormalSpec n => new MultivariateNormal(tensor(n.Loc), tensor(Flatten(n.Covariance)).view(n.D, n.D)),
        _ => throw new ArgumentException($"no distribution for a {spec.Kind} prior.", nameof(spec)),
    };

    private static float[,] ToMatrix(Tensor t)
    {
        int d = (int)t.shape[0];
        var v = t.cpu().contiguous().data<float>().ToArray();
        var m = new float[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) m[i, j] = v[i * d + j];
        return m;
    }

    private static float[] Flatten(float[,] m) => m.Cast<float>().ToArray();
}
