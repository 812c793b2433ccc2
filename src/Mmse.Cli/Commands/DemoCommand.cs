using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Experiments;
using Mmse.Index;
using Mmse.Internals;
using Mmse.Synthesis;

namespace Mmse.Cli.Commands;

/// <summary>
/// The README's main command: a synthetic marketplace, every variant trained and compared, an
/// HNSW index of the reference model, and example queries side by side with BM25.
/// </summary>
internal sealed class DemoCommand : Command
{
    public override string Name => "demo";

    public override string Summary => "Generate a marketplace, train and compare every variant, build the index, show queries";

    public override string Help => $"""
        Usage: mmse demo [--out DIR] [--quick] [--threads N] [--seed S] [--items N] [--requests N] [--epochs N]

        With no arguments: generates the default synthetic marketplace, runs the experiment
        (MMSE, its baselines and ablations, BM25 with English analysis and plain, the pretrained
        arctic-xs backbone alone, and the hybrid of MMSE and BM25 with its fusion tuned on the
        validation requests) with exact search, builds the HNSW index of the MMSE model and checks
        it against exact search, shows example queries with the top results of MMSE and BM25 side
        by side, and prints the table. The report, plots, model and index are written under DIR;
        the backbone's title vectors are cached in DIR/data, so a second run does not encode them.

        Options:
          --out DIR      where everything is written                 (default mmse-demo)
          --quick        a smaller marketplace and only mmse, two-tower, bm25, pretrained and
                         hybrid (about 2 minutes; the full demo takes under 6 on 2 cores)
          --threads N    threads (0 = all cores)                       (default 0)
          --seed S       seed of the marketplace and the training      (default 7)
          --items N      catalog size            (default {DemoSettings.FullItems}; {DemoSettings.QuickItems} with --quick)
          --requests N   search requests         (default {DemoSettings.FullRequests}; {DemoSettings.QuickRequests} with --quick)
          --epochs N     epochs per variant      (default {DemoSettings.FullEpochs}; {DemoSettings.QuickEpochs} with --quick)

        Examples:
          mmse demo
          mmse demo --quick --out /tmp/mmse-quick
        """;

    private readonly Option<string?> _out = CliOptions.Text("--out");
    private readonly Option<bool> _quick = CliOptions.Flag("--quick");
    private readonly Option<int> _threads = CliOptions.Threads(0);
    private readonly Option<long> _seed = CliOptions.Long("--seed", 7, 0);
    private readonly Option<int?> _items = CliOptions.IntOrNull("--items", 100, 10_000_000);
    private readonly Option<int?> _requests = CliOptions.IntOrNull("--requests", 100, 100_000_000);
    private readonly Option<int?> _epochs = CliOptions.IntOrNull("--epochs", 1, 1000);

