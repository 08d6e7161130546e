using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Utils;

/// <summary>
/// The library's logging through <see cref="ILogger"/>: each message at its level and with its area's event id, sbi's
/// <c>logging_level</c> as the trainer's filter, silence with <see cref="NullLogger"/> or <c>"none"</c>, the default's
/// lines on standard error. One trainer run logs a warning (a θ row outside the box prior, <c>AppendSimulations</c>) and
/// an information line (sbi's round summary, <c>showTrainSummary</c>).
/// </summary>
[NonParallelizable]
public class LoggingTests
{
    private const string OutsideSupport = "outside the prior's support";

    /// <summary>Appends 100 simulations of the box [0, 1]² with one θ row outside it, trains two epochs and prints sbi's summary.</summary>
    private static void WarnAndInform(ILogger? logger, LoggingLevel? loggingLevel = null)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var prior = new BoxUniform(zeros(2), ones(2));
        var npe = new NpeB(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 8, NumTransforms = 1 }),
                           showProgressBars: false, logger: logger, loggingLevel: loggingLevel);
        var theta = prior.Sample(100);
        theta[0, 0] = tensor(2f);
        npe.AppendSimulations(theta, theta + 0.1 * randn_like(theta)).Train(maxNumEpochs: 1, showTrainSummary: true);
    }

    [Test]
    public void WarningsAndInformationArriveAtTheirLevelsWithTheirEvents()
    {
        var log = new ListLogger();
        WarnAndInform(log);
        var warning = log.Entries.Single(e => e.Message.Contains(OutsideSupport));
        Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warning.EventId, Is.EqualTo(LogEvents.Simulations));
        var summary = log.Entries.Single(e => e.Message.Contains("STATS"));
        Assert.That(summary.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(summary.EventId, Is.EqualTo(LogEvents.Training));
    }

    [TestCase("WARNING")]
    [TestCase("warning")]
    [TestCase(30)]
    public void AWarningLevelDropsTheInformationLines(object level)
    {
        var log = new ListLogger();
        WarnAndInform(log, level is int n ? n : (string)level);
        Assert.That(log.Warnings, Has.One.Contains(OutsideSupport));
        Assert.That(log.Infos, Is.Empty, "sbi's round summary is an information line");
    }

    [TestCase("ERROR")]
    [TestCase(40)]
    [TestCase("CRITICAL")]
    [TestCase("none")]
    public void AnErrorLevelDropsTheWarningsToo(object level)
    {
        var log = new ListLogger();
        WarnAndInform(log, level is int n ? n : (string)level);
        Assert.That(log.Entries, Is.Empty, string.Join("\n", log.Entries));
    }

    [Test]
    public void DebugAndInfoLevelsKeepEverything()
    {
        foreach (LoggingLevel level in new LoggingLevel[] { "DEBUG", "INFO", 0, LogLevel.Trace })
        {
            var log = new ListLogger();
            WarnAndInform(log, level);
            Assert.That(log.Warnings, Has.One.Contains(OutsideSupport), level.ToString());
            Assert.That(log.Infos, Has.One.Contains("STATS"), level.ToString());
        }
    }

    /// <summary>The default logger writes sbi's lines to whatever standard error is; NullLogger and "none" leave it empty.</summary>
    [Test]
    public void NullLoggerAndLevelNoneLeaveStandardErrorEmptyWhileTheDefaultWritesThere()
    {
        var original = Console.Error;
        try
        {
            var silent = new StringWriter();
            Console.SetError(silent);
            WarnAndInform(NullLogger.Instance);
            WarnAndInform(null, "none");
            WarnAndInform(NullLogger.Instance, "DEBUG");
            Assert.That(silent.ToString(), Is.Empty);

            var shown = new StringWriter();
            Console.SetError(shown);
            WarnAndInform(null);
            var lines = shown.ToString().Split(Environment.NewLine);
            Assert.That(lines, Has.One.StartsWith("WARNING: ").And.Contains(OutsideSupport), shown.ToString());
            Assert.That(lines, Has.One.StartsWith("||||| ROUND 1 STATS"), "information lines are printed bare, as sbi prints them");
        }
        finally
        {
            Console.SetError(original);
        }
    }

    [TestCase("verbose", "'verbose'")]
    [TestCase("", "''")]
    [TestCase(-1, "-1")]
    [TestCase((LogLevel)42, "LogLevel 42")]
    public void AnUnknownLoggingLevelIsRefusedNamingIt(object level, string shown)
    {
        using var prior = new BoxUniform(zeros(2), ones(2));
        LoggingLevel value = level switch { int n => n, LogLevel l => l, _ => (string)level };
        var e = Assert.Throws<ArgumentException>(() => new NpeB(prior, loggingLevel: value))!;
        Assert.That(e.ParamName, Is.EqualTo("loggingLevel"));
        Assert.That(e.Message, Does.Contain("got " + shown).And.Contain("DEBUG, INFO, WARNING, ERROR, CRITICAL"));
    }

    /// <summary>Python shows a record whose level number is at least the threshold; Microsoft's levels sit at 5, 10, …, 50.</summary>
    [TestCase("NOTSET", LogLevel.Trace)]
    [TestCase("debug", LogLevel.Debug)]
    [TestCase("Info", LogLevel.Information)]
    [TestCase("WARN", LogLevel.Warning)]
    [TestCase(" ERROR ", LogLevel.Error)]
    [TestCase("FATAL", LogLevel.Critical)]
    [TestCase("NONE", LogLevel.None)]
    [TestCase(0, LogLevel.Trace)]
    [TestCase(10, LogLevel.Debug)]
    [TestCase(11, LogLevel.Information)]
    [TestCase(20, LogLevel.Information)]
    [TestCase(25, LogLevel.Warning)]
    [TestCase(50, LogLevel.Critical)]
    [TestCase(51, LogLevel.None)]
    public void PythonNamesAndNumbersMapToTheLeastSevereLevelTheyKeep(object level, LogLevel expected)
    {
        LoggingLevel value = level is int n ? n : (string)level;
        Assert.That(value.ToLogLevel(), Is.EqualTo(expected));
    }

    [Test]
    public void TextWriterLoggerWritesOneLinePerMessageWithPythonsLevelNames()
    {
        var w = new StringWriter();
        var logger = new TextWriterLogger(w, LogLevel.Information);
        // The library's messages are interpolated strings, braces included (shapes, sets): they are text, not templates.
        string braces = $"plain {{{w.GetType().Name}}}";
        logger.LogDebug("dropped");
        logger.LogInformation(braces);
        logger.LogWarning(LogEvents.Sampling, "careful");
        logger.LogError("failed");
        Assert.That(w.ToString().Split(Environment.NewLine),
                    Is.EqualTo(new[] { "plain {StringWriter}", "WARNING: careful", "ERROR: failed", "" }));
        Assert.That(logger.IsEnabled(LogLevel.Debug), Is.False);
        Assert.That(logger.IsEnabled(LogLevel.None), Is.False);
    }

    [Test]
    public void TrainReportsEveryEpochThroughProgress()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var prior = MultivariateNormal.Standard(2);
        var npe = new NpeB(prior, PosteriorNn.Build(new DensityEstimatorOptions { HiddenFeatures = 8, NumTransforms = 1 }),
                           showProgressBars: false, logger: NullLogger.Instance);
        var theta = prior.Sample(100);
        var reports = new List<EpochInfo>();
        npe.AppendSimulations(theta, theta + 0.1 * randn_like(theta)).Train(maxNumEpochs: 4, progress: new InlineProgress<EpochInfo>(reports.Add));
        Assert.That(reports.Select(r => r.Epoch), Is.EqualTo(Enumerable.Range(1, npe.Summary.EpochsTrained[0])));
        Assert.That(reports.Select(r => r.Round), Is.All.EqualTo(0));
        Assert.That(reports.Select(r => r.TrainingLoss), Is.EqualTo(npe.Summary.TrainingLoss));
        Assert.That(reports.Select(r => r.ValidationLoss), Is.EqualTo(npe.Summary.ValidationLoss));
        Assert.That(reports.Select(r => r.Seconds), Is.EqualTo(npe.Summary.EpochDurationsSec));
        Assert.That(reports[^1].BestValidationLoss, Is.EqualTo(npe.Summary.ValidationLoss.Min()));
        for (int i = 0; i < reports.Count; i++)
        {
            // Each epoch's clock runs inside the call's: same Stopwatch ticks, so the comparison is exact.
            Assert.That(reports[i].ElapsedSeconds, Is.GreaterThanOrEqualTo(reports[i].Seconds));
            if (i > 0) Assert.That(reports[i].ElapsedSeconds, Is.GreaterThanOrEqualTo(reports[i - 1].ElapsedSeconds));
        }
    }
}
