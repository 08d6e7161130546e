using static TorchSharp.torch;
TorchSharp.torch.manual_seed(42);
Console.WriteLine(string.Join(",", randn(3).data<float>().ToArray()));