    public override int Run(ParseResult args, CliContext context)
    {
        var dir = args.GetValue(_out) ?? "mmse-demo";
        var quick = args.GetValue(_quick);
        var threads = args.GetValue(_threads);
        var seed = (ulong)args.GetValue(_seed);
        var items = args.GetValue(_items);
        var requests = args.GetValue(_requests);
        var epochs = args.GetValue(_epochs);
        new OutputGuard().Folder("--out", dir).Check();
        var total = Stopwatch.StartNew();
        var o = context.Out;
        var dataDir = Path.Combine(dir, "data");
        var reportDir = Path.Combine(dir, "report");

        var synth = DemoSettings.Synth(quick, seed, threads);
        synth = synth with { Items = items ?? synth.Items, Requests = requests ?? synth.Requests };
        o.WriteLine($"1/5  generating a synthetic marketplace: {synth.Items:N0} items, {synth.Requests:N0} requests -> {dataDir}/");
        SyntheticMarketplace.Generate(synth, dataDir, context.Progress, context.Cancellation);

        var problems = new DataProblems();
        var options = DataReadOptions.Default;
        var catalog = DataLoading.LoadCatalog(Path.Combine(dataDir, "catalog.jsonl"), options, problems, context);
        var train = DataLoading.LoadLog(Path.Combine(dataDir, "train.jsonl"), catalog, options, problems, context);
        var valid = DataLoading.LoadLog(Path.Combine(dataDir, "valid.jsonl"), catalog, options, problems, context);
        var test = DataLoading.LoadLog(Path.Combine(dataDir, "test.jsonl"), catalog, options, problems, context);
        var truth = DataLoading.LoadLog(Path.Combine(dataDir, "truth.jsonl"), catalog, options, problems, context);

        // The generator's segment per test request (broad, brand-only, plain...): the report shows where the variants differ.
        var segments = QuerySegments.Read(Path.Combine(dataDir, "intents.jsonl"), test.Count);
        var experiment = DemoSettings.Experiment(quick, seed, threads) with
        {
            Segments = segments,
            BackboneCache = dataDir,
        };
        if (epochs is { } e)
            experiment = experiment with { Train = experiment.Train with { Epochs = e } };
        o.WriteLine($"2/5  training and evaluating {experiment.Variants.Count} variants ({string.Join(", ", experiment.Variants)}) on {train.Count:N0} requests, testing on {test.Count:N0}");
        var outcome = ExperimentRunner.Run(catalog, train, valid, test, truth, experiment, context.Progress, context.Cancellation);
        ExperimentReport.Write(reportDir, outcome.Results, ExperimentVariants.Reference,
            "Mmse demo: every variant on the default synthetic marketplace",
            [$"data: `mmse synth --items {synth.Items} --requests {synth.Requests} --seed {synth.Seed}`; {catalog.Count:N0} items, {train.Count:N0} training, {valid.Count:N0} validation, {test.Count:N0} test requests",
             $"training: {experiment.Train.Epochs} epochs per variant, seed {experiment.Train.Seed}; retrieval: exact search over the whole catalog",
             $"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}"],
            experiment.RandomizationRounds, segments);

        var model = outcome.ReferenceModel ?? throw new InvalidOperationException("the reference model was not trained");
        var modelPath = Path.Combine(dir, "mmse.model");
        model.Save(modelPath);

        o.WriteLine($"3/5  building the HNSW index of the mmse model ({catalog.Count:N0} items)");
        var vectors = model.EncodeItems(catalog, threads);
        var clock = Stopwatch.StartNew();
        using var index = HnswIndex.Build(vectors, model.Dim, catalog.Ids, new HnswOptions { Threads = threads, Seed = (int)seed }, context.Progress, context.Cancellation);
        var buildSeconds = clock.Elapsed.TotalSeconds;
        var indexPath = Path.Combine(dir, "items.idx");
        index.Save(indexPath);
        var (agreement, annQps) = CompareWithExact(index, model, outcome.Rankings[ExperimentVariants.Reference], test, catalog);
        o.WriteLine($"     built in {buildSeconds:F1} s; fused top-10 of the index agrees with exact search on {agreement:P1} of items; {annQps:N0} queries/s");

        o.WriteLine("4/5  example test queries, top 5 of mmse and bm25 (* = truly relevant: right type and constraints, + = a substitute)");
        ShowExamples(o, catalog, test, truth, outcome.Rankings);

        o.WriteLine("5/5  results on the test requests (exact search over the whole catalog; † = significant vs mmse at p < 0.05)");
        ExperimentTable.Print(o, outcome.Results, ExperimentVariants.Reference, Math.Min(experiment.RandomizationRounds, 2000));
        o.WriteLine();
        o.WriteLine($"report:  {Path.Combine(reportDir, "report.md")} (with results.json and SVG plots)");
        o.WriteLine($"model:   {modelPath}    index: {indexPath}");
        o.WriteLine($"try:     ./mmse search --model {modelPath} --catalog {Path.Combine(dataDir, "catalog.jsonl")} \"{test.Queries[0]}\"");
        o.WriteLine($"done in {total.Elapsed.TotalMinutes:F1} minutes");
        return ExitCodes.Ok;
    }

