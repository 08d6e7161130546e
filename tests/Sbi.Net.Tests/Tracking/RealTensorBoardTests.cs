using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;
using Sbi.Tracking;

namespace Sbi.Tests.Tracking;

/// <summary>
/// TensorBoard itself reads what <see cref="TensorBoardTracker"/> writes: its <c>EventAccumulator</c> (which checks both
/// CRCs of every record) must list the same tags, steps and float32 values as <see cref="TensorBoardEvents"/>. Runs
/// where the Python reference is installed (the <c>tensorboard</c> package on the reference's <c>pythonPath</c>,
/// python/setup_sbi_reference.sh); skipped elsewhere. Values are compared exactly: Python's <c>repr</c> of the float32
/// widened to a double round-trips.
/// </summary>
public class RealTensorBoardTests
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, sys
        try:
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        except ImportError as e:
            print("NO_TENSORBOARD " + str(e)); sys.exit(0)
        acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "tensors": 0})
        acc.Reload()
        out = {"scalars": {t: [[e.step, repr(e.value)] for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]},
               "texts": {t: [[e.step, e.tensor_proto.string_val[0].decode("utf-8")] for e in acc.Tensors(t)] for t in acc.Tags()["tensors"]}}
        print(json.dumps(out))
        """;

    [Test]
    public void TensorBoardsEventAccumulatorReadsTheSameTagsStepsAndValues()
    {
        var pythonPath = ReferencePythonPath(out var why) ?? IgnoreWith(why);
        var dir = Path.Combine(Path.GetTempPath(), "sbi-tb-real-" + Guid.NewGuid().ToString("N"));
        try
        {
            var tracker = new TensorBoardTracker(dir);
            for (int i = 0; i < 5; i++)
            {
                tracker.LogMetric(TrackerTags.ValidationLoss, 1.0 / (i + 3), i);
                tracker.LogMetric(TrackerTags.TrainingLoss, -Math.PI * i, i);
            }
            tracker.LogMetrics(new Dictionary<string, double> { [TrackerTags.EpochsTrained] = 5, [TrackerTags.BestValidationLoss] = 0.2 }, 1);
            tracker.LogParams(new Dictionary<string, object?> { ["learning_rate"] = 5e-4, ["estimator"] = "maf" });

            var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(Script);
            psi.ArgumentList.Add(dir);
            psi.Environment["PYTHONPATH"] = pythonPath;
            psi.Environment["TF_CPP_MIN_LOG_LEVEL"] = "3";
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            Assert.That(p.WaitForExit(60_000), "TensorBoard's reader finished within 60 s");
            var o = stdout.Result.Trim();
            if (o.StartsWith("NO_TENSORBOARD", StringComparison.Ordinal)) Assert.Ignore($"tensorboard is not importable from {pythonPath}: {o}");
            Assert.That(p.ExitCode, Is.EqualTo(0), "TensorBoard's reader failed: " + stderr);

            using var doc = JsonDocument.Parse(o.Split('\n')[^1]);
            var theirs = doc.RootElement.GetProperty("scalars").EnumerateObject()
                            .ToDictionary(t => t.Name, t => t.Value.EnumerateArray().Select(e => (e[0].GetInt64(), double.Parse(e[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))).ToList());
            var ours = TensorBoardEvents.ReadScalars(dir);
            Assert.That(theirs.Keys, Is.EquivalentTo(ours.Keys));
            foreach (var (tag, series) in ours)
                Assert.That(theirs[tag], Is.EqualTo(series.Select(s => (s.Step, s.Value)).ToList()), tag);
            var texts = doc.RootElement.GetProperty("texts");
            Assert.That(texts.GetProperty("params/learning_rate/text_summary")[0][1].GetString(), Is.EqualTo("0.0005"));
            Assert.That(texts.GetProperty("params/estimator/text_summary")[0][1].GetString(), Is.EqualTo("maf"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    private static string IgnoreWith(string why)
    {
        Assert.Ignore(why);
        return "";
    }

    /// <summary>
    /// The reference's module folders: <c>SBI_PARITY_PYTHONPATH</c>, else <c>pythonPath</c> of the settings file
    /// (<c>$SBI_PARITY_SETTINGS</c> when set, as the parity harness: naming a missing file hides the reference; else
    /// /opt/sbi-ref/sbi-parity.json).
    /// </summary>
    private static string? ReferencePythonPath(out string why)
    {
        if (!File.Exists(Python)) { why = $"{Python} not found; TensorBoard cross-check skipped"; return null; }
        if (Environment.GetEnvironmentVariable("SBI_PARITY_PYTHONPATH") is { Length: > 0 } env) { why = ""; return env; }
        var file = Environment.GetEnvironmentVariable("SBI_PARITY_SETTINGS") is { Length: > 0 } s ? s : "/opt/sbi-ref/sbi-parity.json";
        if (!File.Exists(file)) { why = $"no Python reference configured ({file} not found); TensorBoard cross-check skipped"; return null; }
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        if (doc.RootElement.TryGetProperty("pythonPath", out var v) && v.GetString() is { Length: > 0 } path) { why = ""; return path; }
        why = $"{file} names no pythonPath; TensorBoard cross-check skipped";
        return null;
    }
}
