using BenchmarkDotNet.Running;

namespace Mmse.Benchmarks;

public static class Program
{
    /// <summary>
    /// BenchmarkDotNet suites: `dotnet run -c Release --project bench/Mmse.Benchmarks -- --filter '*'`.
    /// `-- gen-data DIR` writes the large catalog and log that bench/data-read.sh reads.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "gen-data")
            return DataGenerator.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
