namespace Mmse.Evaluation;

/// <summary>
/// Reciprocal-rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): score(d) = sum over lists
/// of 1 / (k + rank(d)), rank from 1. Used for the hybrid of BM25 and MMSE.
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
        // Ties (equal fused scores) break by first appearance, so the result is deterministic.
        return [.. scores.OrderByDescending(p => p.Value).ThenBy(p => firstSeen[p.Key]).Take(depth).Select(p => p.Key)];
    }
}
