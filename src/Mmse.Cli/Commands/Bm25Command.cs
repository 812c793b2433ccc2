using System.CommandLine;
using System.Diagnostics;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Internals;

namespace Mmse.Cli.Commands;

/// <summary>
/// The lexical baseline on its own: BM25 over the catalog, scored against a log or judgments
/// with the DESIGN §8 metrics. The experiment runner uses the same <see cref="Bm25"/> class.
/// </summary>
internal sealed class Bm25Command : Command
{
    public override string Name => "bm25";

    public override string Summary => "Score BM25 (the lexical baseline) against a log or judgments";

    public override string Help => """
        Usage: mmse bm25 --catalog FILE --log FILE [--json OUT] [--k1 1.2] [--b 0.75] [--threads N]

        Indexes the catalog's title, brand and category with BM25 (lower-case words and CJK
        character bigrams), retrieves the top 1000 items for every request of the log, and prints
        the retrieval metrics (recall_order@K, recall_click@K, ndcg@10, mrr_order) macro-averaged
        over requests with a non-empty target set. Use truth.jsonl of 'mmse synth' as the log to
        score against the known truth (order = grade 3, click = grade 2).

        Options:
          --catalog FILE   the catalog (.jsonl, .csv or .tsv)             (required)
          --log FILE       requests with judged items (.jsonl)             (required)
          --json OUT       also write {"requests": n, "metrics": {...}} to OUT
          --k1 X           BM25 term saturation                            (default 1.2)
          --b X            BM25 length normalisation                        (default 0.75)
          --threads N      search threads, 0 = all cores                   (default 0)

        Example:
          mmse bm25 --catalog data/m/catalog.jsonl --log data/m/truth.jsonl
        """;

    private readonly Option<string?> _catalog = CliOptions.Text("--catalog");
    private readonly Option<string?> _log = CliOptions.Text("--log");
    private readonly Option<string?> _json = CliOptions.Text("--json");
    private readonly Option<double> _k1 = CliOptions.Double("--k1", 1.2, 0, 100);
    private readonly Option<double> _b = CliOptions.Double("--b", 0.75, 0, 1);
    private readonly Option<int> _threads = CliOptions.Threads(0);

    public override int Run(ParseResult args, CliContext context)
    {
        var catalogPath = args.Required(_catalog);
        var logPath = args.Required(_log);
        var jsonPath = args.GetValue(_json);
        new OutputGuard().Input("--catalog", catalogPath).Input("--log", logPath).File("--json", jsonPath).Check();
        var options = new Bm25Options
        {
            K1 = args.GetValue(_k1),
            B = args.GetValue(_b),
            Threads = args.GetValue(_threads),
        };

        var readOptions = new DataReadOptions();
        var problems = new DataProblems(readOptions.MaxReportedProblems);
        var (catalog, log) = DataLoading.Load(catalogPath, logPath, readOptions, problems, context);
        var clock = Stopwatch.StartNew();
        var bm25 = Bm25.Build(catalog, options);
        var built = clock.Elapsed;
        clock.Restart();
        var results = bm25.SearchBatch(log.Queries, RetrievalMetrics.Depth);
        var searched = clock.Elapsed;

        var total = new MetricsAccumulator();
        var values = new double[RetrievalMetrics.Count];
        for (var r = 0; r < log.Count; r++)
        {
            var ranked = results[r].Select(x => x.Item).ToArray();
            RetrievalMetrics.Compute(ranked, log.ItemsOf(r), log.ActionsOf(r), values);
            total.Add(values);
        }
        var averages = total.Averages();
        context.Out.WriteLine($"bm25 over {catalog.Count:N0} items ({bm25.Terms:N0} terms, built in {built.TotalSeconds:F1} s); {log.Count:N0} requests searched in {searched.TotalSeconds:F1} s");
        foreach (var name in RetrievalMetrics.Names)
            context.Out.WriteLine($"  {name,-18} {averages[name]:F4}");
        if (jsonPath is not null)
        {
            JsonOutput.Write(jsonPath, new Dictionary<string, object>
            {
                ["requests"] = total.Requests,
                ["metrics"] = RetrievalMetrics.Names.ToDictionary(n => n, n => (object)Math.Round(averages[n], 6)),
            });
        }
        return ExitCodes.Ok;
    }
}
