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

    public static (Catalog Catalog, SearchLog Log) Load(string catalogPath, string logPath, DataReadOptions options,
        DataProblems problems, CliContext context)
    {
        var catalog = LoadCatalog(catalogPath, options, problems, context);
        return (catalog, LoadLog(logPath, catalog, options, problems, context));
    }

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
