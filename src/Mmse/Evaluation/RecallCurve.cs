using Mmse.Data;

namespace Mmse.Evaluation;

/// <summary>
/// Macro-averaged recall@K for every K from 1 to <see cref="MaxK"/> at once: each request adds
/// 1/|targets| at the rank of each target it retrieved, and a prefix sum gives every K.
/// </summary>
public sealed class RecallCurve
{
    private readonly double[] _gainAtRank;
    private long _requests;

    /// <param name="maxK">Deepest K (default 1000).</param>
    /// <param name="orderedOnly">True: targets are ordered items (recall_order); false: ordered, carted or clicked (recall_click).</param>
    public RecallCurve(int maxK = 1000, bool orderedOnly = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxK, 1);
        MaxK = maxK;
        OrderedOnly = orderedOnly;
        _gainAtRank = new double[maxK];
    }

    public int MaxK { get; }

    public bool OrderedOnly { get; }

    public long Requests => _requests;

    /// <summary>Adds one request's ranking; requests with no target are ignored (as in §8).</summary>
    public void Add(ReadOnlySpan<int> ranked, ReadOnlySpan<int> items, ReadOnlySpan<UserAction> actions)
    {
        var targets = 0;
        for (var j = 0; j < items.Length; j++)
        {
            if (IsTarget(actions[j])) targets++;
        }
        if (targets == 0) return;
        _requests++;
        var depth = Math.Min(ranked.Length, MaxK);
        for (var j = 0; j < items.Length; j++)
        {
            if (!IsTarget(actions[j])) continue;
            var rank = ranked[..depth].IndexOf(items[j]);
            if (rank >= 0) _gainAtRank[rank] += 1.0 / targets;
        }
    }

    public void Add(RecallCurve other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.MaxK != MaxK || other.OrderedOnly != OrderedOnly)
            throw new ArgumentException("curves must have the same depth and target kind");
        for (var r = 0; r < MaxK; r++) _gainAtRank[r] += other._gainAtRank[r];
        _requests += other._requests;
    }

    /// <summary>[MaxK] element K-1 is the macro recall@K.</summary>
    public double[] Values()
    {
        var result = new double[MaxK];
        double cumulative = 0;
        for (var r = 0; r < MaxK; r++)
        {
            cumulative += _gainAtRank[r];
            result[r] = _requests == 0 ? 0 : cumulative / _requests;
        }
        return result;
    }

    private bool IsTarget(UserAction action) => OrderedOnly ? action == UserAction.Order : action != UserAction.None;
}
