using System.Runtime.InteropServices;
using System.Text.Json;
using NUnit.Framework;
using Sbi.Numpy;

namespace Sbi.Cli.Tests;

/// <summary>CliErrors: each class of exception gets its exit code and one line; libtorch's backtrace is cut.</summary>
public class ErrorMappingTests
{
    private static IEnumerable<TestCaseData> Failures()
    {
        yield return new TestCaseData(new ArgumentException("bad argument"));
        yield return new TestCaseData(new InvalidDataException("bad data"));
        yield return new TestCaseData(new SbiDataException("f.npz", "bad member"));
        yield return new TestCaseData(new FileNotFoundException("no such file"));
        yield return new TestCaseData(new DirectoryNotFoundException("no such folder"));
        yield return new TestCaseData(new UnauthorizedAccessException("denied"));
        yield return new TestCaseData(new FormatException("not a number"));
        yield return new TestCaseData(new JsonException("bad json"));
        yield return new TestCaseData(new TimeoutException("too slow"));
        yield return new TestCaseData(new InvalidOperationException("wrong state"));
        yield return new TestCaseData(new NotSupportedException("unsupported"));
        yield return new TestCaseData(new OverflowException("too big"));
    }

    [TestCaseSource(nameof(Failures))]
    public void BadDataAndRuntimeFailuresExitOneWithTheirMessage(Exception e)
    {
        var (code, text) = CliErrors.Describe(e);
        Assert.That(code, Is.EqualTo(ExitCodes.Failure));
        Assert.That(text, Is.EqualTo("sbi-net: error: " + e.Message));
    }

    [Test]
    public void OnnxRuntimeErrorsExitOne()
    {
        // A real one: ONNX Runtime refusing bytes that are not a model.
        var e = Assert.Catch(() => new Microsoft.ML.OnnxRuntime.InferenceSession(new byte[] { 1, 2, 3, 4 }).Dispose());
        Assert.That(e, Is.InstanceOf<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>());
        Assert.That(CliErrors.Describe(e!), Is.EqualTo((1, "sbi-net: error: " + e!.Message)));
    }

    [Test]
    public void LibtorchErrorsKeepOnlyTheirFirstLine()
    {
        var e = new ExternalException("shape '[3]' is invalid for input of size 4\nException raised from infer_size_impl at aten/src/ATen/InferSize.h:90\nframe #0: c10::Error::Error");
        var (code, text) = CliErrors.Describe(e);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(text, Is.EqualTo("sbi-net: error: shape '[3]' is invalid for input of size 4"));
    }

    [Test]
    public void OutOfMemorySuggestsASmallerCount()
    {
        var (code, text) = CliErrors.Describe(new OutOfMemoryException());
        Assert.That(code, Is.EqualTo(1));
        Assert.That(text, Does.StartWith("sbi-net: error: out of memory").And.Contain("fewer samples"));
    }

    [Test]
    public void AnythingElseIsAnInternalErrorNamingItsType()
    {
        var (code, text) = CliErrors.Describe(new NullReferenceException("oops"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(text, Is.EqualTo("sbi-net: internal error: System.NullReferenceException: oops"));
    }

    [Test]
    public void UsageAndCancellationHaveTheirOwnCodes()
    {
        Assert.That(CliErrors.Describe(new UsageException("--x-o has 3 value(s)")), Is.EqualTo((2, "sbi-net: error: --x-o has 3 value(s)")));
        Assert.That(CliErrors.Describe(new OperationCanceledException()).Code, Is.EqualTo(130));
    }

    [Test]
    public void ReportUnwrapsWrappersAndAddsTheTraceOnlyWhenVerbose()
    {
        Exception thrown;
        try { throw new InvalidDataException("inner message"); }
        catch (Exception e) { thrown = new System.Reflection.TargetInvocationException(e); }
        using var quiet = new StringWriter();
        Assert.That(CliErrors.Report(thrown, quiet, verbose: false, "hint"), Is.EqualTo(1));
        Assert.That(quiet.ToString(), Is.EqualTo("sbi-net: error: inner message" + Environment.NewLine));
        using var loud = new StringWriter();
        CliErrors.Report(thrown, loud, verbose: true, "hint");
        Assert.That(loud.ToString(), Does.StartWith("sbi-net: error: inner message").And.Contain("   at "));
    }
}
