using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Internals;

namespace Mmse.Experiments;

/// <summary>Per-request and averaged metrics of one ranking function over a test log.</summary>
public sealed record RankingEvaluation(
    IReadOnlyDictionary<string, double> Metrics,
    double[][] PerRequest,
    double[] RecallOrderCurve,
    IReadOnlyDictionary<string, double>? TruthMetrics,
    double QueriesPerSecond)
{
    /// <summary>Per-request values against the known truth ([requests][RetrievalMetrics.Count]), when a truth log was given.</summary>
    public double[][]? TruthPerRequest { get; init; }
}

/// <summary>
/// Scores any ranking function (an embedding model with exact search, BM25, a hybrid) with the
/// one metric code of §8, so every variant is measured the same way. Requests are evaluated in
/// parallel; results are stored by request index, so the order never depends on threads.
/// </summary>
public static class RankingEvaluator
{
    /// <summary>Evaluates precomputed rankings: <paramref name="rankings"/>[r] is request r's top list, best first.</summary>
    public static RankingEvaluation Evaluate(SearchLog test, int[][] rankings, SearchLog? truth = null, double queriesPerSecond = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(rankings);
        if (rankings.Length != test.Count)
            throw new ArgumentException($"'rankings':{rankings.Length} must equal the test log's {test.Count} requests");
        return EvaluateRequests(test, r => rankings[r], truth, 0, default, null) with { QueriesPerSecond = queriesPerSecond };
    }

    /// <summary>Evaluates a ranking function of the query text over the test requests.</summary>
    /// <param name="test">The test requests (judgments: their displayed items and actions).</param>
    /// <param name="rank">Returns the top <see cref="RetrievalMetrics.Depth"/> catalog indices for a query, best first. Must be thread-safe.</param>
    /// <param name="truth">Optional known-truth judgments aligned with <paramref name="test"/> request by request.</param>
    /// <param name="threads">0 for all cores, 1 for serial.</param>
    /// <param name="cancellation">Stops the evaluation between requests.</param>
    /// <param name="progress">Called now and then with the number of requests done.</param>
    public static RankingEvaluation Evaluate(SearchLog test, Func<string, int[]> rank, SearchLog? truth = null,
        int threads = 0, CancellationToken cancellation = default, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(rank);
        return EvaluateRequests(test, r => rank(test.Queries[r]), truth, threads, cancellation, progress);
    }

    private static RankingEvaluation EvaluateRequests(SearchLog test, Func<int, int[]> rank, SearchLog? truth,
        int threads, CancellationToken cancellation, Action<int>? progress)
    {
        if (truth is not null && truth.Count != test.Count)
            ThrowHelper.Input($"the truth file has {truth.Count} requests but the test log has {test.Count}; they must align line by line");
        var perRequest = new double[test.Count][];
        var truthPerRequest = truth is null ? null : new double[test.Count][];
        var rankings = new int[test.Count][];
        var done = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(0, test.Count, new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellation,
        }, r =>
        {
            var ranked = rank(r);
            rankings[r] = ranked;
            var values = new double[RetrievalMetrics.Count];
            RetrievalMetrics.Compute(ranked, test.ItemsOf(r), test.ActionsOf(r), values);
            perRequest[r] = values;
            if (truth is not null)
            {
                var t = new double[RetrievalMetrics.Count];
                RetrievalMetrics.Compute(ranked, truth.ItemsOf(r), truth.ActionsOf(r), t);
                truthPerRequest![r] = t;
            }
            var n = Interlocked.Increment(ref done);
            if ((n & 63) == 0) progress?.Invoke(n);
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var acc = new MetricsAccumulator();
        var curve = new RecallCurve();
        for (var r = 0; r < test.Count; r++)
        {
            acc.Add(perRequest[r]);
            curve.Add(rankings[r], test.ItemsOf(r), test.ActionsOf(r));
        }
        Dictionary<string, double>? truthMetrics = null;
        if (truthPerRequest is not null)
        {
            var truthAcc = new MetricsAccumulator();
            foreach (var t in truthPerRequest) truthAcc.Add(t);
            truthMetrics = truthAcc.Averages();
        }
        return new RankingEvaluation(acc.Averages(), perRequest, curve.Values(), truthMetrics, test.Count / Math.Max(seconds, 1e-9))
        {
            TruthPerRequest = truthPerRequest,
        };
    }
}
