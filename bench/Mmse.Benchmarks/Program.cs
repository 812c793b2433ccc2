using BenchmarkDotNet.Running;

namespace Mmse.Benchmarks;

public static class Program
{
    /// <summary>
    /// BenchmarkDotNet suites: `dotnet run -c Release --project bench/Mmse.Benchmarks -- --filter '*'`.
    /// Harness modes: `gen-data DIR` writes the large catalog and log that bench/data-read.sh reads;
    /// `read-data DIR` times the catalog read, the log read and the statistics separately;
    /// `model-throughput ...` times training steps and exact evaluation;
    /// `eval-perf [items] [queries] [threads,...]` times exact top-1000 search (products vs selection);
    /// `engine-latency MODEL INDEX CATALOG QUERIES [ef,...]` times the serving engine query by query;
    /// `dump-gradients FILE` writes analytic gradients for the PyTorch cross-check.
    /// </summary>
    public static int Main(string[] args)
    {
        switch (args.Length > 0 ? args[0] : "")
        {
            case "gen-data":
                return DataGenerator.Run(args[1..]);
            case "read-data":
                return DataGenerator.TimeReads(args[1..]);
            case "model-throughput":
                ModelThroughput.Run(args);
                return 0;
            case "eval-perf":
                return EvalPerf.Run(args[1..]);
            case "engine-latency":
                return EngineLatency.Run(args[1..]);
            case "dump-gradients" when args.Length > 1:
                GradientDump.Run(args[1]);
                return 0;
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