    private static (double Agreement, double Qps) CompareWithExact(HnswIndex index, Model.MmseModel model, int[][] exact,
        SearchLog test, Catalog catalog)
    {
        var n = Math.Min(500, test.Count);
        // The same engine as the server and `search --index`: one rule for ids the catalog lacks.
        var retriever = new IndexedRetriever(model, index, catalog, ef: 128);
        long agree = 0, total = 0;
        var clock = Stopwatch.StartNew();
        for (var r = 0; r < n; r++)
        {
            var (items, _) = retriever.Search(test.Queries[r], 10);
            var top = exact[r].Take(10).ToHashSet();
            foreach (var item in items)
            {
                if (top.Contains(item)) agree++;
            }
            total += top.Count;
        }
        return ((double)agree / Math.Max(1, total), n / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
    }

    private static void ShowExamples(TextWriter o, Catalog catalog, SearchLog test, SearchLog truth, IReadOnlyDictionary<string, int[][]> rankings)
    {
        var mmse = rankings[ExperimentVariants.Reference];
        var bm25 = rankings.GetValueOrDefault("bm25");
        // Instructive queries: where the two lists differ most and at least one finds a truly
        // relevant item in its top 5; the first few in test order, so the pick is deterministic.
        int Relevant(int r, int[]? ranked)
        {
            if (ranked is null) return 0;
            var wanted = truth.ItemsOf(r).ToArray().ToHashSet();
            return ranked.Take(5).Count(wanted.Contains);
        }
        var picks = Enumerable.Range(0, test.Count)
            .Where(r => Relevant(r, mmse[r]) + Relevant(r, bm25?[r]) > 0)
            .OrderByDescending(r => bm25 is null ? 0 : mmse[r].Take(5).Except(bm25[r].Take(5)).Count())
            .ThenByDescending(r => Math.Abs(Relevant(r, mmse[r]) - Relevant(r, bm25?[r])))
            .ThenBy(r => r)
            .Take(4).ToList();
        const int width = 58;
        foreach (var r in picks)
        {
            var grades = new Dictionary<int, UserAction>();
            var items = truth.ItemsOf(r);
            var actions = truth.ActionsOf(r);
            for (var i = 0; i < items.Length; i++) grades[items[i]] = actions[i];
            string Cell(int item)
            {
                var mark = grades.TryGetValue(item, out var a) ? (a == UserAction.Order ? "*" : "+") : " ";
                var title = catalog.Titles[item];
                if (title.Length > width - 2) title = title[..(width - 5)] + "...";
                return $"{mark} {title}".PadRight(width);
            }
            o.WriteLine();
            o.WriteLine($"  query: \"{test.Queries[r]}\"");
            o.WriteLine($"    {"mmse".PadRight(width)}  {(bm25 is null ? "" : "bm25")}");
            for (var k = 0; k < 5; k++)
            {
                var left = k < mmse[r].Length ? Cell(mmse[r][k]) : "".PadRight(width);
                var right = bm25 is not null && k < bm25[r].Length ? Cell(bm25[r][k]) : "";
                o.WriteLine($"    {left}  {right}");
            }
        }
        o.WriteLine();
    }
}

/// <summary>
/// Sizes of the demo, chosen so the full run (with the backbone encoding every title once) takes
/// under 6 minutes on 2 cores and --quick about 2 (docs/experiments.md, "The demo").
/// </summary>
internal static class DemoSettings
{
    public const int FullItems = 12_000;
    public const int FullRequests = 30_000;
    public const int FullEpochs = 3;
    public const int QuickItems = 5_000;
    public const int QuickRequests = 15_000;
    public const int QuickEpochs = 2;

    public static SynthOptions Synth(bool quick, ulong seed, int threads) => new()
    {
        Items = quick ? QuickItems : FullItems,
        Requests = quick ? QuickRequests : FullRequests,
        Seed = seed,
        Threads = threads,
        MaxTestRequests = quick ? 1_000 : 3_000,
    };

    public static ExperimentOptions Experiment(bool quick, ulong seed, int threads) => new()
    {
        Variants = quick ? ["mmse", "two-tower", "bm25", "pretrained", "hybrid"] : [.. ExperimentVariants.All.Select(v => v.Name)],
        Train = Training.TrainOptions.Default with { Epochs = quick ? QuickEpochs : FullEpochs, Seed = seed, Threads = threads },
        Threads = threads,
        RandomizationRounds = quick ? 2_000 : 10_000,
    };
}
