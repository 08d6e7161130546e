using Sbi.Numpy;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sbi.Format.Tests;

public class EstimatorConfigJsonTests
{
    private static EstimatorConfig Read(string json) => EstimatorConfigJson.FromJson(json, "test.json");

    [Test]
    public void AbsentFieldsTakeSbisDefaults()
    {
        var c = Read("{\"estimator\": \"nsf\", \"D\": 3, \"C\": 4}");
        Assert.That((c.HiddenFeatures, c.NumTransforms, c.NumBlocks, c.NumBins, c.TailBound, c.NumComponents),
            Is.EqualTo((EstimatorDefaults.HiddenFeatures, EstimatorDefaults.NumTransforms, EstimatorDefaults.NumBlocks, EstimatorDefaults.NumBins, EstimatorDefaults.TailBound, EstimatorDefaults.NumComponents)));
        Assert.That(c.XShape, Is.EqualTo(new long[] { 4 }));
        Assert.That((c.ZScoreTheta, c.ZScoreX), Is.EqualTo((ZScoreMode.Independent, ZScoreMode.Independent)), "sbi's default z_score is 'independent'");
        Assert.That(c.EmbeddingNet, Is.EqualTo(EstimatorDefaults.IdentityEmbedding));
    }

    /// <summary>sbi writes Python's None as null: no z-scoring (the four old parsers disagreed on this).</summary>
    [Test]
    public void NullZScoreIsNone()
    {
        var c = Read("{\"estimator\": \"maf\", \"D\": 2, \"C\": 2, \"z_score_theta\": null, \"z_score_x\": \"structured\"}");
        Assert.That((c.ZScoreTheta, c.ZScoreX), Is.EqualTo((ZScoreMode.None, ZScoreMode.Structured)));
    }

    /// <summary>sbi's MADE mixture: components from num_mixture_components (num_components only as a fallback), blocks fixed to 5.</summary>
    [Test]
    public void MadeMixtureRules()
    {
        var c = Read("{\"estimator\": \"made\", \"D\": 2, \"C\": 2, \"num_blocks\": 2, \"num_components\": 3, \"num_mixture_components\": 7}");
        Assert.That((c.NumComponents, c.NumBlocks), Is.EqualTo((7, EstimatorDefaults.MadeMixtureBlocks)));
        Assert.That(Read("{\"estimator\": \"made\", \"D\": 2, \"C\": 2, \"num_components\": 3}").NumComponents, Is.EqualTo(3));
        Assert.That(Read("{\"estimator\": \"mdn\", \"D\": 2, \"C\": 2, \"num_components\": 3, \"num_mixture_components\": 7}").NumComponents, Is.EqualTo(3));
    }

    [Test]
    public void WriteThenReadIsTheSameConfig()
    {
        var c = new EstimatorConfig
        {
            Estimator = "nsf", D = 3, C = 6, XShape = new long[] { 2, 3 }, HiddenFeatures = 17, NumTransforms = 2, NumBlocks = 3,
            NumBins = 7, TailBound = 2.5, NumComponents = 4, HiddenLayersSplineContext = 2, DropoutProbability = 0.1,
            ZScoreTheta = ZScoreMode.None, ZScoreX = ZScoreMode.Structured, EmbeddingNet = "Identity",
            Options = new JsonObject { ["my_width"] = 5 },
        };
        var back = Read(EstimatorConfigJson.ToJson(c).ToJsonString());
        Assert.That(EstimatorConfigJson.ToJson(back).ToJsonString(), Is.EqualTo(EstimatorConfigJson.ToJson(c).ToJsonString()));
        Assert.That(back.Options!["my_width"]!.GetValue<int>(), Is.EqualTo(5), "a custom family's options survive");
    }

    [TestCase("{\"D\": 2, \"C\": 2}", "\"estimator\"")]
    [TestCase("{\"estimator\": \"maf\", \"C\": 2}", "\"D\"")]
    [TestCase("{\"estimator\": \"maf\", \"D\": \"two\", \"C\": 2}", "\"D\" must be an integer")]
    [TestCase("{\"estimator\": \"maf\", \"D\": 2, \"C\": 2, \"tail_bound\": \"far\"}", "\"tail_bound\" must be a number")]
    [TestCase("{\"estimator\": \"maf\", \"D\": 2, \"C\": 2, \"z_score_x\": \"sometimes\"}", "sometimes")]
    [TestCase("[1, 2]", "not a JSON object")]
    [TestCase("{not json", "not valid JSON")]
    public void BadConfigsNameTheFileAndTheField(string json, string expected)
    {
        var ex = Assert.Throws<SbiDataException>(() => Read(json));
        Assert.That(ex!.Message, Does.Contain("test.json").And.Contain(expected));
    }
}
