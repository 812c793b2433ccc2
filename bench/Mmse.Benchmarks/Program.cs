using BenchmarkDotNet.Running;

namespace Mmse.Benchmarks;

public static class Program
{
    /// <summary>BenchmarkDotNet suites; `dotnet run -c Release --project bench/Mmse.Benchmarks -- --filter '*'`.</summary>
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "model-throughput")
            ModelThroughput.Run(args);
        else if (args.Length > 1 && args[0] == "dump-gradients")
            GradientDump.Run(args[1]);
        else
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
