using System.Text.RegularExpressions;
using System.Xml.Linq;
using NUnit.Framework;

namespace Sbi.Tests.Architecture;

/// <summary>
/// The layout the README's "Code layout" picture promises, checked on the sources: projects point one way (no src
/// project references a test project; file formats and ONNX serving carry no TorchSharp; only Sbi.Numpy.Python
/// carries pythonnet; only Sbi.Plots carries ScottPlot and SkiaSharp; only Sbi.NumSharp carries NumSharp), internals are shown to test assemblies only, and Sbi.Net's folders (one namespace each) form
/// no cycle.
/// </summary>
public class LayeringTests
{
    private static readonly string Root = RepoRoot();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sbi.Net.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Sbi.Net.sln above {AppContext.BaseDirectory}");
    }

    private static IEnumerable<string> SrcProjects() =>
        Directory.GetFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories).OrderBy(p => p);

    private static IEnumerable<string> Items(string csproj, string item) =>
        XDocument.Load(csproj).Descendants(item).Select(e => (string?)e.Attribute("Include")).OfType<string>();

    private static string FullPath(string csproj, string include) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(csproj)!, include.Replace('\\', '/')));

    /// <summary>The project and every project it references, directly or not.</summary>
    private static HashSet<string> Closure(string csproj)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([Path.GetFullPath(csproj)]);
        while (stack.TryPop(out var p))
            if (seen.Add(p))
                foreach (var r in Items(p, "ProjectReference")) stack.Push(FullPath(p, r));
        return seen;
    }

    private static HashSet<string> Packages(string csproj) =>
        Closure(csproj).SelectMany(p => Items(p, "PackageReference")).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static string Src(string project) => Path.Combine(Root, "src", project, project + ".csproj");

    [Test]
    public void NoSourceProjectReferencesATestProject()
    {
        var tests = Path.Combine(Root, "tests") + Path.DirectorySeparatorChar;
        var offending = SrcProjects().SelectMany(p => Closure(p).Where(r => r.StartsWith(tests, StringComparison.Ordinal))
                                                             .Select(r => $"{Path.GetFileName(p)} → {r}")).ToList();
        Assert.That(offending, Is.Empty);
    }

    [TestCase("Sbi.Format")]
    [TestCase("Sbi.Numpy")]
    [TestCase("Sbi.Onnx")]
    public void FileFormatsAndOnnxServingCarryNoTorchSharp(string project)
    {
        Assert.That(Packages(Src(project)).Where(p => p.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase)
                                                      || p.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)), Is.Empty);
    }

    [Test]
    public void OnlyTheOptInLoaderCarriesPythonnet()
    {
        var carriers = SrcProjects().Where(p => Items(p, "PackageReference").Contains("pythonnet", StringComparer.OrdinalIgnoreCase))
                                    .Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.That(carriers, Is.EqualTo(new[] { "Sbi.Numpy.Python" }));
        Assert.That(Packages(Src("Sbi.Net")), Does.Not.Contain("pythonnet"));
    }

    [Test]
    public void OnlyThePlotsCarryTheDrawingStack()
    {
        static bool Drawing(string p) => p.StartsWith("ScottPlot", StringComparison.OrdinalIgnoreCase)
                                         || p.StartsWith("SkiaSharp", StringComparison.OrdinalIgnoreCase)
                                         || p.StartsWith("HarfBuzzSharp", StringComparison.OrdinalIgnoreCase);
        var carriers = SrcProjects().Where(p => Items(p, "PackageReference").Any(Drawing)).Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.That(carriers, Is.EqualTo(new[] { "Sbi.Plots" }));
        foreach (var project in new[] { "Sbi.Net", "Sbi.Format", "Sbi.Numpy", "Sbi.Onnx", "Sbi.Bench" })
            Assert.That(Packages(Src(project)).Where(Drawing), Is.Empty, $"{project} draws nothing");
    }

    [Test]
    public void OnlyTheBridgeCarriesNumSharp()
    {
        var carriers = SrcProjects().Where(p => Items(p, "PackageReference").Contains("NumSharp", StringComparer.OrdinalIgnoreCase))
                                    .Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.That(carriers, Is.EqualTo(new[] { "Sbi.NumSharp" }));
        foreach (var project in new[] { "Sbi.Net", "Sbi.Numpy", "Sbi.Onnx", "Sbi.Cli" })
            Assert.That(Packages(Src(project)), Does.Not.Contain("NumSharp"), $"{project} does not pull NumSharp in");
    }

    [Test]
    public void InternalsAreVisibleToTestAssembliesOnly()
    {
        var grants = SrcProjects().SelectMany(p => Items(p, "InternalsVisibleTo").Select(a => (Project: p, Assembly: a))).ToList();
        var attribute = new Regex(@"InternalsVisibleTo\(\s*""([^""]+)""");
        foreach (var file in SourceFiles(Path.Combine(Root, "src")))
            foreach (Match m in attribute.Matches(File.ReadAllText(file)))
                grants.Add((file, m.Groups[1].Value));
        Assert.That(grants, Is.Not.Empty, "the scan found the csproj grants");
        var offending = grants.Where(g => !g.Assembly.EndsWith(".Tests", StringComparison.Ordinal))
                              .Select(g => $"{g.Project} → {g.Assembly}").ToList();
        Assert.That(offending, Is.Empty);
    }

    [Test]
    public void EveryFolderOfSbiNetIsOneNamespace()
    {
        var src = Path.Combine(Root, "src", "Sbi.Net");
        var mismatched = SourceFiles(src).Select(f => (File: f, Namespace: NamespaceOf(f), Expected: ExpectedNamespace(src, f)))
                                         .Where(t => t.Namespace != t.Expected)
                                         .Select(t => $"{Path.GetRelativePath(src, t.File)}: {t.Namespace} (expected {t.Expected})").ToList();
        Assert.That(mismatched, Is.Empty);
    }

    [Test]
    public void SbiNetFoldersFormNoCycle()
    {
        var graph = FolderGraph(Path.Combine(Root, "src", "Sbi.Net"));
        Assert.That(graph.Keys, Does.Contain("Sbi.Estimators").And.Contain("Sbi.Nn.Fused"), "the scan read the folders");
        Assert.That(graph["Sbi.Families"], Does.Contain("Sbi.Nn.Fused"), "the scan sees namespace imports");
        var cycle = FindCycle(graph);
        Assert.That(cycle, Is.Null, cycle is null ? "" : "folder cycle: " + string.Join(" → ", cycle));
    }

    [Test]
    public void TheCycleSearchFindsACycle()
    {
        var graph = new Dictionary<string, HashSet<string>>
        {
            ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"],
        };
        Assert.That(FindCycle(graph), Is.EqualTo(new[] { "A", "B", "C", "A" }));
        graph["C"].Clear();
        Assert.That(FindCycle(graph), Is.Null);
    }

    private static IEnumerable<string> SourceFiles(string dir) =>
        Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories)
                 .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                             && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    private static string? NamespaceOf(string file) =>
        Regex.Match(File.ReadAllText(file), @"^namespace\s+([\w.]+)", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : null;

    private static string ExpectedNamespace(string projectDir, string file)
    {
        var folder = Path.GetRelativePath(projectDir, Path.GetDirectoryName(file)!);
        return folder == "." ? "Sbi" : "Sbi." + folder.Replace(Path.DirectorySeparatorChar, '.');
    }

    /// <summary>Namespace → the other Sbi.Net namespaces its files import (<c>using</c>) or name (<c>Sbi.X.Type</c>).</summary>
    internal static Dictionary<string, HashSet<string>> FolderGraph(string projectDir)
    {
        var files = SourceFiles(projectDir).Select(f => (Namespace: NamespaceOf(f)!, Text: StripComments(File.ReadAllText(f))))
                                           .Where(f => f.Namespace is not null).ToList();
        var namespaces = files.Select(f => f.Namespace).Distinct().ToList();
        var graph = namespaces.ToDictionary(n => n, _ => new HashSet<string>());
        foreach (var (ns, text) in files)
            foreach (Match token in Regex.Matches(text, @"(?<![\w.])Sbi(\.\w+)+"))
            {
                // The longest namespace the dotted name starts with: Sbi.Nn.Fused.MafSampler names Sbi.Nn.Fused.
                var named = namespaces.Where(n => token.Value == n || token.Value.StartsWith(n + ".", StringComparison.Ordinal))
                                      .MaxBy(n => n.Length);
                if (named is not null && named != ns) graph[ns].Add(named);
            }
        return graph;
    }

    // Comments, strings and the file's own namespace declaration name no dependency.
    private static string StripComments(string text) =>
        Regex.Replace(text, @"//.*?$|/\*.*?\*/|""(?:\\.|[^""\\])*""|^namespace\s+[\w.]+", "", RegexOptions.Multiline | RegexOptions.Singleline);

    internal static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>();   // 1 on the path, 2 done
        var path = new List<string>();
        List<string>? Visit(string n)
        {
            state[n] = 1;
            path.Add(n);
            foreach (var m in graph[n].OrderBy(x => x))
            {
                if (state.GetValueOrDefault(m) == 1) return path.SkipWhile(x => x != m).Append(m).ToList();
                if (state.GetValueOrDefault(m) == 0 && Visit(m) is { } c) return c;
            }
            path.RemoveAt(path.Count - 1);
            state[n] = 2;
            return null;
        }
        foreach (var n in graph.Keys.OrderBy(x => x))
            if (state.GetValueOrDefault(n) == 0 && Visit(n) is { } cycle) return cycle;
        return null;
    }
}
