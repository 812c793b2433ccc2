using System.Diagnostics;
using Mmse.Backbone;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Internals;
using Mmse.Model;
using Mmse.Numerics;
using Mmse.Text;
using Mmse.Training;

namespace Mmse.Experiments;

/// <summary>
/// Trains every requested variant on the same data (once per training seed) and scores all of
/// them, with the same metric code, on the same test requests (exact search over the whole
/// catalog). Untrained rankers (BM25 with and without English analysis, the pretrained backbone)
/// run once; the hybrid fuses each seed's reference model with BM25 under the rule that did best
/// on the validation requests.
/// </summary>
public static class ExperimentRunner
{
    /// <summary>Runs the experiment.</summary>
    /// <param name="catalog">The catalog every variant searches.</param>
    /// <param name="train">Training requests.</param>
    /// <param name="valid">Validation requests; null holds out <see cref="TrainOptions.ValidShare"/> of <paramref name="train"/> (by the base seed, the same for every run).</param>
    /// <param name="test">Test requests.</param>
    /// <param name="truth">Known-truth judgments aligned with <paramref name="test"/>, or null.</param>
    /// <param name="options">The settings.</param>
    /// <param name="progress">Progress and one line per finished row.</param>
    /// <param name="cancellation">Stops between steps.</param>
    public static ExperimentOutcome Run(Catalog catalog, SearchLog train, SearchLog? valid, SearchLog test, SearchLog? truth,
        ExperimentOptions options, ProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Seeds < 1)
            ThrowHelper.Input($"'seeds':{options.Seeds} must be at least 1");
        progress ??= ProgressReporter.Silent;
        var variants = options.Variants.Select(ExperimentVariants.Get).ToList();
        var hybrid = variants.Any(v => v.Name == ExperimentVariants.Hybrid);
        if (hybrid)
        {
            // The hybrid needs both of its parts.
            if (variants.All(v => v.Name != ExperimentVariants.Bm25)) variants.Add(ExperimentVariants.Get(ExperimentVariants.Bm25));
            if (variants.All(v => v.Name != ExperimentVariants.Reference)) variants.Insert(0, ExperimentVariants.Get(ExperimentVariants.Reference));
        }
        // Load the backbone and open its cache before any training: a missing package or a corrupt
        // cache then fails in seconds, not after an hour of training.
        using var pretrained = variants.Any(v => v.Name == ExperimentVariants.Pretrained)
            ? PretrainedRanker.Open(options.Backbone, options.BackboneCache, options.Threads)
            : null;
        (train, valid) = FixValidation(train, valid, options.Train);
        var depth = Math.Min(RetrievalMetrics.Depth, catalog.Count);
        var queries = test.Queries;
        var results = new List<VariantResult>();
        var rankings = new Dictionary<string, int[][]>(StringComparer.Ordinal);
        MmseModel? reference = null;
        // The reference model's lists of every seed, for the hybrid: [seeds][requests].
        var referenceTest = new List<RankedList[]>();
        var referenceValid = new List<RankedList[]>();

