using System.Diagnostics;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Internals;
using Mmse.Model;
using Mmse.Training;

namespace Mmse.Experiments;

/// <summary>One row of an experiment: how to train it (or how to rank without training).</summary>
/// <param name="Name">The name in the report (DESIGN §5 names, plus bm25 and hybrid).</param>
/// <param name="Description">One line for the report.</param>
/// <param name="Configure">Turns the experiment's base options into this variant's; null for untrained rankers.</param>
public sealed record ExperimentVariant(string Name, string Description,
    Func<ModelOptions, TrainOptions, (ModelOptions, TrainOptions)>? Configure);

/// <summary>The variants of DESIGN §5: the model, its baselines and ablations, BM25 and the hybrid.</summary>
public static class ExperimentVariants
{
    public const string Reference = "mmse";

    public static IReadOnlyList<ExperimentVariant> All { get; } =
    [
        new("mmse", "the reference model: K = 2 heads, post-fusion, retrieval softmax + graded ranking loss, all four levels",
            (m, t) => (m, t with { Variant = ModelVariant.Mmse })),
        new("two-tower", "plain two-tower baseline: K = 1, orders and clicks equal positives, retrieval loss only",
            (m, t) => (m, t with { Variant = ModelVariant.TwoTower })),
        new("dpsr", "DPSR-style baseline: K heads with attention score, hinge against in-batch and random negatives",
            (m, t) => (m, t with { Variant = ModelVariant.Dpsr })),
        new("amazon3", "Amazon-style three-part threshold hinge: ordered above 0.9, exposed below 0.55, random below 0.2",
            (m, t) => (m, t with { Variant = ModelVariant.Amazon3 })),
        new("no-ranking-loss", "ablation: mmse without the ranking loss",
            (m, t) => (m, t with { NoRanking = true })),
        new("no-retrieval-loss", "ablation: mmse without the retrieval loss",
            (m, t) => (m, t with { NoRetrieval = true })),
        new("no-unclicked", "ablation: mmse without the exposed-unclicked level",
            (m, t) => (m, t with { NoUnclicked = true })),
        new("unclicked-in-softmax", "ablation: exposed-unclicked items as plain negatives inside the retrieval softmax",
            (m, t) => (m, t with { UnclickedInSoftmax = true })),
        new("order-click-merged", "ablation: orders and clicks as one positive level",
            (m, t) => (m, t with { MergeOrderClick = true })),
        new("single-head", "ablation: mmse with K = 1 head",
            (m, t) => (m with { Heads = 1 }, t)),
        new("pre-fusion", "ablation: heads averaged before one cosine instead of fused after scoring",
            (m, t) => (m with { PreFusion = true }, t)),
        new("bm25", "lexical baseline: BM25 over title, brand and category (k1 1.2, b 0.75)", null),
        new("hybrid", "reciprocal-rank fusion (k = 60) of bm25 and mmse", null),
    ];

    public static ExperimentVariant Get(string name) =>
        All.FirstOrDefault(v => v.Name == name)
        ?? ThrowHelper.Input<ExperimentVariant>($"unknown variant '{name}'; known: {string.Join(", ", All.Select(v => v.Name))}");
}

/// <summary>Settings of an experiment; every variant trains from the same base options.</summary>
public sealed record ExperimentOptions
{
    /// <summary>Variants to run, by name; default all of <see cref="ExperimentVariants.All"/>.</summary>
    public IReadOnlyList<string> Variants { get; init; } = [.. ExperimentVariants.All.Select(v => v.Name)];

    public ModelOptions Model { get; init; } = ModelOptions.Default;

    public TrainOptions Train { get; init; } = TrainOptions.Default;

    public Bm25Options Bm25 { get; init; } = new();

    /// <summary>Rounds of the paired randomisation test. Default 10,000.</summary>
    public int RandomizationRounds { get; init; } = 10_000;

    /// <summary>0 for all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Optional query segments of the test requests: trained variants then also get their diagnostics per segment. Default none.</summary>
    public QuerySegments? Segments { get; init; }
}

/// <summary>What an experiment produced: the per-variant results and the trained reference model.</summary>
public sealed record ExperimentOutcome(IReadOnlyList<VariantResult> Results, MmseModel? ReferenceModel, Bm25? Bm25,
    IReadOnlyDictionary<string, int[][]> Rankings);

