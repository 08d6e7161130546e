using Sbi.Nn;
using static TorchSharp.torch;

namespace Sbi.Estimators;

/// <summary>Builds sbi's x pipeline: <c>Sequential(Standardize, embedding)</c> when x is z-scored, else the embedding alone.</summary>
public static class EmbeddingFactory
{
    /// <summary>
    /// Creates the embedding pipeline. With <paramref name="xBatch"/> the z-score statistics come from it; without
    /// (rebuilding a saved model before loading its weights) placeholders of the right shape are used.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Create(ZScoreMode mode, Tensor? xBatch, long[] xShape, nn.Module<Tensor, Tensor>? embedding)
    {
        var inner = embedding ?? nn.Identity();
        if (mode == ZScoreMode.None) return inner;
        Tensor mean, std;
        if (xBatch is not null)
        {
            (mean, std) = ZScore.Statistics(xBatch, mode, ZScore.XMinStd);
        }
        else
        {
            var shape = mode == ZScoreMode.Independent ? xShape : Array.Empty<long>();
            mean = zeros(shape);
            std = ones(shape);
        }
        using (mean)
        using (std)
            return nn.Sequential(("0", new Standardize(mean, std)), ("1", inner));
    }

    /// <summary>Number of features the pipeline outputs for one x (found by running one row through it, as sbi does).</summary>
    public static int OutputFeatures(nn.Module<Tensor, Tensor> pipeline, long[] xShape)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var probe = zeros(new long[] { 1 }.Concat(xShape).ToArray());
        var dev = pipeline.parameters().Concat(pipeline.buffers()).FirstOrDefault()?.device;
        if (dev is not null) probe = probe.to(dev);
        var y = pipeline.forward(probe);
        return (int)(y.numel() / y.shape[0]);
    }
}