        foreach (var variant in variants.Where(v => v.Configure is not null))
        {
            var runs = new List<SeedEvaluation>();
            for (var s = 0; s < options.Seeds; s++)
            {
                cancellation.ThrowIfCancellationRequested();
                var baseModel = options.Model with { InitSeed = options.Model.InitSeed + (ulong)s };
                var baseTrain = options.Train with { Seed = options.Train.Seed + (ulong)s, Threads = options.Threads };
                var (model, trainOptions) = variant.Configure!(baseModel, baseTrain);
                var seedLabel = options.Seeds > 1 ? $" seed {s + 1}/{options.Seeds}" : "";
                progress.Line($"[{variant.Name}{seedLabel}] training: {variant.Description}");
                progress.Start($"train {variant.Name}{seedLabel}");
                var runtime = model.Backbone is { } name ? BackboneRuntime.Shared(name, options.BackboneCache) : null;
                var trained = Trainer.Train(catalog, train, valid, model, trainOptions, progress, cancellation, runtime);
                progress.Start($"eval {variant.Name}{seedLabel}");
                var clock = Stopwatch.StartNew();
                var itemVectors = trained.Model.EncodeItems(catalog, options.Threads);
                var evaluator = new ExactEvaluator(trained.Model, itemVectors, catalog.Count, options.Threads);
                var heads = trained.Model.EncodeQueries(queries, options.Threads);
                var hits = evaluator.SearchMany(heads, queries.Length, depth, options.Threads);
                var ranked = hits.Select(h => h.Items).ToArray();
                var qps = queries.Length / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                var evaluation = RankingEvaluator.Evaluate(test, ranked, truth, qps);
                var diagnostics = ModelDiagnostics.Compute(trained.Model, itemVectors, heads, test, ranked);
                var segmentDiagnostics = options.Segments is null ? null : DiagnosticsPerSegment(trained.Model, itemVectors, heads, test, ranked, options.Segments);
                runs.Add(new SeedEvaluation(evaluation, ranked, trained, new SeedRun(trainOptions.Seed, model.InitSeed, evaluation.Metrics)
                {
                    TruthMetrics = evaluation.TruthMetrics,
                    TrainSeconds = trained.TrainSeconds,
                }, diagnostics, segmentDiagnostics));
                progress.Line($"[{variant.Name}{seedLabel}] recall_order@100 {evaluation.Metrics["recall_order@100"]:F4}, ndcg@10 {evaluation.Metrics["ndcg@10"]:F4}, " +
                    $"{trained.TrainSeconds:F0} s training at {trained.RequestsPerSecond:N0} requests/s, eval {qps:N0} queries/s");
                if (variant.Name != ExperimentVariants.Reference) continue;
                if (s == 0) reference = trained.Model;
                if (hybrid)
                {
                    referenceTest.Add([.. hits.Select(h => new RankedList(h.Items, h.Scores))]);
                    if (valid is { Count: > 0 })
                    {
                        var validHeads = trained.Model.EncodeQueries(valid.Queries, options.Threads);
                        referenceValid.Add([.. evaluator.SearchMany(validHeads, valid.Count, depth, options.Threads).Select(h => new RankedList(h.Items, h.Scores))]);
                    }
                }
            }
            results.Add(Aggregate(variant, runs));
            rankings[variant.Name] = runs[0].Ranked;
        }

        Bm25? bm25 = null;
        RankedList[]? bm25Test = null, bm25Valid = null;
        foreach (var (name, analysis) in new[] { (ExperimentVariants.Bm25, options.Bm25.Analysis), (ExperimentVariants.Bm25Plain, TextAnalysis.Plain) })
        {
            if (variants.All(v => v.Name != name)) continue;
            cancellation.ThrowIfCancellationRequested();
            progress.Start(name);
            var clock = Stopwatch.StartNew();
            var index = Bm25.Build(catalog, options.Bm25 with { Analysis = analysis, Threads = options.Threads });
            var lists = Lists(index.SearchBatch(queries, depth));
            var qps = queries.Length / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            AddOnce(name, lists, qps);
            if (name != ExperimentVariants.Bm25) continue;
            bm25 = index;
            bm25Test = lists;
            if (hybrid && valid is { Count: > 0 })
                bm25Valid = Lists(index.SearchBatch(valid.Queries, depth));
        }

