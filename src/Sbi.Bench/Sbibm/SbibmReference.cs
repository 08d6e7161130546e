using Sbi.Data;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Bench.Sbibm;

/// <summary>
/// A task's sbibm reference data, read from the shared <c>&lt;task&gt;.npz</c> (converted from sbibm's
/// <c>files/num_observation_k/{observation,reference_posterior_samples,true_parameters}.csv</c>): per observation k =
/// 1..10 the observation x_o, the reference posterior samples and the θ that generated x_o. Dispose to free the tensors.
/// </summary>
public sealed class SbibmReference : IDisposable
{
    private SbibmReference(string source, Tensor observations, Tensor samples, Tensor trueParameters, long[] seeds)
    {
        Source = source;
        Observations = observations;
        ReferenceSamples = samples;
        TrueParameters = trueParameters;
        ObservationSeeds = seeds;
    }

    /// <summary>The file read.</summary>
    public string Source { get; }

    /// <summary>x_o of observations 1..N, shape (N, dim_x), float32.</summary>
    public Tensor Observations { get; }

    /// <summary>Reference posterior samples, shape (N, n, dim_θ), float32 (n = 10,000 in sbibm's files).</summary>
    public Tensor ReferenceSamples { get; }

    /// <summary>The θ each x_o was simulated from, shape (N, dim_θ), float32.</summary>
    public Tensor TrueParameters { get; }

    /// <summary>sbibm's observation seeds (for the record; empty when the file has none).</summary>
    public IReadOnlyList<long> ObservationSeeds { get; }

    /// <summary>The number of observations N.</summary>
    public int Count => (int)Observations.shape[0];

    /// <summary>Reference samples per observation.</summary>
    public int SamplesPerObservation => (int)ReferenceSamples.shape[1];

    /// <summary>x_o of observation <paramref name="k"/> (1-based, sbibm's numbering), shape (1, dim_x).</summary>
    public Tensor Observation(int k) => Observations[Index(k)].unsqueeze(0);

    /// <summary>The reference samples of observation <paramref name="k"/> (1-based), shape (n, dim_θ).</summary>
    public Tensor Reference(int k) => ReferenceSamples[Index(k)];

    /// <summary>The true θ of observation <paramref name="k"/> (1-based), shape (1, dim_θ).</summary>
    public Tensor TrueParameter(int k) => TrueParameters[Index(k)].unsqueeze(0);

    private long Index(int k) => k >= 1 && k <= Count ? k - 1
        : throw new ArgumentOutOfRangeException(nameof(k), k, $"observations are numbered 1 to {Count}.");

    /// <summary>The default file of <paramref name="task"/> in <paramref name="folder"/>: <c>folder/&lt;name&gt;.npz</c>.</summary>
    public static string PathIn(string folder, SbibmTask task) => System.IO.Path.Combine(folder, task.Name + ".npz");

    /// <summary>
    /// Reads <paramref name="path"/> and checks it against <paramref name="task"/>'s dimensions: arrays
    /// <c>observations</c> (N, dim_x), <c>reference_samples</c> (N, n, dim_θ), <c>true_parameters</c> (N, dim_θ), all
    /// finite, and optionally <c>observation_seeds</c> (N).
    /// </summary>
    /// <exception cref="SbiDataException">A member is missing, has the wrong shape, or holds NaN or infinity.</exception>
    public static SbibmReference Load(string path, SbibmTask task)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(task);
        var npz = NpzFile.Load(path);
        Tensor Member(string key, params long[] shape)
        {
            if (!npz.TryGetValue(key, out var a))
                throw new SbiDataException(path, $"no array '{key}' (an sbibm reference file holds observations, reference_samples and true_parameters).");
            for (int i = 0; i < shape.Length; i++)
                if (a.NDim != shape.Length || (shape[i] >= 0 && a.Shape[i] != shape[i]))
                    throw new SbiDataException(path, $"'{key}' has shape ({string.Join(", ", a.Shape)}); {task.Name} needs ({string.Join(", ", shape.Select(s => s < 0 ? "N" : s.ToString()))}).");
            var t = a.ToTensor().to(ScalarType.Float32);
            using var finite = isfinite(t).all();
            if (!finite.item<bool>()) { t.Dispose(); throw new SbiDataException(path, $"'{key}' holds NaN or infinite values."); }
            return t;
        }
        var obs = Member("observations", -1, task.DimData);
        long n = obs.shape[0];
        if (n < 1) throw new SbiDataException(path, "'observations' has no rows.");
        var samples = Member("reference_samples", n, -1, task.DimParameters);
        var truth = Member("true_parameters", n, task.DimParameters);
        long[] seeds = npz.TryGetValue("observation_seeds", out var s) ? s.AsInt64() : [];
        return new SbibmReference(path, obs, samples, truth, seeds);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Observations.Dispose();
        ReferenceSamples.Dispose();
        TrueParameters.Dispose();
    }
}
