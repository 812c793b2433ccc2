using System.Globalization;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Model;

namespace Mmse.Cli.Commands;

internal sealed class EvalCommand : Command
{
    public override string Name => "eval";

    public override string Summary => "Exact §8 metrics of a model on a test log over the whole catalog";

    public override string Help => """
        Usage: mmse eval --model MODEL --catalog FILE --log TEST [--json OUT] [--threads N] [--skip-bad]

        Retrieves the top 1000 items of the whole catalog for every test request (exact search with
        the fused score) and reports recall_order@10/100/1000, recall_click@10/100/1000, ndcg@10 and
        mrr_order, macro-averaged over the requests that have a target.

        Options:
          --model MODEL    a model written by mmse train        (required)
          --catalog FILE   the catalog                           (required)
          --log TEST       the test search log (.jsonl)          (required)
          --json OUT       write {"requests": n, "metrics": {...}}
          --threads N      worker threads, 0 = all cores         (default 0)
          --skip-bad       skip bad records (counted and reported)

        Example:
          mmse eval --model model.mmse --catalog data/catalog.jsonl --log data/test.jsonl --json eval.json
        """;

    public override int Run(CliArgs args, CliContext context)
    {
        var modelPath = args.Required("--model");
        var catalogPath = args.Required("--catalog");
        var logPath = args.Required("--log");
        var jsonPath = args.Option("--json");
        var threads = args.Int("--threads", 0, 0, 1024);
        var skipBad = args.Flag("--skip-bad");
        args.Finish();
        var model = MmseModel.Load(modelPath);
        var options = new DataReadOptions { SkipBad = skipBad };
        var problems = new DataProblems(options.MaxReportedProblems);
        var (catalog, log) = DataLoading.Load(catalogPath, logPath, options, problems, context);
        context.Progress.Start("embedding");
        var evaluator = ExactEvaluator.Create(model, catalog, threads);
        context.Progress.Start("evaluating");
        var result = evaluator.Evaluate(log, context.Progress, context.Cancellation);
        var o = context.Out;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Requests:N0} requests, {catalog.Count:N0} items, {result.QueriesPerSecond:F0} queries/s (exact)"));
        foreach (var name in RetrievalMetrics.Names)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-20} {result.Metrics[name]:F4}"));
        if (jsonPath is not null)
        {
            JsonOutput.Write(jsonPath, new Dictionary<string, object>
            {
                ["requests"] = result.Requests,
                ["metrics"] = RetrievalMetrics.Names.ToDictionary(n => n, n => result.Metrics[n]),
                ["queries_per_s"] = Math.Round(result.QueriesPerSecond, 1),
                ["model_version"] = model.Version,
            });
        }
        return ExitCodes.Ok;
    }
}
