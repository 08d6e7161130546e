using NUnit.Framework;
using Sbi.Bench.Sbibm;

namespace Sbi.Bench.Tests.Sbibm;

/// <summary>The trimmed sbibm reference files next to the test assembly (data/sbibm/&lt;task&gt;.npz).</summary>
internal static class ReferenceData
{
    public static string Folder => Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "sbibm");

    public static SbibmReference Load(SbibmTask task) => SbibmReference.Load(SbibmReference.PathIn(Folder, task), task);
}
