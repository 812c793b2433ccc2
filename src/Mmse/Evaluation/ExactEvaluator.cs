using System.Diagnostics;
using Mmse.Data;
using Mmse.Model;
using Mmse.Numerics;
using Mmse.Retrieval;

namespace Mmse.Evaluation;

/// <summary>The §8 metrics of one evaluation: macro averages and per-request values (for significance tests).</summary>
public sealed record EvaluationResult(
    int Requests,
    IReadOnlyDictionary<string, double> Metrics,
    double[][] PerRequest,
    double Seconds,
    double QueriesPerSecond);

/// <summary>
/// The §8 evaluation on a log: a metric loop over exact retrieval from an <see cref="ExactPanelIndex"/>
/// of the model's item vectors (the blocked panel scoring lives there and in
/// <see cref="PanelScoring"/>). <see cref="SearchReference"/> is the plain definition (per-pair dot
/// products, full sort) the fast path is tested against.
/// </summary>
public sealed class ExactEvaluator
{
    private readonly int _threads;

    /// <summary>Indexes <paramref name="count"/> item vectors [count, model.Dim] of <paramref name="model"/>.</summary>
    public ExactEvaluator(MmseModel model, float[] items, int count, int threads = 0)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (items.Length < (long)count * model.Dim)
            throw new ArgumentException($"'items':{items.Length} must hold {count} x {model.Dim}");
        _threads = Parallel2.Resolve(threads);
        Index = new ExactPanelIndex(items, count, model.Dim, threads);
    }

    /// <summary>Embeds the catalog with the model and indexes it.</summary>
    public static ExactEvaluator Create(MmseModel model, Catalog catalog, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(catalog);
        return new ExactEvaluator(model, model.EncodeItems(catalog, threads), catalog.Count, threads);
    }

    /// <summary>The model whose fused score ranks.</summary>
    public MmseModel Model { get; }

    /// <summary>The exact index searched (also an <see cref="IItemIndex"/> for <see cref="SearchEngine"/>).</summary>
    public ExactPanelIndex Index { get; }

    /// <summary>Items searched.</summary>
    public int Count => Index.Count;

    /// <summary>The scoring kernel (tests force each one; the default picks the widest available).</summary>
    internal ScoringKernel Kernel
    {
        get => Index.Kernel;
        init => Index.Kernel = value;
    }

    /// <summary>Exact top-k items for query heads [Heads*Dim], best first (ties: lower index first).</summary>
    public (int[] Items, float[] Scores) Search(ReadOnlySpan<float> queryHeads, int k)
    {
        var kd = Model.Heads * Model.Dim;
        if (queryHeads.Length < kd)
            throw new ArgumentException($"'queryHeads':{queryHeads.Length} must hold {kd}");
        var result = SearchMany(queryHeads[..kd].ToArray(), 1, k, 1);
        return result[0];
    }

    /// <summary>
    /// The fused score the evaluator ranks by, given per-head cosines z [ScoringHeads]:
    /// <see cref="PostFusion.FuseBounded"/> (kept here for callers of the evaluator).
    /// </summary>
    public static float FusedScore(ReadOnlySpan<float> z, float beta) => PostFusion.FuseBounded(z, beta);

    /// <summary>
    /// The plain definition of <see cref="SearchMany"/>: every (query, item) pair scored by per-head dot
    /// products (one FMA chain in dimension order, as the kernels), fused by <see cref="FusedScore"/>,
    /// then a full sort by score (descending) and item index (ascending). Slow; for tests.
    /// </summary>
    public static (int[] Items, float[] Scores)[] SearchReference(MmseModel model, ReadOnlySpan<float> items, int count,
        ReadOnlySpan<float> queryHeads, int queries, int k)
    {
        ArgumentNullException.ThrowIfNull(model);
        int d = model.Dim, kd = model.Heads * d, kq = model.ScoringHeads;
        k = Math.Min(Math.Max(k, 0), count);
        var results = new (int[] Items, float[] Scores)[queries];
        var scoring = new float[kq * d];
        var z = new float[kq];
        var scores = new float[count];
        var order = new int[count];
        for (var q = 0; q < queries; q++)
        {
            model.ScoringQuery(queryHeads.Slice(q * kd, kd), scoring);
            for (var i = 0; i < count; i++)
            {
                for (var h = 0; h < kq; h++)
                {
                    var sum = 0f;
                    for (var p = 0; p < d; p++)
                        sum = MathF.FusedMultiplyAdd(scoring[h * d + p], items[i * d + p], sum);
                    z[h] = sum;
                }
                scores[i] = FusedScore(z, model.Beta);
                order[i] = i;
            }
            Array.Sort(order, (x, y) => scores[x] != scores[y] ? scores[y].CompareTo(scores[x]) : x.CompareTo(y));
            results[q] = (order[..k], order[..k].Select(i => scores[i]).ToArray());
        }
        return results;
    }

    /// <summary>Exact top-k for many queries [count, Heads*Dim] (raw model heads), in parallel over blocks of queries.</summary>
    public (int[] Items, float[] Scores)[] SearchMany(float[] queryHeads, int queries, int k, int threads = 0,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(queryHeads);
        return Index.SearchCore(queryHeads, Model.Heads * Model.Dim, Model, queries, Model.ScoringHeads, Model.Beta, k,
            threads <= 0 ? _threads : threads, null, progress, cancellation);
    }

    /// <summary>
    /// The §8 metrics of <paramref name="log"/> (requests' items are dense catalog indices, in the
    /// same catalog the evaluator searches), with exact top-1000 retrieval over every item.
    /// </summary>
    public EvaluationResult Evaluate(SearchLog log, ProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        var heads = Model.EncodeQueries(log.Queries, _threads);
        var ranked = SearchMany(heads, log.Count, RetrievalMetrics.Depth, _threads,
            done => progress?.Report(done, log.Count, $"{done / Math.Max(1e-9, clock.Elapsed.TotalSeconds):F0} queries/s"),
            cancellation);
        var perRequest = new double[log.Count][];
        var accumulator = new MetricsAccumulator();
        for (var r = 0; r < log.Count; r++)
        {
            perRequest[r] = new double[RetrievalMetrics.Count];
            RetrievalMetrics.Compute(ranked[r].Items, log.ItemsOf(r), log.ActionsOf(r), perRequest[r]);
            accumulator.Add(perRequest[r]);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        return new EvaluationResult((int)accumulator.Requests, accumulator.Averages(), perRequest, seconds, log.Count / Math.Max(1e-9, seconds));
    }
}
