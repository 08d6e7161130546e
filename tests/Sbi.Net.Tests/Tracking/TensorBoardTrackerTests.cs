using NUnit.Framework;
using Sbi.Numpy;
using Sbi.Tracking;
using static TorchSharp.torch;

namespace Sbi.Tests.Tracking;

/// <summary>
/// TensorBoardTracker writes with TorchSharp's SummaryWriter; TensorBoardEvents reads the files back with its own
/// TFRecord framing, CRC-32C and protobuf decoding (no code shared with the writer). Values are compared exactly:
/// TensorBoard stores a scalar as a float32 simple_value, so what comes back must be the float32 rounding of what was
/// logged, bit for bit (a float32 widened to double is exact); steps and texts are exact by construction.
/// </summary>
public class TensorBoardTrackerTests
{
    private string _dir = "";
    [SetUp] public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "sbi-tb-" + Guid.NewGuid().ToString("N")));
    [TearDown] public void TearDown() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    [Test]
    public void EveryMetricAndParameterComesBackWithItsTagStepAndValue()
    {
        var run = Path.Combine(_dir, "run");
        var tracker = new TensorBoardTracker(run);
        Assert.That(tracker.LogDir, Is.EqualTo(run));
        var logged = new List<(string Tag, long Step, double Value)>();
        void Metric(string tag, double v, int? step) { tracker.LogMetric(tag, v, step); logged.Add((tag, step ?? 0, v)); }
        Metric("loss", 1.0 / 3.0, 0);
        Metric("loss", -4.2e-7, 1);
        Metric("loss", 1e30, 7);
        Metric("loss", double.NaN, 8);
        Metric("no_step", 2.5, null);
        Metric("big_step", -0.125, int.MaxValue);
        var several = new Dictionary<string, double> { ["a"] = 0.1, ["b"] = -12345.678 };
        tracker.LogMetrics(several, 3);
        logged.Add(("a", 3, 0.1));
        logged.Add(("b", 3, -12345.678));
        var parameters = new Dictionary<string, object?>
        {
            ["learning_rate"] = 5e-4, ["training_batch_size"] = 200, ["estimator"] = "maf", ["z_score"] = true,
            ["hidden"] = new[] { 50, 50 }, ["none"] = null, ["unicode"] = "θ ∈ [0, 1]³",
        };
        tracker.LogParams(parameters);
        tracker.Flush();

        var events = TensorBoardEvents.ReadEvents(run);
        Assert.That(events[0].FileVersion, Is.EqualTo("brain.Event:2"), "a file starts with TensorBoard's file_version event");
        var scalars = TensorBoardEvents.ReadScalars(run);
        Assert.That(scalars.Keys, Is.EquivalentTo(logged.Select(l => l.Tag).Distinct()));
        foreach (var tag in scalars.Keys)
        {
            var expected = logged.Where(l => l.Tag == tag).ToList();
            var got = scalars[tag];
            Assert.That(got.Select(p => p.Step), Is.EqualTo(expected.Select(e => e.Step)), tag);
            for (int i = 0; i < got.Count; i++)
            {
                double want = (float)expected[i].Value;
                Assert.That(double.IsNaN(want) ? double.IsNaN(got[i].Value) : got[i].Value == want, $"{tag}[{i}]: got {got[i].Value:R}, logged {expected[i].Value:R}");
            }
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.That(scalars["loss"].All(p => p.WallTime > now - 600 && p.WallTime <= now + 1), "scalar wall times are Unix seconds of now");

        var texts = TensorBoardEvents.ReadTexts(run);
        Assert.That(texts.Keys, Is.EquivalentTo(parameters.Keys.Select(k => $"params/{k}/text_summary")), "sbi's params/<name> tags (PyTorch's text suffix)");
        Assert.That(texts["params/learning_rate/text_summary"].Single(), Is.EqualTo((0L, "0.0005")));
        Assert.That(texts["params/training_batch_size/text_summary"].Single().Text, Is.EqualTo("200"));
        Assert.That(texts["params/estimator/text_summary"].Single().Text, Is.EqualTo("maf"));
        Assert.That(texts["params/z_score/text_summary"].Single().Text, Is.EqualTo("True"));
        Assert.That(texts["params/hidden/text_summary"].Single().Text, Is.EqualTo("[50, 50]"));
        Assert.That(texts["params/none/text_summary"].Single().Text, Is.EqualTo("None"));
        Assert.That(texts["params/unicode/text_summary"].Single().Text, Is.EqualTo("θ ∈ [0, 1]³"));
        var textValue = events.SelectMany(e => e.Values).First(v => v.Text is not null);
        Assert.That(textValue.PluginName, Is.EqualTo("text"), "TensorBoard's text plugin shows it");
    }

    [Test]
    public void DefaultLogDirIsSbisLayout()
    {
        var root = Path.Combine(_dir, "sbi-logs");
        var t = new DateTime(2026, 11, 28, 14, 5, 9).AddTicks(1_234_560);
        Assert.That(TensorBoardTracker.DefaultLogDir("NPE_B", root, t), Is.EqualTo(Path.Combine(root, "NPE_B", "2026-11-28T14_05_09.123456")));
        // Python's isoformat leaves the fraction out when the microseconds are 0.
        Assert.That(TensorBoardTracker.DefaultLogDir("NPE_B", root, new DateTime(2026, 1, 2, 3, 4, 5)), Is.EqualTo(Path.Combine(root, "NPE_B", "2026-01-02T03_04_05")));
        Assert.That(TensorBoardTracker.DefaultLogDir("NPE_B", null, t), Does.StartWith(Path.Combine(Directory.GetCurrentDirectory(), "sbi-logs", "NPE_B")));
        Assert.That(Assert.Throws<ArgumentException>(() => TensorBoardTracker.DefaultLogDir("../x", root, t))!.ParamName, Is.EqualTo("method"));

        var tracker = TensorBoardTracker.Default("NPE_B", root);
        Assert.That(Path.GetDirectoryName(tracker.LogDir), Is.EqualTo(Path.Combine(root, "NPE_B")));
        Assert.That(TensorBoardEvents.EventFiles(tracker.LogDir!), Has.Count.EqualTo(1), "the writer starts its event file at once, as PyTorch's");
    }

    [Test]
    public void BadLogDirectoriesAndTagsAreNamed()
    {
        var missing = Path.Combine(_dir, "nope");
        var e = Assert.Throws<ArgumentException>(() => TensorBoardEvents.ReadScalars(missing))!;
        Assert.That(e.ParamName, Is.EqualTo("logDir"));
        Assert.That(e.Message, Does.Contain(missing).And.Contain("does not exist"));

        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        Directory.CreateDirectory(Path.Combine(empty, "run1"));
        e = Assert.Throws<ArgumentException>(() => TensorBoardEvents.ReadScalars(empty))!;
        Assert.That(e.ParamName, Is.EqualTo("logDir"));
        Assert.That(e.Message, Does.Contain("no event file").And.Contain("run1"), "points at the runs below");

        var run = Path.Combine(_dir, "run");
        new TensorBoardTracker(run).LogMetric("validation_loss", 1.5, 0);
        e = Assert.Throws<ArgumentException>(() => TensorBoardEvents.ReadScalars(run, "training_loss"))!;
        Assert.That(e.ParamName, Is.EqualTo("tag"));
        Assert.That(e.Message, Does.Contain("'training_loss'").And.Contain("'validation_loss'"), "sbi's message lists the valid tags");

        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        Assert.That(Assert.Throws<ArgumentException>(() => new TensorBoardTracker(file))!.ParamName, Is.EqualTo("logDir"), "a file where the folder should be");
        Assert.That(Assert.Throws<ArgumentException>(() => new TensorBoardTracker(" "))!.ParamName, Is.EqualTo("logDir"));
        var tracker = new TensorBoardTracker(run);
        Assert.That(Assert.Throws<ArgumentException>(() => tracker.AddFigure("fig", Path.Combine(_dir, "none.png")))!.ParamName, Is.EqualTo("pngFile"));
        Assert.That(Assert.Throws<ArgumentException>(() => tracker.AddFigure("fig", file))!.Message, Does.Contain("PNG signature"));
        Assert.That(Assert.Throws<ArgumentException>(() => tracker.LogMetric("", 1.0))!.ParamName, Is.EqualTo("name"));
    }

    [Test]
    public void CorruptRecordsAreRefusedAndACutTailIsIgnored()
    {
        var run = Path.Combine(_dir, "run");
        var tracker = new TensorBoardTracker(run);
        for (int i = 0; i < 3; i++) tracker.LogMetric("x", i, i);
        var file = TensorBoardEvents.EventFiles(run).Single();
        var bytes = File.ReadAllBytes(file);

        // The last record cut in the middle (a writer still appending): the complete records before it are read.
        File.WriteAllBytes(file, bytes[..^7]);
        Assert.That(TensorBoardEvents.ReadScalars(run)["x"].Select(p => p.Step), Is.EqualTo(new long[] { 0, 1 }));

        // One flipped bit in the data of the first record: the data CRC catches it, naming the file and the offset.
        var flipped = (byte[])bytes.Clone();
        flipped[12 + 3] ^= 0x10;
        File.WriteAllBytes(file, flipped);
        var e = Assert.Throws<SbiDataException>(() => TensorBoardEvents.ReadEvents(run))!;
        Assert.That(e.Message, Does.Contain(file).And.Contain("record at byte 0").And.Contain("CRC-32C"));

        // A flipped bit in a length: the length CRC catches it before the length is used.
        flipped = (byte[])bytes.Clone();
        flipped[2] ^= 0x01;
        File.WriteAllBytes(file, flipped);
        Assert.That(Assert.Throws<SbiDataException>(() => TensorBoardEvents.ReadEvents(run))!.Message, Does.Contain("length's masked CRC-32C"));

        // Not an event file at all.
        File.WriteAllText(file, "definitely not a TFRecord file, long enough");
        Assert.Throws<SbiDataException>(() => TensorBoardEvents.ReadEvents(run));
    }

    [Test]
    public void AFigureIsStoredAsATensorBoardImage()
    {
        var png = Path.Combine(_dir, "fig.png");
        var run = Path.Combine(_dir, "run");
        // Probed without touching SkiaSharp's types: a SkiaSharp object built without the native library throws again
        // from its finalizer and ends the test process.
        if (!TensorBoardTracker.CanAddFigures)
        {
            File.WriteAllBytes(png, new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 });
            var e = Assert.Throws<InvalidOperationException>(() => new TensorBoardTracker(run).AddFigure("pairplot", png, 4))!;
            Assert.That(e.Message, Does.Contain("SkiaSharp.NativeAssets.Linux.NoDependencies"), "says which package brings the library");
            Assert.Ignore("SkiaSharp's native library is not loadable here (an application brings it with SkiaSharp.NativeAssets.Linux.NoDependencies); the clear error was checked.");
        }
        using (var bmp = new SkiaSharp.SKBitmap(5, 3))
        {
            bmp.Erase(SkiaSharp.SKColors.CornflowerBlue);
            using var data = bmp.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(png, data.ToArray());
        }
        new TensorBoardTracker(run).AddFigure("pairplot", png, 4);
        var image = TensorBoardEvents.ReadEvents(run).SelectMany(ev => ev.Values.Select(v => (ev.Step, v))).Single(t => t.v.Image is not null);
        Assert.That(image.Step, Is.EqualTo(4));
        Assert.That(image.v.Tag, Is.EqualTo("pairplot"));
        Assert.That((image.v.Image!.Width, image.v.Image.Height), Is.EqualTo((5, 3)));
        Assert.That(image.v.Image.Encoded[..4], Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47 }));
    }
}