        if (pretrained is not null)
        {
            cancellation.ThrowIfCancellationRequested();
            progress.Line($"[{ExperimentVariants.Pretrained}] encoding {catalog.Count:N0} titles with {pretrained.Backbone}{$" (cache {pretrained.Runtime.ItemCachePath})"}");
            progress.Start($"{ExperimentVariants.Pretrained}: encode titles");
            var items = pretrained.EncodeCatalog(catalog, progress);
            progress.Start($"{ExperimentVariants.Pretrained}: search");
            var clock = Stopwatch.StartNew();
            var lists = pretrained.Search(items, catalog.Count, queries, depth);
            AddOnce(ExperimentVariants.Pretrained, lists, queries.Length / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
        }

        if (hybrid)
        {
            var runs = new List<SeedEvaluation>();
            for (var s = 0; s < referenceTest.Count; s++)
            {
                progress.Start($"{ExperimentVariants.Hybrid}: tune fusion");
                FusionTuningResult? tuning = null;
                var setting = FusionSetting.Rrf(RankFusion.DefaultK);
                if (bm25Valid is not null)
                {
                    tuning = FusionTuning.Tune(valid!, referenceValid[s], bm25Valid, options.Fusion, options.Threads);
                    setting = tuning.Best;
                }
                var model = referenceTest[s];
                var ranked = new int[test.Count][];
                Parallel.For(0, test.Count, new ParallelOptions { MaxDegreeOfParallelism = Parallel2.Resolve(options.Threads) },
                    r => ranked[r] = RankFusion.Fuse(model[r], bm25Test![r], setting, depth));
                var evaluation = RankingEvaluator.Evaluate(test, ranked, truth);
                runs.Add(new SeedEvaluation(evaluation, ranked, null, new SeedRun(options.Train.Seed + (ulong)s, options.Model.InitSeed + (ulong)s, evaluation.Metrics)
                {
                    TruthMetrics = evaluation.TruthMetrics,
                    Fusion = tuning,
                    UntunedFusion = tuning is null ? setting : null,
                }, null, null));
                var how = tuning is null
                    ? $"{setting} (no validation requests to tune on)"
                    : $"{setting} (validation {tuning.Metric} {tuning.BestValue:F4}; rrf k=60 {tuning.ValueOf(FusionSetting.Rrf(RankFusion.DefaultK)):F4})";
                progress.Line($"[{ExperimentVariants.Hybrid}{(options.Seeds > 1 ? $" seed {s + 1}/{options.Seeds}" : "")}] fusion {how}; " +
                    $"recall_order@100 {evaluation.Metrics["recall_order@100"]:F4}, ndcg@10 {evaluation.Metrics["ndcg@10"]:F4}");
            }
            results.Add(Aggregate(ExperimentVariants.Get(ExperimentVariants.Hybrid), runs));
            rankings[ExperimentVariants.Hybrid] = runs[0].Ranked;
        }

        // Report order: as requested (the reference first when present).
        var order = variants.Select(v => v.Name).ToList();
        results.Sort((a, b) => order.IndexOf(a.Name).CompareTo(order.IndexOf(b.Name)));
        return new ExperimentOutcome(results, reference, bm25, rankings);

        // A ranker that runs once (BM25, the backbone): its row has no seeds and no training columns.
        void AddOnce(string name, RankedList[] lists, double queriesPerSecond)
        {
            var ranked = lists.Select(l => l.Items).ToArray();
            var evaluation = RankingEvaluator.Evaluate(test, ranked, truth, queriesPerSecond);
            rankings[name] = ranked;
            results.Add(new VariantResult
            {
                Name = name,
                Description = ExperimentVariants.Get(name).Description,
                Metrics = evaluation.Metrics,
                PerRequest = evaluation.PerRequest,
                RecallOrderCurve = evaluation.RecallOrderCurve,
                TruthMetrics = evaluation.TruthMetrics,
                TruthPerRequest = evaluation.TruthPerRequest,
            });
            progress.Line($"[{name}] recall_order@100 {evaluation.Metrics["recall_order@100"]:F4}, ndcg@10 {evaluation.Metrics["ndcg@10"]:F4}, {queriesPerSecond:N0} queries/s");
        }
    }

    /// <summary>One seed's evaluation of a variant, before the seeds are averaged.</summary>
    private sealed record SeedEvaluation(RankingEvaluation Evaluation, int[][] Ranked, TrainResult? Trained, SeedRun Run,
        ModelDiagnostics? Diagnostics, IReadOnlyDictionary<string, ModelDiagnostics>? SegmentDiagnostics);

    private static RankedList[] Lists((int Item, float Score)[][] hits) =>
        [.. hits.Select(h => new RankedList([.. h.Select(x => x.Item)], [.. h.Select(x => x.Score)]))];

    /// <summary>
    /// The validation requests every run uses: the given log, or the trainer's hold-out of the
    /// training log by the base seed, cut to <see cref="TrainOptions.MaxValidRequests"/> as the trainer
    /// would. Fixing it here keeps it the same across seeds (the trainer's own split follows the
    /// seed) and gives the hybrid the requests to tune on; run 0 sees exactly what a plain
    /// <c>mmse train</c> with the base seed sees.
    /// </summary>
    private static (SearchLog Train, SearchLog? Valid) FixValidation(SearchLog train, SearchLog? valid, TrainOptions options) =>
        Trainer.SplitValidation(train, valid, options);

