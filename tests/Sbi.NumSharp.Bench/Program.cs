// Reads one float32 array (default 100,000 x 10, 4 MB) with the project's reader and with NumSharp's np.load, as .npy
// (C and Fortran order) and .npz (stored and deflated), each alone and then into a TorchSharp tensor (Npy.Read +
// ToTensor copies once; np.load + ToTensor shares the buffer). Prints the median and the fastest of --reps timed reads
// after two untimed ones, per file kind and reader.
//   dotnet run -c Release --project tests/Sbi.NumSharp.Bench -- [--rows 100000] [--cols 10] [--reps 30]
using System.Diagnostics;
using NumSharp;
using Sbi.Data;
using Sbi.NumSharp;
using Sbi.Numpy;
using static TorchSharp.torch;

long rows = Arg("--rows", 100_000), cols = Arg("--cols", 10);
int reps = (int)Arg("--reps", 30);
var dir = Directory.CreateTempSubdirectory("sbi-numsharp-bench-").FullName;
try
{
    var rng = new Random(0);
    var values = new float[rows * cols];
    for (long i = 0; i < values.LongLength; i++) values[i] = (float)rng.NextDouble();
    var c = NpyArray.FromFloat32(values, new[] { rows, cols });
    string npy = Path.Combine(dir, "c.npy"), fnpy = Path.Combine(dir, "f.npy"), npz = Path.Combine(dir, "stored.npz"), npzc = Path.Combine(dir, "deflated.npz");
    Npy.Write(npy, c);
    using (var a = np.load_npy(npy))
    using (var f = np.asfortranarray(a))
        np.save(fnpy, f); // NumSharp writes fortran_order: True for an F-contiguous array, as numpy does
    Npz.Write(npz, new[] { KeyValuePair.Create("x", c) });
    Npz.Write(npzc, new[] { KeyValuePair.Create("x", c) }, compressed: true);

    // The timings are of equal work: both readers give the same values from every file.
    foreach (var path in new[] { npy, fnpy })
    {
        using var scope = NewDisposeScope();
        using var theirs = np.load_npy(path);
        if (!theirs.ToTensor().equal(Npy.Read(path).ToTensor()).all().item<bool>()) throw new InvalidOperationException($"{path}: the readers disagree");
    }
    Console.WriteLine($"{rows} x {cols} float32 ({rows * cols * 4 / 1e6:F1} MB of data), {reps} timed reads each, {Environment.ProcessorCount} CPUs");
    Console.WriteLine($"{"file",-22} {"reader",-34} {"median ms",10} {"min ms",8}");
    foreach (var (name, path) in new[] { ("npy, C order", npy), ("npy, Fortran order", fnpy) })
    {
        Row(name, "Sbi.Numpy Npy.Read", () => Npy.Read(path));
        Row(name, "NumSharp np.load_npy", () => np.load_npy(path).Dispose());
        Row(name, "Npy.Read + ToTensor (1 copy)", () => { using var t = Npy.Read(path).ToTensor(); });
        Row(name, "np.load_npy + ToTensor (shared)", () => { using var a = np.load_npy(path); using var t = a.ToTensor(); });
    }
    foreach (var (name, path) in new[] { ("npz, stored", npz), ("npz, deflated", npzc) })
    {
        Row(name, "Sbi.Numpy NpzFile.Load", () => NpzFile.Load(path));
        Row(name, "NumSharp np.load_npz", () => { var z = np.load_npz(path); z["x"].Dispose(); (z as IDisposable)?.Dispose(); });
    }
}
finally
{
    Directory.Delete(dir, true);
}

void Row(string file, string reader, Action read)
{
    read();
    read();
    var ms = new double[reps];
    for (int i = 0; i < reps; i++)
    {
        var sw = Stopwatch.StartNew();
        read();
        ms[i] = sw.Elapsed.TotalMilliseconds;
    }
    Array.Sort(ms);
    Console.WriteLine($"{file,-22} {reader,-34} {ms[reps / 2],10:F2} {ms[0],8:F2}");
}

long Arg(string name, long fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1]) : fallback;
}
