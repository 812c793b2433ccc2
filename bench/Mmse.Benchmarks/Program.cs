using BenchmarkDotNet.Running;

namespace Mmse.Benchmarks;

public static class Program
{
    /// <summary>
    /// BenchmarkDotNet suites: `dotnet run -c Release --project bench/Mmse.Benchmarks -- --filter '*'`.
    /// `-- gen-data DIR` writes the large catalog and log that bench/data-read.sh reads;
    /// `-- read-data DIR` times the catalog read, the log read and the statistics separately;
    /// `-- model-throughput ...` runs the training and evaluation throughput harness.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "gen-data")
            return DataGenerator.Run(args[1..]);
        if (args.Length > 0 && args[0] == "read-data")
            return DataGenerator.TimeReads(args[1..]);
        if (args.Length > 0 && args[0] == "model-throughput")
        {
            ModelThroughput.Run(args);
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
