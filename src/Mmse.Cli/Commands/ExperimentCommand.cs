using System.CommandLine;
using System.Globalization;
using Mmse.Data;
using Mmse.Experiments;
using Mmse.Internals;

namespace Mmse.Cli.Commands;

internal sealed class ExperimentCommand : Command
{
    public override string Name => "experiment";

    public override string Summary => "Train and compare MMSE, its baselines and ablations, BM25, the pretrained backbone and the hybrid; write a report";

    public override string Help => $"""
        Usage: mmse experiment --catalog FILE --train FILE --test FILE --out DIR [--valid FILE] [--truth FILE]
                               [--variants LIST] [--config FILE.json] [--rounds N] [--segments FILE]
                               [--seeds N] [--backbone NAME] [--backbone-cache DIR] [any training setting]

        Trains every listed variant on the same training requests with the same settings, evaluates
        each on the same test requests with exact search over the whole catalog (DESIGN §8), and
        writes DIR/report.md (one table: every metric per variant, the difference to mmse with the
        p-value of a paired randomisation test, training time and requests/s), DIR/results.json and
        SVG plots (recall@K for K = 1..1000, training loss and validation recall per epoch). With
        --truth (the synthetic marketplace's truth.jsonl, aligned line by line with --test) the
        report adds every metric against the known truth. With --segments (a JSONL file with a string
        field "segment" per line, aligned line by line with --test, such as the synthetic
        marketplace's intents.jsonl) the report adds a table per query segment: requests,
        recall_order@100, ndcg@10 and mrr_order per variant with the paired test within the segment.

        Rows besides the trained variants: bm25 (English analysis: Lucene's stop words and stemming;
        CJK text keeps plain bigrams), bm25-plain (lower-cased words), pretrained (the frozen
        backbone alone: exact cosine of query and item vectors, no training; items are encoded
        once into the cache folder the models with a backbone share) and hybrid (mmse fused with bm25; the fusion, an RRF constant or
        a score weight, is the one with the best recall_order@100 on the validation requests).
        With --seeds N every trained variant (and the hybrid) runs N training seeds: the table
        shows mean ± standard deviation, and a section compares each variant with mmse over the
        seeds (mean difference; a paired t-test from 3 seeds on). Untrained rows run once.

        Options:
          --catalog FILE   the catalog                                                (required)
          --train FILE     training search log                                        (required)
          --test FILE      test search log (judgments)                                (required)
          --out DIR        where the report goes                                      (required)
          --valid FILE     validation log (default: a held-out share of --train)
          --truth FILE     known-truth judgments aligned with --test
          --segments FILE  a "segment" label per --test request (JSONL, line by line): per-segment rows
          --variants LIST  comma-separated, default all: {string.Join(",", ExperimentVariants.All.Select(v => v.Name))}
          --rounds N       rounds of the randomisation test                           (default 10000)
          --seeds N        training seeds per trained variant (seed+i, init-seed+i)   (default 1)
          --backbone NAME  backbone of the pretrained row: arctic-xs | minilm | *-int8        (default arctic-xs)
          --backbone-cache DIR  folder of the backbone item-vector cache (NAME-items.bvc), shared by
                                the pretrained row and the models  (default $MMSE_BACKBONE_CACHE,
                                else ~/.cache/mmse)
          --config FILE    JSON training settings (as for mmse train)
          --skip-bad       skip bad records (counted and reported)
          Every setting of 'mmse train --help' (e.g. --epochs 3 --threads 2 --seed 7) applies to every variant.

        Examples:
          mmse experiment --catalog m/catalog.jsonl --train m/train.jsonl --valid m/valid.jsonl --test m/test.jsonl --truth m/truth.jsonl --out report
          mmse experiment --catalog m/catalog.jsonl --train m/train.jsonl --test m/test.jsonl --truth m/truth.jsonl --segments m/intents.jsonl --out seg --variants mmse,two-tower
          mmse experiment --catalog m/catalog.jsonl --train m/train.jsonl --test m/test.jsonl --out quick --variants mmse,two-tower,bm25 --epochs 2
          mmse experiment --catalog m/catalog.jsonl --train m/train.jsonl --valid m/valid.jsonl --test m/test.jsonl --out seeds --variants mmse,two-tower,bm25,pretrained,hybrid --seeds 3
        """;

