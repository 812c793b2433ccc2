namespace Mmse.Evaluation;

/// <summary>A ranked list of catalog indices with the ranker's scores, best first.</summary>
/// <param name="Items">Catalog indices, best first, each at most once.</param>
/// <param name="Scores">The ranker's score of each item, parallel to <paramref name="Items"/> (non-increasing).</param>
public readonly record struct RankedList(int[] Items, float[] Scores);

/// <summary>How two ranked lists are fused.</summary>
public enum FusionMethod
{
    /// <summary>Reciprocal-rank fusion: sum over lists of 1 / (k + rank), rank from 1.</summary>
    Reciprocal,

    /// <summary>
    /// Weighted score fusion: w · norm(first) + (1 − w) · norm(second), each list's scores min-max
    /// scaled to [0, 1] over the list; an item missing from a list gets 0 from it.
    /// </summary>
    Weighted,
}

/// <summary>One fusion setting: RRF with constant <see cref="K"/>, or weighted score fusion with <see cref="Weight"/> on the first list.</summary>
/// <param name="Method">The fusion rule.</param>
/// <param name="Parameter">k of RRF (at least 0), or the first list's weight in [0, 1].</param>
public readonly record struct FusionSetting(FusionMethod Method, double Parameter)
{
    /// <summary>RRF constant (when <see cref="Method"/> is <see cref="FusionMethod.Reciprocal"/>).</summary>
    public int K => (int)Parameter;

    /// <summary>The first list's weight (when <see cref="Method"/> is <see cref="FusionMethod.Weighted"/>).</summary>
    public double Weight => Parameter;

    /// <summary>RRF with constant <paramref name="k"/>.</summary>
    public static FusionSetting Rrf(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return new(FusionMethod.Reciprocal, k);
    }

    /// <summary>Weighted score fusion with <paramref name="weight"/> on the first list.</summary>
    public static FusionSetting Weighted(double weight)
    {
        if (weight is < 0 or > 1 || double.IsNaN(weight))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "must be in [0, 1]");
        return new(FusionMethod.Weighted, weight);
    }

    /// <summary>"rrf k=60" or "weighted w=0.7", as the report writes it.</summary>
    public override string ToString() => Method == FusionMethod.Reciprocal
        ? $"rrf k={K}"
        : $"weighted w={Weight.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Fusion of ranked lists for the hybrid of a learned channel and BM25: reciprocal-rank fusion
/// (Cormack, Clarke and Büttcher, SIGIR 2009) and weighted min-max score fusion.
/// <see cref="Reciprocal"/> and <see cref="WeightedReference"/> are the plain definitions;
/// <see cref="Pair"/> is the fast path for two lists fused under many settings (the tuning of
/// <see cref="FusionTuning"/>): the union is built once, each setting is a pass over it and a sort.
/// Ties (equal fused scores) break by first appearance (the first list in rank order, then the
/// second list's new items), so every result is deterministic.
/// </summary>
public static class RankFusion
{
    /// <summary>Default k of the original paper.</summary>
    public const int DefaultK = 60;

