using Sbi.Cli;
using Sbi.Cli.Commands;

return Cli.Run(args);

namespace Sbi.Cli
{
    internal static class Cli
    {
        public const string Usage = """
            sbi-net: neural posterior estimation (NPE-B, as in Python sbi) for .NET

            Commands:
              demo                  sbi's NPE-B example end to end (BoxUniform [0,1]^3, 5 rounds x 100 simulations)
                                    options: --seed N --rounds N --sims N --estimator maf|nsf|mdn|made --threads N
              bench train           Gaussian linear task (D=5, 10,000 simulations): epochs, s/epoch, sampling, C2ST
                                    options: --estimator --sims --threads --seed --max-epochs [--autograd: no fused MAF kernel]
              train                 NPE-B on saved simulations; writes a model file (.npz)
                                    options: --theta theta.npy --x x.npy | --data data.npz|.pt|.pkl [--theta-name --x-name]
                                             --prior box:LOW,HIGH|normal[:MEAN,STD] --estimator maf --out model.npz
                                             [--x-o VALUES|x.npy --seed --threads --batch-size --lr --max-epochs]
              sample                posterior samples: --package pkgdir (ONNX Runtime) | --model model.npz (TorchSharp)
                                    [--x VALUES|x.npy] -n N --out samples.npy [--seed N --threads N]
              export                ONNX posterior package from a model file: --model model.npz --out pkgdir [--no-prune]
              bench sample          samples/s and log-probs/s, ONNX Runtime vs TorchSharp, 1 and 2 threads
                                    options: --estimator maf --sims 10000 --n 100000 --threads 1,2 [--model model.npz]
              bench gpu             CUDA smoke test (every op, CPU vs GPU) and epoch/sampling timings on the device
                                    options: --device cuda|cpu --sims 100000 --epochs 3 --batches 200,2000,20000
                                             --samples 1000000 --threads N --skip-smoke
            """;

        public static int Run(string[] args)
        {
            // Pickled simulations (.pkl) are read through an embedded Python (the opt-in Sbi.Numpy.Python package).
            Sbi.Data.SimulationData.PickleLoader = Sbi.Numpy.Python.PythonPickle.Load;
            try
            {
                if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
                {
                    Console.WriteLine(Usage);
                    return args.Length == 0 ? 2 : 0;
                }
                return args[0] switch
                {
                    "demo" => DemoCommand.Run(new CliArgs(args[1..])),
                    "train" => TrainCommand.Run(new CliArgs(args[1..])),
                    "sample" => SampleCommand.Run(new CliArgs(args[1..])),
                    "export" => ExportCommand.Run(new CliArgs(args[1..])),
                    "bench" when args.Length > 1 && args[1] == "sample" => BenchSampleCommand.Run(new CliArgs(args[2..])),
                    "bench" when args.Length > 1 && args[1] == "train" => BenchTrainCommand.Run(new CliArgs(args[2..])),
                    "bench" when args.Length > 1 && args[1] == "gpu" => BenchGpuCommand.Run(new CliArgs(args[2..])),
                    _ => throw new CliException($"unknown command '{string.Join(' ', args.Take(2))}'"),
                };
            }
            catch (CliException e)
            {
                Console.Error.WriteLine($"sbi-net: {e.Message}");
                Console.Error.WriteLine(Usage);
                return 2;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or TimeoutException)
            {
                Console.Error.WriteLine($"sbi-net: error: {e.Message}");
                return 1;
            }
        }
    }
}