    private readonly Option<string?> _catalog = CliOptions.Text("--catalog");
    private readonly Option<string?> _train = CliOptions.Text("--train");
    private readonly Option<string?> _test = CliOptions.Text("--test");
    private readonly Option<string?> _out = CliOptions.Text("--out");
    private readonly Option<string?> _valid = CliOptions.Text("--valid");
    private readonly Option<string?> _truth = CliOptions.Text("--truth");
    private readonly Option<string?> _segments = CliOptions.Text("--segments");
    private readonly Option<string?> _variants = CliOptions.Text("--variants");
    private readonly Option<int> _rounds = CliOptions.Int("--rounds", 10_000, 100, 1_000_000);
    private readonly Option<int> _seeds = CliOptions.Int("--seeds", 1, 1, 100);
    private readonly BackboneOptionGroup _backbone = new();
    private readonly Option<string?> _backboneCache = CliOptions.Text("--backbone-cache");
    private readonly Option<bool> _skipBad = CliOptions.Flag("--skip-bad");
    private readonly Option<string?> _config = CliOptions.Text("--config");
    private readonly SettingOptions _settings = new();

    public override int Run(ParseResult args, CliContext context)
    {
        var catalogPath = args.Required(_catalog);
        var trainPath = args.Required(_train);
        var testPath = args.Required(_test);
        var outDir = args.Required(_out);
        var validPath = args.GetValue(_valid);
        var truthPath = args.GetValue(_truth);
        var segmentsPath = args.GetValue(_segments);
        var variants = args.GetValue(_variants)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rounds = args.GetValue(_rounds);
        var seeds = args.GetValue(_seeds);
        var backbone = _backbone.Read(args);
        var skipBad = args.GetValue(_skipBad);
        new OutputGuard().Input("--catalog", catalogPath).Input("--train", trainPath).Input("--test", testPath)
            .Input("--valid", validPath).Input("--truth", truthPath).Input("--segments", segmentsPath).Input("--config", args.GetValue(_config))
            .Folder("--out", outDir, "report.md", "results.json", "recall_at_k.svg", "training_loss.svg", "valid_recall.svg").Check();
        var (model, train) = _settings.Read(args, args.GetValue(_config));
        model.Validate();
        train.Validate();
        if (variants is not null)
        {
            foreach (var v in variants)
            {
                if (ExperimentVariants.All.All(x => x.Name != v))
                    throw new UsageException($"option '--variants': unknown variant '{v}'; known: {string.Join(", ", ExperimentVariants.All.Select(x => x.Name))}");
            }
        }

        var readOptions = new DataReadOptions { SkipBad = skipBad };
        var problems = new DataProblems(readOptions.MaxReportedProblems);
        var (catalog, trainLog) = DataLoading.Load(catalogPath, trainPath, readOptions, problems, context);
        var validLog = validPath is null ? null : DataLoading.LoadLog(validPath, catalog, readOptions, problems, context);
        var testLog = DataLoading.LoadLog(testPath, catalog, readOptions, problems, context);
        var truthLog = truthPath is null ? null : DataLoading.LoadLog(truthPath, catalog, readOptions, problems, context);
        // Read before training, so a bad segments file fails in a second, not after an hour.
        var segments = segmentsPath is null ? null : Mmse.Evaluation.QuerySegments.Read(segmentsPath, testLog.Count);

        var options = new ExperimentOptions
        {
            Model = model,
            Train = train,
            Threads = train.Threads,
            RandomizationRounds = rounds,
            Segments = segments,
            Seeds = seeds,
            Backbone = backbone,
            BackboneCache = args.GetValue(_backboneCache),
        };
        if (variants is not null)
            options = options with { Variants = variants };
        var outcome = ExperimentRunner.Run(catalog, trainLog, validLog, testLog, truthLog, options, context.Progress, context.Cancellation);
        // The settings the mmse row trained with: a backbone changes some defaults (TrainOptions.Resolve).
        var (_, used, _) = train.Resolve(model);
        ExperimentReport.Write(outDir, outcome.Results, ExperimentVariants.Reference, "Mmse experiment",
            [
                $"catalog `{catalogPath}` ({catalog.Count:N0} items); training `{trainPath}` ({trainLog.Count:N0} requests); test `{testPath}` ({testLog.Count:N0} requests){(truthPath is null ? "" : $"; truth `{truthPath}`")}",
                $"training: {used.Epochs} epochs at most, batch {used.BatchSize}, lr {used.LearningRate.ToString(CultureInfo.InvariantCulture)}, " +
                $"weights order/click/unclicked {used.WeightOrder.ToString(CultureInfo.InvariantCulture)}/{used.WeightClick.ToString(CultureInfo.InvariantCulture)}/{used.WeightUnclicked.ToString(CultureInfo.InvariantCulture)}, " +
                (seeds > 1 ? $"{seeds} seeds (seed {train.Seed}..{train.Seed + (ulong)seeds - 1}, init-seed {model.InitSeed}..{model.InitSeed + (ulong)seeds - 1})" : $"seed {train.Seed}") +
                $"; pretrained row: {backbone}; retrieval: exact search over the whole catalog",
                $"machine: {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC",
            ],
            rounds, segments);
        ExperimentTable.Print(context.Out, outcome.Results, ExperimentVariants.Reference, Math.Min(rounds, 2000));
        context.Out.WriteLine($"report: {Path.Combine(outDir, "report.md")}");
        return ExitCodes.Ok;
    }
}

