using BenchmarkDotNet.Attributes;
using Mmse.Data;

namespace Mmse.Benchmarks;

/// <summary>
/// Reader throughput on generated files (50k items, 50k requests of about 30 items):
/// `dotnet run -c Release --project bench/Mmse.Benchmarks -- --filter '*ReaderBenchmarks*'`.
/// The 1M-scale end-to-end measurement is bench/data-read.sh.
/// </summary>
[MemoryDiagnoser]
public class ReaderBenchmarks
{
    private string _dir = "";
    private string _catalogPath = "";
    private string _logPath = "";
    private Catalog _catalog = null!;
    private SearchLog _log = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "mmse-reader-bench");
        _catalogPath = Path.Combine(_dir, "catalog.jsonl");
        _logPath = Path.Combine(_dir, "log.jsonl");
        Directory.CreateDirectory(_dir);
        DataGenerator.Generate(_catalogPath, _logPath, items: 50_000, requests: 50_000, perRequest: 30, seed: 1);
        _catalog = CatalogReader.Read(_catalogPath);
        _log = SearchLogReader.Read(_logPath, _catalog);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark]
    public int ReadCatalog() => CatalogReader.Read(_catalogPath).Count;

    [Benchmark]
    public int ReadLog() => SearchLogReader.Read(_logPath, _catalog).Count;

    [Benchmark]
    public long Statistics() => LogStatistics.Compute(_catalog, _log).InconsistentPairs;
}