/// <summary>
/// Trains every requested variant on the same data and scores all of them, with the same metric
/// code, on the same test requests (exact search over the whole catalog).
/// </summary>
public static class ExperimentRunner
{
    public static ExperimentOutcome Run(Catalog catalog, SearchLog train, SearchLog? valid, SearchLog test, SearchLog? truth,
        ExperimentOptions options, ProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        progress ??= ProgressReporter.Silent;
        var variants = options.Variants.Select(ExperimentVariants.Get).ToList();
        if (variants.Any(v => v.Name == "hybrid"))
        {
            // The hybrid needs both of its parts.
            if (variants.All(v => v.Name != "bm25")) variants.Add(ExperimentVariants.Get("bm25"));
            if (variants.All(v => v.Name != ExperimentVariants.Reference)) variants.Insert(0, ExperimentVariants.Get(ExperimentVariants.Reference));
        }
        var results = new List<VariantResult>();
        var rankings = new Dictionary<string, int[][]>(StringComparer.Ordinal);
        MmseModel? reference = null;
        Bm25? bm25 = null;
        var queries = test.Queries;
        var depth = RetrievalMetrics.Depth;

        foreach (var variant in variants.Where(v => v.Configure is not null))
        {
            cancellation.ThrowIfCancellationRequested();
            var (model, trainOptions) = variant.Configure!(options.Model, options.Train with { Threads = options.Threads });
            progress.Line($"[{variant.Name}] training: {variant.Description}");
            progress.Start($"train {variant.Name}");
            var trained = Trainer.Train(catalog, train, valid, model, trainOptions, progress, cancellation);
            progress.Start($"eval {variant.Name}");
            var clock = Stopwatch.StartNew();
            var itemVectors = trained.Model.EncodeItems(catalog, options.Threads);
            var evaluator = new ExactEvaluator(trained.Model, itemVectors, catalog.Count, options.Threads);
            var heads = trained.Model.EncodeQueries(queries, options.Threads);
            var hits = evaluator.SearchMany(heads, queries.Length, Math.Min(depth, catalog.Count), options.Threads);
            var ranked = hits.Select(h => h.Items).ToArray();
            var qps = queries.Length / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            var diagnostics = ModelDiagnostics.Compute(trained.Model, itemVectors, heads, test, ranked);
            var segmentDiagnostics = options.Segments is null ? null : DiagnosticsPerSegment(trained.Model, itemVectors, heads, test, ranked, options.Segments);
            var evaluation = Record(variant.Name, ranked, qps, trained, diagnostics, segmentDiagnostics);
            progress.Line($"[{variant.Name}] recall_order@100 {evaluation.Metrics["recall_order@100"]:F4}, ndcg@10 {evaluation.Metrics["ndcg@10"]:F4}, " +
                $"{trained.TrainSeconds:F0} s training at {trained.RequestsPerSecond:N0} requests/s, eval {qps:N0} queries/s");
            if (variant.Name == ExperimentVariants.Reference) reference = trained.Model;
        }

        if (variants.Any(v => v.Name == "bm25"))
        {
            progress.Start("bm25");
            var clock = Stopwatch.StartNew();
            bm25 = Bm25.Build(catalog, options.Bm25 with { Threads = options.Threads });
            var hits = bm25.SearchBatch(queries, Math.Min(depth, catalog.Count));
            var ranked = hits.Select(h => h.Select(x => x.Item).ToArray()).ToArray();
            AddUntrained("bm25", ranked, queries.Length / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
        }

        if (variants.Any(v => v.Name == "hybrid"))
        {
            var model = rankings[ExperimentVariants.Reference];
            var lexical = rankings["bm25"];
            var ranked = new int[test.Count][];
            for (var r = 0; r < test.Count; r++)
                ranked[r] = RankFusion.Reciprocal([model[r], lexical[r]], depth);
            AddUntrained("hybrid", ranked, double.NaN);
        }

        // Report order: as requested (the reference first when present).
        var order = variants.Select(v => v.Name).ToList();
        results.Sort((a, b) => order.IndexOf(a.Name).CompareTo(order.IndexOf(b.Name)));
        return new ExperimentOutcome(results, reference, bm25, rankings);

        // Scores one variant's rankings and records its row; untrained rankers (BM25, the hybrid) have no training columns.
        RankingEvaluation Record(string name, int[][] ranked, double queriesPerSecond, TrainResult? trained, ModelDiagnostics? diagnostics = null,
            IReadOnlyDictionary<string, ModelDiagnostics>? segmentDiagnostics = null)
        {
            var variant = ExperimentVariants.Get(name);
            rankings[name] = ranked;
            var evaluation = RankingEvaluator.Evaluate(test, ranked, truth, queriesPerSecond);
            results.Add(new VariantResult
            {
                Name = variant.Name,
                Description = variant.Description,
                Metrics = evaluation.Metrics,
                PerRequest = evaluation.PerRequest,
                RecallOrderCurve = evaluation.RecallOrderCurve,
                TruthMetrics = evaluation.TruthMetrics,
                TruthPerRequest = evaluation.TruthPerRequest,
                TrainSeconds = trained?.TrainSeconds,
                TrainRequestsPerSecond = trained?.RequestsPerSecond,
                Epochs = trained is null ? [] : [.. trained.Epochs.Select(e => new EpochRecord(e.Epoch, e.TotalLoss, e.RetrievalLoss, e.RankingLoss, e.ValidRecall) { RankingActiveShare = e.RankingActiveShare })],
                Diagnostics = diagnostics,
                SegmentDiagnostics = segmentDiagnostics,
            });
            return evaluation;
        }

        static Dictionary<string, ModelDiagnostics> DiagnosticsPerSegment(MmseModel model, float[] items, float[] heads, SearchLog test,
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

        void AddUntrained(string name, int[][] ranked, double queriesPerSecond)
        {
            var evaluation = Record(name, ranked, queriesPerSecond, trained: null);
            progress.Line($"[{name}] recall_order@100 {evaluation.Metrics["recall_order@100"]:F4}, ndcg@10 {evaluation.Metrics["ndcg@10"]:F4}");
        }
    }
}
