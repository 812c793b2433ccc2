using Mmse.Data;

namespace Mmse.Evaluation;

/// <summary>
/// The metrics of DESIGN §8, per request. A metric is undefined (NaN) for a request whose
/// target set is empty, and macro averages skip NaN, so each metric averages over the
/// requests that can score on it.
/// </summary>
public static class RetrievalMetrics
{
    /// <summary>Metric names, in the order of the values arrays. These are the JSON keys.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "recall_order@10", "recall_order@100", "recall_order@1000",
        "recall_click@10", "recall_click@100", "recall_click@1000",
        "ndcg@10", "mrr_order",
    ];

    public const int Count = 8;

    /// <summary>How deep a ranked list must be for every metric.</summary>
    public const int Depth = 1000;

    private static readonly int[] s_cutoffs = [10, 100, 1000];

    /// <summary>
    /// Computes every metric for one request.
    /// </summary>
    /// <param name="ranked">Retrieved catalog indices, best first (at most <see cref="Depth"/> are read).</param>
    /// <param name="items">The request's judged items (catalog indices).</param>
    /// <param name="actions">The action (grade) of each judged item.</param>
    /// <param name="values">[Count] receives the values; NaN where the target set is empty.</param>
    public static void Compute(ReadOnlySpan<int> ranked, ReadOnlySpan<int> items, ReadOnlySpan<UserAction> actions, Span<double> values)
    {
        if (values.Length < Count)
            throw new ArgumentException($"'values':{values.Length} must hold {Count} metrics");
        if (items.Length != actions.Length)
            throw new ArgumentException($"'actions':{actions.Length} must equal 'items':{items.Length}");
        if (ranked.Length > Depth)
            ranked = ranked[..Depth];

        int orders = 0, positives = 0;
        foreach (var a in actions)
        {
            if (a == UserAction.Order) orders++;
            if (a != UserAction.None) positives++;
        }

        // Rank of each judged item in the list (or int.MaxValue): judged sets are small, so a
        // scan per judged item beats building a hash of the 1000 ranked ones.
        Span<int> rankOf = items.Length <= 256 ? stackalloc int[items.Length] : new int[items.Length];
        for (var j = 0; j < items.Length; j++)
        {
            var r = ranked.IndexOf(items[j]);
            rankOf[j] = r < 0 ? int.MaxValue : r;
        }

        for (var c = 0; c < s_cutoffs.Length; c++)
        {
            var k = s_cutoffs[c];
            int hitOrders = 0, hitPositives = 0;
            for (var j = 0; j < items.Length; j++)
            {
                if (rankOf[j] >= k) continue;
                if (actions[j] == UserAction.Order) hitOrders++;
                if (actions[j] != UserAction.None) hitPositives++;
            }
            values[c] = orders > 0 ? (double)hitOrders / orders : double.NaN;
            values[3 + c] = positives > 0 ? (double)hitPositives / positives : double.NaN;
        }

        values[6] = positives > 0 ? Ndcg10(rankOf, actions) : double.NaN;

        var first = int.MaxValue;
        for (var j = 0; j < items.Length; j++)
        {
            if (actions[j] == UserAction.Order)
                first = Math.Min(first, rankOf[j]);
        }
        values[7] = orders == 0 ? double.NaN : first < Depth ? 1.0 / (first + 1) : 0.0;
    }

    /// <summary>ndcg@10: gain 2^g - 1 with g = order 3, cart 2.5, click 2, none 0; log2 discount; ideal from the request's own judged items.</summary>
    private static double Ndcg10(ReadOnlySpan<int> rankOf, ReadOnlySpan<UserAction> actions)
    {
        double dcg = 0;
        Span<double> gains = actions.Length <= 256 ? stackalloc double[actions.Length] : new double[actions.Length];
        for (var j = 0; j < actions.Length; j++)
        {
            var gain = Math.Pow(2, Levels.Grade(actions[j])) - 1;
            gains[j] = gain;
            if (rankOf[j] < 10)
                dcg += gain / Math.Log2(rankOf[j] + 2);
        }
        gains.Sort();
        double ideal = 0;
        for (var p = 0; p < Math.Min(10, gains.Length); p++)
            ideal += gains[gains.Length - 1 - p] / Math.Log2(p + 2);
        return ideal > 0 ? dcg / ideal : double.NaN;
    }
}

/// <summary>Macro averages over requests, skipping undefined (NaN) values per metric.</summary>
public sealed class MetricsAccumulator
{
    private readonly double[] _sums = new double[RetrievalMetrics.Count];
    private readonly long[] _counts = new long[RetrievalMetrics.Count];

    /// <summary>Requests with at least one defined metric.</summary>
    public long Requests { get; private set; }

    public void Add(ReadOnlySpan<double> values)
    {
        var any = false;
        for (var m = 0; m < RetrievalMetrics.Count; m++)
        {
            if (double.IsNaN(values[m])) continue;
            _sums[m] += values[m];
            _counts[m]++;
            any = true;
        }
        if (any) Requests++;
    }

    public void Add(MetricsAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var m = 0; m < RetrievalMetrics.Count; m++)
        {
            _sums[m] += other._sums[m];
            _counts[m] += other._counts[m];
        }
        Requests += other.Requests;
    }

    /// <summary>Metric name to macro average (0 when no request defines it).</summary>
    public Dictionary<string, double> Averages()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var m = 0; m < RetrievalMetrics.Count; m++)
            result[RetrievalMetrics.Names[m]] = _counts[m] > 0 ? _sums[m] / _counts[m] : 0;
        return result;
    }
}