/// <summary>The compact results table both `experiment` and `demo` print.</summary>
internal static class ExperimentTable
{
    public static void Print(TextWriter o, IReadOnlyList<VariantResult> results, string reference, int rounds)
    {
        string[] metrics = ["recall_order@10", "recall_order@100", "recall_order@1000", "recall_click@100", "ndcg@10", "mrr_order"];
        var baseline = results.FirstOrDefault(r => r.Name == reference);
        var tests = baseline is null ? [] : ExperimentReport.Compare(results, baseline, rounds);
        var seeded = results.Any(r => r.Seeds.Count > 1);
        var width = seeded ? 27 : 19;
        o.WriteLine($"  {"variant",-22}" + string.Concat(metrics.Select(m => m.PadLeft(width))) + "   train s     req/s");
        foreach (var r in results)
        {
            var cells = metrics.Select(m =>
            {
                var text = r.Metrics[m].ToString("0.0000", CultureInfo.InvariantCulture);
                if (r.SpreadOf(m) is { } spread)
                    text += " ± " + spread.Std.ToString("0.0000", CultureInfo.InvariantCulture);
                text += tests.TryGetValue(r.Name, out var t) && t[m].IsSignificant() ? " †" : "  ";
                return text.PadLeft(width);
            });
            var time = r.TrainSeconds is { } s ? s.ToString("0", CultureInfo.InvariantCulture) : "-";
            var rate = r.TrainRequestsPerSecond is { } q ? q.ToString("#,0", CultureInfo.InvariantCulture) : "-";
            o.WriteLine($"  {r.Name,-22}" + string.Concat(cells) + $"{time,10}{rate,10}");
        }
        o.WriteLine("  († = significantly different from " + reference + " at p < 0.05, paired randomisation test" +
            (seeded ? $"; mean ± standard deviation over {results.Max(r => r.Seeds.Count)} training seeds, train s per seed)" : ")"));
        var hybrid = results.FirstOrDefault(r => r.Name == ExperimentVariants.Hybrid);
        if (hybrid is not null && hybrid.Seeds.Count > 0)
        {
            var chosen = hybrid.Seeds.Select(s => s.Fusion is { } f ? $"{f.Best} (valid {f.Metric} {f.BestValue.ToString("0.0000", CultureInfo.InvariantCulture)})" : $"{s.UntunedFusion} (untuned: no validation requests)");
            o.WriteLine($"  hybrid fusion chosen on validation: {string.Join("; ", chosen)}");
        }
    }
}

/// <summary>
/// `--backbone` of the pretrained row. When the training settings gain a `backbone` setting (the
/// model's own backbone), that option is the one parsed and this group adds nothing, so the two
/// never clash; the value is read by name either way.
/// </summary>
internal sealed class BackboneOptionGroup : IOptionGroup
{
    /// <summary>The pretrained row's backbone when none is named (or the model's is "none").</summary>
    public const string Default = "arctic-xs";

    private const string Name = "--backbone";

    private readonly Option<string?>? _own = Mmse.Training.Settings.All.Any(s => "--" + s.Name == Name) ? null : CliOptions.Text(Name);

    /// <inheritdoc/>
    public IEnumerable<Symbol> Symbols => _own is null ? [] : [_own];

    /// <summary>The backbone named on the command line, or <see cref="Default"/>.</summary>
    public string Read(ParseResult args)
    {
        var value = _own is null ? args.GetValue<string?>(Name) : args.GetValue(_own);
        return value is null || value.Equals("none", StringComparison.OrdinalIgnoreCase) ? Default : value;
    }
}
