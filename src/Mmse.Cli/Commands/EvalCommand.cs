using System.CommandLine;
using System.Globalization;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Experiments;
using Mmse.Index;
using Mmse.Internals;
using Mmse.Model;

namespace Mmse.Cli.Commands;

internal sealed class EvalCommand : Command
{
    public override string Name => "eval";

    public override string Summary => "The §8 metrics of a model on a test log over the whole catalog (exact, or through an index)";

    public override string Help => """
        Usage: mmse eval --model MODEL --catalog FILE --log TEST [--json OUT] [--index INDEX [--ef N] [--walk W]] [--segments FILE]
                         [--threads N] [--skip-bad]

        Retrieves the top 1000 items of the whole catalog for every test request (exact search with
        the fused score) and reports recall_order@10/100/1000, recall_click@10/100/1000, ndcg@10 and
        mrr_order, macro-averaged over the requests that have a target. With --index the top 1000
        come from the HNSW index instead (ef is raised to 1000), which measures what serving loses.
        With --segments (JSONL, a string field "segment" per line aligned with the test log, such as
        the synthetic marketplace's intents.jsonl) it also prints and writes the metrics per segment.

        Options:
          --model MODEL    a model written by mmse train        (required)
          --catalog FILE   the catalog                           (required)
          --log TEST       the test search log (.jsonl)          (required)
          --json OUT       write {"requests": n, "metrics": {...}}
          --index INDEX    evaluate retrieval through this index (default: exact search)
          --ef N           index search breadth per head (at least 1000)     (default 1000)
          --walk W         multi-head walk of the index: fused or per-head   (default fused)
          --segments FILE  a "segment" label per test request: metrics per segment too
          --threads N      worker threads, 0 = all cores         (default 0)
          --skip-bad       skip bad records (counted and reported)

        Example:
          mmse eval --model model.mmse --catalog data/catalog.jsonl --log data/test.jsonl --json eval.json
          mmse eval --model model.mmse --catalog data/catalog.jsonl --log data/test.jsonl --index items.idx
          mmse eval --model model.mmse --catalog m/catalog.jsonl --log m/test.jsonl --segments m/intents.jsonl
        """;

    private readonly Option<string?> _model = CliOptions.Text("--model");
    private readonly Option<string?> _catalog = CliOptions.Text("--catalog");
    private readonly Option<string?> _log = CliOptions.Text("--log");
    private readonly Option<string?> _json = CliOptions.Text("--json");
    private readonly Option<int> _threads = CliOptions.Threads(0);
    private readonly Option<bool> _skipBad = CliOptions.Flag("--skip-bad");
    private readonly Option<string?> _index = CliOptions.Text("--index");
    private readonly Option<int> _ef = CliOptions.Int("--ef", RetrievalMetrics.Depth, RetrievalMetrics.Depth, 100_000);
    private readonly Option<string> _walk = WalkOption.Create();
    private readonly Option<string?> _segments = CliOptions.Text("--segments");

    public override int Run(ParseResult args, CliContext context)
    {
        var modelPath = args.Required(_model);
        var catalogPath = args.Required(_catalog);
        var logPath = args.Required(_log);
        var jsonPath = args.GetValue(_json);
        var threads = args.GetValue(_threads);
        var skipBad = args.GetValue(_skipBad);
        var indexPath = args.GetValue(_index);
        var ef = args.GetValue(_ef);
        var walk = args.GetWalk(_walk);
        var segmentsPath = args.GetValue(_segments);
        new OutputGuard().Input("--model", modelPath).Input("--catalog", catalogPath).Input("--log", logPath)
            .Input("--index", indexPath).Input("--segments", segmentsPath).File("--json", jsonPath).Check();
        var model = MmseModel.Load(modelPath);
        var options = new DataReadOptions { SkipBad = skipBad };
        var problems = new DataProblems(options.MaxReportedProblems);
        var (catalog, log) = DataLoading.Load(catalogPath, logPath, options, problems, context);
        var segments = segmentsPath is null ? null : QuerySegments.Read(segmentsPath, log.Count);
        EvaluationResult result;
        if (indexPath is not null)
        {
            using var index = HnswIndex.Open(indexPath);
            var retriever = new IndexedRetriever(model, index, catalog, ef, walk);
            context.Progress.Start("evaluating through the index");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var depth = Math.Min(RetrievalMetrics.Depth, catalog.Count);
            var evaluation = RankingEvaluator.Evaluate(log, query => retriever.Search(query, depth).Items, threads: threads,
                cancellation: context.Cancellation, progress: n => context.Progress.Report(n, log.Count));
            var seconds = clock.Elapsed.TotalSeconds;
            result = new EvaluationResult(evaluation.PerRequest.Count(r => r.Any(v => !double.IsNaN(v))), evaluation.Metrics,
                evaluation.PerRequest, seconds, log.Count / Math.Max(seconds, 1e-9));
        }
        else
        {
            context.Progress.Start("embedding");
            var evaluator = ExactEvaluator.Create(model, catalog, threads);
            context.Progress.Start("evaluating");
            result = evaluator.Evaluate(log, context.Progress, context.Cancellation);
        }
        var o = context.Out;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Requests:N0} requests, {catalog.Count:N0} items, {result.QueriesPerSecond:F0} queries/s ({(indexPath is null ? "exact" : "index")})"));
        foreach (var name in RetrievalMetrics.Names)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-20} {result.Metrics[name]:F4}"));
        var perSegment = segments is null ? null : SegmentMetrics.Compute(segments, result.PerRequest);
        if (perSegment is not null)
        {
            o.WriteLine($"  {"segment",-20} {"requests",9} {"with order",11} {"recall_order@100",17} {"ndcg@10",9} {"mrr_order",10}");
            var order = IndexOf("recall_order@100");
            foreach (var row in perSegment)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {row.Segment,-20} {row.Requests,9:N0} {row.Defined[order],11:N0} {row.Metrics["recall_order@100"],17:F4} {row.Metrics["ndcg@10"],9:F4} {row.Metrics["mrr_order"],10:F4}"));
            }
        }
        if (jsonPath is not null)
        {
            var document = new Dictionary<string, object>
            {
                ["requests"] = result.Requests,
                ["metrics"] = RetrievalMetrics.Names.ToDictionary(n => n, n => result.Metrics[n]),
                ["queries_per_s"] = Math.Round(result.QueriesPerSecond, 1),
                ["model_version"] = model.Version,
            };
            if (perSegment is not null)
            {
                document["segments"] = perSegment.ToDictionary(r => r.Segment, r => (object)new Dictionary<string, object>
                {
                    ["requests"] = r.Requests,
                    ["defined"] = RetrievalMetrics.Names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => r.Defined[p.i]),
                    ["metrics"] = RetrievalMetrics.Names.ToDictionary(n => n, n => r.Metrics[n]),
                });
            }
            JsonOutput.Write(jsonPath, document);
        }
        return ExitCodes.Ok;
    }

    private static int IndexOf(string metric)
    {
        for (var m = 0; m < RetrievalMetrics.Count; m++)
        {
            if (RetrievalMetrics.Names[m] == metric) return m;
        }
        throw new ArgumentException($"unknown metric '{metric}'", nameof(metric));
    }
}