    /// <summary>One row from the runs of every seed: means of the metrics, per-request values, curves, times and diagnostics.</summary>
    private static VariantResult Aggregate(ExperimentVariant variant, List<SeedEvaluation> runs)
    {
        var first = runs[0];
        var trained = runs.Where(r => r.Trained is not null).Select(r => r.Trained!).ToList();
        var truthPerRequest = first.Evaluation.TruthPerRequest is null ? null : MeanRows([.. runs.Select(r => r.Evaluation.TruthPerRequest!)]);
        return new VariantResult
        {
            Name = variant.Name,
            Description = variant.Description,
            Metrics = MeanMetrics([.. runs.Select(r => r.Evaluation.Metrics)])!,
            PerRequest = MeanRows([.. runs.Select(r => r.Evaluation.PerRequest)]),
            RecallOrderCurve = MeanRows([.. runs.Select(r => new[] { r.Evaluation.RecallOrderCurve })])[0],
            TruthMetrics = MeanMetrics([.. runs.Select(r => r.Evaluation.TruthMetrics)]),
            TruthPerRequest = truthPerRequest,
            TrainSeconds = trained.Count == 0 ? null : trained.Average(t => t.TrainSeconds),
            TrainRequestsPerSecond = trained.Count == 0 ? null : trained.Average(t => t.RequestsPerSecond),
            Epochs = first.Trained is null ? [] : [.. first.Trained.Epochs.Select(e => new EpochRecord(e.Epoch, e.TotalLoss, e.RetrievalLoss, e.RankingLoss, e.ValidRecall) { RankingActiveShare = e.RankingActiveShare })],
            Diagnostics = MeanDiagnostics([.. runs.Select(r => r.Diagnostics)]),
            SegmentDiagnostics = first.SegmentDiagnostics is null ? null
                : first.SegmentDiagnostics.Keys.ToDictionary(k => k, k => MeanDiagnostics([.. runs.Select(r => r.SegmentDiagnostics![k])])!, StringComparer.Ordinal),
            Seeds = [.. runs.Select(r => r.Run)],
        };
    }

    /// <summary>Element-wise means of equally shaped [rows][columns] tables (NaN stays NaN: every seed leaves the same cells undefined).</summary>
    internal static double[][] MeanRows(IReadOnlyList<double[][]> tables)
    {
        if (tables.Count == 1) return tables[0];
        var rows = tables[0].Length;
        var result = new double[rows][];
        for (var r = 0; r < rows; r++)
        {
            var row = new double[tables[0][r].Length];
            foreach (var table in tables)
            {
                for (var c = 0; c < row.Length; c++)
                    row[c] += table[r][c];
            }
            for (var c = 0; c < row.Length; c++)
                row[c] /= tables.Count;
            result[r] = row;
        }
        return result;
    }

    private static Dictionary<string, double>? MeanMetrics(IReadOnlyList<IReadOnlyDictionary<string, double>?> metrics)
    {
        if (metrics[0] is null) return null;
        return metrics[0]!.Keys.ToDictionary(k => k, k => metrics.Average(m => m![k]), StringComparer.Ordinal);
    }

    private static ModelDiagnostics? MeanDiagnostics(IReadOnlyList<ModelDiagnostics?> diagnostics)
    {
        if (diagnostics[0] is null) return null;
        if (diagnostics.Count == 1) return diagnostics[0];
        var v = Enumerable.Range(0, ModelDiagnostics.Names.Count).Select(i => diagnostics.Average(d => d!.Values[i])).ToArray();
        return new ModelDiagnostics(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
    }

    private static Dictionary<string, ModelDiagnostics> DiagnosticsPerSegment(MmseModel model, float[] items, float[] heads, SearchLog test,
        int[][] ranked, QuerySegments segments)
    {
        if (segments.Count != test.Count)
            ThrowHelper.Input($"the segments file has {segments.Count:N0} lines but the test log has {test.Count:N0} requests");
        var kd = model.Heads * model.Dim;
        var result = new Dictionary<string, ModelDiagnostics>(StringComparer.Ordinal);
        foreach (var name in segments.Names)
        {
            var members = segments.Members(name);
            var subsetHeads = new float[members.Length * kd];
            var subsetRanked = new int[members.Length][];
            for (var i = 0; i < members.Length; i++)
            {
                heads.AsSpan(members[i] * kd, kd).CopyTo(subsetHeads.AsSpan(i * kd, kd));
                subsetRanked[i] = ranked[members[i]];
            }
            result[name] = ModelDiagnostics.Compute(model, items, subsetHeads, test.Subset(members), subsetRanked);
        }
        return result;
    }
}