    /// <summary>Fuses ranked lists of item indices into one list of at most <paramref name="depth"/> items, best first.</summary>
    public static int[] Reciprocal(IReadOnlyList<int[]> lists, int depth, int k = DefaultK)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var scores = new Dictionary<int, double>();
        var firstSeen = new Dictionary<int, int>();
        var order = 0;
        foreach (var list in lists)
        {
            for (var r = 0; r < list.Length; r++)
            {
                var item = list[r];
                scores[item] = scores.GetValueOrDefault(item) + 1.0 / (k + r + 1);
                firstSeen.TryAdd(item, order++);
            }
        }
        return [.. scores.OrderByDescending(p => p.Value).ThenBy(p => firstSeen[p.Key]).Take(depth).Select(p => p.Key)];
    }

    /// <summary>
    /// Reference of weighted score fusion: sum over lists of weight · (score − min) / (max − min)
    /// (1 when all of a list's scores are equal), best first, at most <paramref name="depth"/> items.
    /// </summary>
    public static int[] WeightedReference(IReadOnlyList<RankedList> lists, IReadOnlyList<double> weights, int depth)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != lists.Count)
            throw new ArgumentException($"'weights':{weights.Count} must equal 'lists':{lists.Count}");
        var scores = new Dictionary<int, double>();
        var firstSeen = new Dictionary<int, int>();
        var order = 0;
        for (var l = 0; l < lists.Count; l++)
        {
            var (items, raw) = lists[l];
            if (items.Length == 0) continue;
            double max = raw.Max(), min = raw.Min();
            for (var r = 0; r < items.Length; r++)
            {
                var normalized = max > min ? (raw[r] - min) / (max - min) : 1.0;
                scores[items[r]] = scores.GetValueOrDefault(items[r]) + weights[l] * normalized;
                firstSeen.TryAdd(items[r], order++);
            }
        }
        return [.. scores.OrderByDescending(p => p.Value).ThenBy(p => firstSeen[p.Key]).Take(depth).Select(p => p.Key)];
    }

    /// <summary>Fuses two lists under <paramref name="setting"/> (<see cref="Pair"/> then <see cref="FusionCandidates.Fuse"/>).</summary>
    public static int[] Fuse(RankedList first, RankedList second, FusionSetting setting, int depth) =>
        Pair(first, second).Fuse(setting, depth);

    /// <summary>The union of two ranked lists, ready to be fused under any number of settings.</summary>
    public static FusionCandidates Pair(RankedList first, RankedList second)
    {
        Check(first, nameof(first));
        Check(second, nameof(second));
        var count = first.Items.Length;
        var position = new Dictionary<int, int>(first.Items.Length + second.Items.Length);
        for (var r = 0; r < first.Items.Length; r++)
            position[first.Items[r]] = r;
        var extra = 0;
        foreach (var item in second.Items)
        {
            if (!position.ContainsKey(item)) extra++;
        }
        var union = count + extra;
        var items = new int[union];
        var rankFirst = new int[union];   // [union], 1-based, 0 = absent
        var rankSecond = new int[union];  // [union], 1-based, 0 = absent
        var normFirst = new double[union];  // [union], min-max scaled, 0 = absent
        var normSecond = new double[union]; // [union]
        first.Items.CopyTo(items, 0);
        Scale(first.Scores, out var minFirst, out var spanFirst);
        for (var r = 0; r < count; r++)
        {
            rankFirst[r] = r + 1;
            normFirst[r] = Normalize(first.Scores[r], minFirst, spanFirst);
        }
        Scale(second.Scores, out var minSecond, out var spanSecond);
        var next = count;
        for (var r = 0; r < second.Items.Length; r++)
        {
            var item = second.Items[r];
            if (!position.TryGetValue(item, out var u))
            {
                u = next++;
                items[u] = item;
                position[item] = u;
            }
            rankSecond[u] = r + 1;
            normSecond[u] = Normalize(second.Scores[r], minSecond, spanSecond);
        }
        return new FusionCandidates(items, rankFirst, rankSecond, normFirst, normSecond);

        static void Scale(float[] scores, out double min, out double span)
        {
            min = scores.Length == 0 ? 0 : scores.Min();
            span = scores.Length == 0 ? 0 : scores.Max() - min;
        }

        static double Normalize(float score, double min, double span) => span > 0 ? (score - min) / span : 1.0;
    }

    private static void Check(RankedList list, string name)
    {
        ArgumentNullException.ThrowIfNull(list.Items, name);
        ArgumentNullException.ThrowIfNull(list.Scores, name);
        if (list.Items.Length != list.Scores.Length)
            throw new ArgumentException($"'{name}': {list.Scores.Length} scores must equal its {list.Items.Length} items", name);
    }
}

/// <summary>
/// The union of two ranked lists (first-seen order) with each item's rank and min-max scaled
/// score in both; <see cref="Fuse"/> ranks it under one <see cref="FusionSetting"/>. Not thread-safe
/// (it reuses its sort buffers); make one per thread.
/// </summary>
public sealed class FusionCandidates
{
    private readonly int[] _items;        // [union] catalog indices in first-seen order
    private readonly int[] _rankFirst;    // [union] 1-based rank in the first list, 0 = absent
    private readonly int[] _rankSecond;   // [union]
    private readonly double[] _normFirst; // [union] scaled score in the first list, 0 = absent
    private readonly double[] _normSecond;
    private readonly double[] _keys;      // [union] sort buffer: negated fused scores
    private readonly int[] _order;        // [union] sort buffer: union positions

    internal FusionCandidates(int[] items, int[] rankFirst, int[] rankSecond, double[] normFirst, double[] normSecond)
    {
        _items = items;
        _rankFirst = rankFirst;
        _rankSecond = rankSecond;
        _normFirst = normFirst;
        _normSecond = normSecond;
        _keys = new double[items.Length];
        _order = new int[items.Length];
    }

    /// <summary>Distinct items over both lists.</summary>
    public int Count => _items.Length;

    /// <summary>The fused list under <paramref name="setting"/>: at most <paramref name="depth"/> catalog indices, best first.</summary>
    public int[] Fuse(FusionSetting setting, int depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        var n = _items.Length;
        if (setting.Method == FusionMethod.Reciprocal)
        {
            double k = setting.K;
            for (var u = 0; u < n; u++)
            {
                // The same sum, in the same order, as the reference: first list, then second.
                var score = 0.0;
                if (_rankFirst[u] > 0) score += 1.0 / (k + _rankFirst[u]);
                if (_rankSecond[u] > 0) score += 1.0 / (k + _rankSecond[u]);
                _keys[u] = -score;
            }
        }
        else
        {
            double w = setting.Weight, v = 1 - setting.Weight;
            for (var u = 0; u < n; u++)
            {
                var score = 0.0;
                if (_rankFirst[u] > 0) score += w * _normFirst[u];
                if (_rankSecond[u] > 0) score += v * _normSecond[u];
                _keys[u] = -score;
            }
        }
        for (var u = 0; u < n; u++)
            _order[u] = u;
        Array.Sort(_keys, _order);
        // The sort is not stable: within each run of equal scores, first-seen order decides.
        for (var start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && _keys[end] == _keys[start]) end++;
            if (end - start > 1)
                Array.Sort(_order, start, end - start);
            start = end;
        }
        var result = new int[Math.Min(depth, n)];
        for (var i = 0; i < result.Length; i++)
            result[i] = _items[_order[i]];
        return result;
    }
}
