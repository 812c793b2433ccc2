using System.CommandLine;
using System.Text.Json;
using Mmse.Data;
using Mmse.Internals;

namespace Mmse.Cli.Commands;

internal sealed class DataStatsCommand : Command
{
    public override string Name => "data stats";

    public override string Summary => "Counts per level, per-request shapes and inconsistencies of a search log";

    public override string Help => """
        Usage: mmse data stats --catalog FILE --log FILE [--json OUT] [--skip-bad] [--top N] [--format F]

        Reads a catalog (JSONL, CSV or TSV) and a search log (JSONL), or the JDsearch dataset's
        product_data.txt and release_data.txt, and reports: displayed items per level (order,
        cart, click, none), requests with and without a positive, items per
        request (mean, p50, p95, max), distinct queries, unknown item ids, duplicate items within a
        request, inconsistent pairs (the same query and item acted on in one request and ignored in
        another) and the top queries.

        Options:
          --catalog FILE   the catalog (.jsonl, .csv, .tsv or product_data.txt)     (required)
          --log FILE       the search log (.jsonl or release_data.txt)              (required)
          --json OUT       also write the statistics as JSON to OUT
          --skip-bad       count bad records, show the first few, and keep reading
          --top N          how many top queries to list                            (default 10)
          --format F       auto, jsonl or jdsearch                                 (default auto)
                           auto: JDsearch for product_data*.txt / release_data*.txt, CSV/TSV by
                           extension, else JSONL; jsonl: never JDsearch; jdsearch: both files
                           are JDsearch whatever their names
          --jd-history     JDsearch only: also read each line's user history as requests

        Examples:
          mmse data stats --catalog data/catalog.jsonl --log data/train.jsonl --json stats.json
          mmse data stats --catalog JDsearch/product_data.txt --log JDsearch/release_data.txt
        """;

    private readonly Option<string?> _catalog = CliOptions.Text("--catalog");
    private readonly Option<string?> _log = CliOptions.Text("--log");
    private readonly Option<string?> _json = CliOptions.Text("--json");
    private readonly Option<bool> _skipBad = CliOptions.Flag("--skip-bad");
    private readonly Option<int> _top = CliOptions.Int("--top", 10, 0, 1000);
    private readonly Option<string> _format = CliOptions.Choice("--format", "auto", "auto", "jsonl", "jdsearch");
    private readonly Option<bool> _jdHistory = CliOptions.Flag("--jd-history");

    public override int Run(ParseResult args, CliContext context)
    {
        var catalogPath = args.Required(_catalog);
        var logPath = args.Required(_log);
        var jsonPath = args.GetValue(_json);
        var skipBad = args.GetValue(_skipBad);
        var top = args.GetValue(_top);
        var format = args.GetValue(_format)!;
        var jdHistory = args.GetValue(_jdHistory);
        new OutputGuard().Input("--catalog", catalogPath).Input("--log", logPath).File("--json", jsonPath).Check();

        var options = new DataReadOptions { SkipBad = skipBad, JdSearch = new JdSearchOptions { IncludeHistory = jdHistory } };
        var problems = new DataProblems(options.MaxReportedProblems);
        var loaded = DataLoading.Load(catalogPath, logPath, options, problems, context, format);
        var stats = LogStatistics.Compute(loaded.Catalog, loaded.Log, top);

        var o = context.Out;
        o.WriteLine($"catalog            {catalogPath}: {stats.CatalogItems:N0} items ({stats.DisplayedItems:N0} displayed at least once)");
        o.WriteLine($"log                {logPath}: {stats.Requests:N0} requests, {stats.DistinctQueries:N0} distinct queries");
        var displayed = Math.Max(1, stats.Order + stats.Cart + stats.Click + stats.None);
        o.WriteLine("displayed items by level:");
        o.WriteLine($"  order            {stats.Order,12:N0}  {100.0 * stats.Order / displayed,6:F2}%");
        o.WriteLine($"  cart             {stats.Cart,12:N0}  {100.0 * stats.Cart / displayed,6:F2}%");
        o.WriteLine($"  click            {stats.Click,12:N0}  {100.0 * stats.Click / displayed,6:F2}%");
        o.WriteLine($"  none             {stats.None,12:N0}  {100.0 * stats.None / displayed,6:F2}%");
        var requests = Math.Max(1, stats.Requests);
        o.WriteLine($"requests with a positive (order/cart/click) {stats.RequestsWithPositive:N0} ({100.0 * stats.RequestsWithPositive / requests:F1}%), without {stats.Requests - stats.RequestsWithPositive:N0}");
        o.WriteLine($"requests with an order                      {stats.RequestsWithOrder:N0} ({100.0 * stats.RequestsWithOrder / requests:F1}%)");
        o.WriteLine($"items per request  mean {stats.ItemsPerRequestMean:F1}, p50 {stats.ItemsPerRequestP50}, p95 {stats.ItemsPerRequestP95}, max {stats.ItemsPerRequestMax}");
        o.WriteLine($"unknown item ids   {stats.UnknownItemIds:N0}");
        o.WriteLine($"duplicate items within a request {stats.DuplicateItemsInRequest:N0}");
        o.WriteLine($"inconsistent pairs {stats.InconsistentPairs:N0} (query+item acted on in one request, ignored in another)");
        if (problems.Count > 0)
            o.WriteLine($"bad records skipped {problems.Count:N0}");
        if (stats.TopQueries.Count > 0)
        {
            o.WriteLine("top queries:");
            foreach (var (query, count) in stats.TopQueries)
                o.WriteLine($"  {count,8:N0}  {query}");
        }

        if (jsonPath is not null)
            WriteJson(jsonPath, stats, problems.Count);
        return ExitCodes.Ok;
    }

    private static void WriteJson(string path, LogStatistics s, long badRecords)
    {
        var document = new Dictionary<string, object>
        {
            ["requests"] = s.Requests,
            ["distinct_queries"] = s.DistinctQueries,
            ["catalog_items"] = s.CatalogItems,
            ["displayed_items"] = s.DisplayedItems,
            ["levels"] = new Dictionary<string, long> { ["order"] = s.Order, ["cart"] = s.Cart, ["click"] = s.Click, ["none"] = s.None },
            ["requests_with_positive"] = s.RequestsWithPositive,
            ["requests_without_positive"] = s.Requests - s.RequestsWithPositive,
            ["requests_with_order"] = s.RequestsWithOrder,
            ["items_per_request"] = new Dictionary<string, double>
            {
                ["mean"] = Math.Round(s.ItemsPerRequestMean, 4),
                ["p50"] = s.ItemsPerRequestP50,
                ["p95"] = s.ItemsPerRequestP95,
                ["max"] = s.ItemsPerRequestMax,
            },
            ["unknown_item_ids"] = s.UnknownItemIds,
            ["duplicate_items_in_request"] = s.DuplicateItemsInRequest,
            ["inconsistent_pairs"] = s.InconsistentPairs,
            ["bad_records"] = badRecords,
            ["top_queries"] = s.TopQueries.Select(q => new Dictionary<string, object> { ["query"] = q.Key, ["requests"] = q.Value }).ToList(),
        };
        JsonOutput.Write(path, document);
    }
}
