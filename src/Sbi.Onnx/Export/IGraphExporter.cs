using Sbi.Onnx.Model;

namespace Sbi.Onnx.Export;

/// <summary>
/// Builds the sample and log-prob graphs of one estimator family (registered in <see cref="OnnxExporters"/>).
/// sample: inputs <c>x</c> [B, C] and random inputs [B, S, ·] (roles "standard_normal" or "uniform"), output
/// <c>theta</c> [B, S, D]; log_prob: inputs <c>theta</c> [N, D] and <c>x</c> [N, C], output <c>log_prob</c> [N], the
/// raw estimator density (prior masking and leakage correction are added by the runtime).
/// </summary>
public interface IGraphExporter
{
    /// <summary>The two graphs of <paramref name="model"/>.</summary>
    ExportedGraphs Build(EstimatorModel model, ExportOptions options);

    /// <summary>The hyper-parameters recorded in the package manifest's "estimator" object (beside its name).</summary>
    System.Text.Json.Nodes.JsonObject Describe(EstimatorModel model);

    /// <summary>
    /// The manifest's "z_score" object: each side's mode and, where z-scored, its mean and std read from the family's
    /// own buffers (<see cref="ZScoreManifest"/> has the nflows-flow and the MDN layouts).
    /// </summary>
    System.Text.Json.Nodes.JsonObject DescribeZScore(EstimatorModel model);
}
