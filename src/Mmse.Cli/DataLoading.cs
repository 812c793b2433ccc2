using Mmse.Data;

namespace Mmse.Cli;

/// <summary>Loads a catalog and a log for a command, with progress and the skip-bad report.</summary>
internal static class DataLoading
{
    public static Catalog LoadCatalog(string path, DataReadOptions options, DataProblems problems, CliContext context)
    {
        context.Progress.Start($"reading {Path.GetFileName(path)}");
        var catalog = CatalogReader.Read(path, options with { Progress = Reporter(context) }, problems);
        ReportProblems(problems, context);
        return catalog;
    }

    public static SearchLog LoadLog(string path, Catalog catalog, DataReadOptions options, DataProblems problems, CliContext context)
    {
        context.Progress.Start($"reading {Path.GetFileName(path)}");
        var before = problems.Count;
        var log = SearchLogReader.Read(path, catalog, options with { Progress = Reporter(context) }, problems);
        if (problems.Count > before)
            ReportProblems(problems, context);
        return log;
    }

    /// <summary>Loads both; <paramref name="format"/> is a --format word: auto, jsonl (CSV/TSV catalogs by extension, never JDsearch) or jdsearch.</summary>
    public static (Catalog Catalog, SearchLog Log) Load(string catalogPath, string logPath, DataReadOptions options,
        DataProblems problems, CliContext context, string format = "auto")
    {
        var catalog = LoadCatalog(catalogPath, options with { Format = CatalogFormat(catalogPath, format) }, problems, context);
        return (catalog, LoadLog(logPath, catalog, options with { Format = LogFormat(format) }, problems, context));
    }

    private static DataFormat CatalogFormat(string path, string format) => format switch
    {
        "jdsearch" => DataFormat.JdSearch,
        "jsonl" => DataFormats.Detect(path) is DataFormat.Csv or DataFormat.Tsv ? DataFormats.Detect(path) : DataFormat.Jsonl,
        _ => DataFormat.Auto,
    };

    private static DataFormat LogFormat(string format) => format switch
    {
        "jdsearch" => DataFormat.JdSearch,
        "jsonl" => DataFormat.Jsonl,
        _ => DataFormat.Auto,
    };

    private static void ReportProblems(DataProblems problems, CliContext context)
    {
        if (problems.Count == 0)
            return;
        context.Error.WriteLine($"warning: skipped {problems.Count:N0} bad record(s); the first:");
        foreach (var message in problems.First)
            context.Error.WriteLine($"  {message}");
    }

    private static SyncProgress<(long Done, long Total)> Reporter(CliContext context) =>
        new(p => context.Progress.Report(p.Done, p.Total));
}
