using TorchSharp;
using Sbi.Utils;
using Sbi.Transforms;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>sbi's z-score statistics (<c>sbiutils.z_score_parser</c> / <c>standardizing_*</c>).</summary>
public static class ZScore
{
    /// <summary>Floor on σ for θ (flows and MDN), as in sbi.</summary>
    public const double ThetaMinStd = EstimatorConstants.ThetaMinStd;

    /// <summary>Floor on σ for x, as in sbi.</summary>
    public const double XMinStd = EstimatorConstants.XMinStd;

    /// <summary>
    /// Mean and standard deviation of <paramref name="batch"/> (n, F) for the given mode, ignoring rows with any
    /// NaN/±inf. Independent: per-feature mean and unbiased std; structured: scalar mean of all entries and the mean
    /// of the per-row unbiased stds (each floored first). Every σ below <paramref name="minStd"/> becomes the floor.
    /// With a single row σ is set to 1 (sbi warns and does the same, as the unbiased std is undefined).
    /// </summary>
    public static (Tensor Mean, Tensor Std) Statistics(Tensor batch, ZScoreMode mode, double minStd)
    {
        if (mode == ZScoreMode.None) throw new ArgumentException("mode None has no statistics.", nameof(mode));
        using var scope = NewDisposeScope();
        using Scalar floor = minStd;
        var flat = batch.reshape(batch.shape[0], -1).to(ScalarType.Float32);
        var finite = flat.isfinite().all(1);
        var rows = flat.index(finite);
        if (rows.shape[0] == 0)
            throw new ArgumentException("every row of the batch has NaN or infinite entries; z-score statistics are undefined.", nameof(batch));
        Tensor mean, std;
        if (mode == ZScoreMode.Independent)
        {
            mean = rows.mean(new long[] { 0 });
            std = rows.shape[0] > 1 ? rows.std(0, unbiased: true) : ones_like(mean);
            std = clamp_min(std, floor);
            if (batch.dim() > 2)
            {
                mean = mean.view(batch.shape[1..]);
                std = std.view(batch.shape[1..]);
            }
        }
        else
        {
            mean = rows.mean();
            var rowStd = rows.shape[1] > 1 ? clamp_min(rows.std(1, unbiased: true), floor) : ones(rows.shape[0]);
            std = clamp_min(rowStd.mean(), floor);
        }
        if (mean.isnan().any().item<bool>() || std.isnan().any().item<bool>())
            throw new ArgumentException("z-score statistics are NaN.", nameof(batch));
        return (mean.MoveToOuterDisposeScope(), std.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// nflows' θ z-scoring layer of the flows (the first transform): from the statistics of <paramref name="thetaBatch"/>
    /// (floor <see cref="ThetaMinStd"/>), or placeholders (mean 0, std 1) for a rebuilt architecture whose weights are loaded next.
    /// </summary>
    public static PointwiseAffineTransform ThetaStandardizer(EstimatorConfig config, Tensor? thetaBatch)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = ThetaStatistics(config, thetaBatch);
        return PointwiseAffineTransform.FromStatistics(mean, std);
    }

    /// <summary>θ's mean and std for a new estimator (from the batch) or a rebuilt one (placeholders of the mode's shape).</summary>
    public static (Tensor Mean, Tensor Std) ThetaStatistics(EstimatorConfig config, Tensor? thetaBatch)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (thetaBatch is not null) return Statistics(thetaBatch, config.ZScoreTheta, ThetaMinStd);
        var shape = config.ZScoreTheta == ZScoreMode.Independent ? new long[] { config.D } : Array.Empty<long>();
        return (zeros(shape), ones(shape));
    }
}
