using Mmse.Text;

namespace Mmse.Data;

/// <summary>How <see cref="MultiStageMiner"/> turns a log into training requests.</summary>
public sealed record MiningOptions
{
    public static MiningOptions Default { get; } = new();

    /// <summary>Merge requests whose queries normalise to the same text, combining each item's level by max. Default false.</summary>
    public bool MergeSameQuery { get; init; }

    /// <summary>Drop requests that have neither a positive nor an unclicked item. Default true.</summary>
    public bool DropEmpty { get; init; } = true;
}

/// <summary>
/// The four levels of DESIGN §3 per request, ready for training. Request r's items are
/// <c>Items[Offsets[r] .. Offsets[r + 1]]</c>, sorted by level, deepest first: its positives
/// (order 3, cart 2.5, click 2) are the first <c>PositiveCounts[r]</c>, then the exposed but
/// unclicked items (level 1). Random catalog items (level 0) are drawn by the trainer.
/// </summary>
public sealed class MinedRequests
{
    internal MinedRequests(string[] queries, int[] offsets, int[] items, float[] levels, int[] positiveCounts, long[] times)
    {
        Queries = queries;
        Offsets = offsets;
        Items = items;
        Levels = levels;
        PositiveCounts = positiveCounts;
        Times = times;
    }

    public int Count => Queries.Length;

    public string[] Queries { get; }

    /// <summary>[Count + 1]</summary>
    public int[] Offsets { get; }

    /// <summary>[total] dense catalog indices, per request deepest level first.</summary>
    public int[] Items { get; }

    /// <summary>[total] level of each item: 3, 2.5, 2 or 1.</summary>
    public float[] Levels { get; }

    /// <summary>[Count] how many of a request's items are positives (order, cart or click).</summary>
    public int[] PositiveCounts { get; }

    /// <summary>[Count] request time (unix ms) or <see cref="SearchLog.NoTime"/>; the earliest for merged requests.</summary>
    public long[] Times { get; }

    public ReadOnlySpan<int> ItemsOf(int request) => Items.AsSpan(Offsets[request], Offsets[request + 1] - Offsets[request]);

    public ReadOnlySpan<float> LevelsOf(int request) => Levels.AsSpan(Offsets[request], Offsets[request + 1] - Offsets[request]);

    /// <summary>Requests with at least one positive (these feed the retrieval loss; the rest only the ranking loss).</summary>
    public int WithPositives => PositiveCounts.Count(c => c > 0);
}

/// <summary>Mines the levels of DESIGN §3 (O, C, U; R comes from the catalog at training time).</summary>
public static class MultiStageMiner
{
    public static MinedRequests Mine(SearchLog log, MiningOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        options ??= MiningOptions.Default;

        // Group requests: by normalised query when merging, else one group per request.
        var groups = new List<List<int>>();
        if (options.MergeSameQuery)
        {
            var byQuery = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var r = 0; r < log.Count; r++)
            {
                var q = QueryNormalizer.Normalize(log.Queries[r]);
                if (!byQuery.TryGetValue(q, out var g))
                {
                    g = groups.Count;
                    byQuery.Add(q, g);
                    groups.Add([]);
                }
                groups[g].Add(r);
            }
        }
        else
        {
            for (var r = 0; r < log.Count; r++)
                groups.Add([r]);
        }

        var queries = new List<string>(groups.Count);
        var offsets = new List<int>(groups.Count + 1) { 0 };
        var items = new List<int>(log.Items.Length);
        var levels = new List<float>(log.Items.Length);
        var positives = new List<int>(groups.Count);
        var times = new List<long>(groups.Count);
        var levelOf = new Dictionary<int, float>();
        var order = new List<int>();
        foreach (var group in groups)
        {
            levelOf.Clear();
            order.Clear();
            var time = SearchLog.NoTime;
            foreach (var r in group)
            {
                var its = log.ItemsOf(r);
                var acts = log.ActionsOf(r);
                for (var i = 0; i < its.Length; i++)
                {
                    var level = Levels.Of(acts[i]);
                    if (levelOf.TryGetValue(its[i], out var existing))
                    {
                        if (level > existing) levelOf[its[i]] = level;
                    }
                    else
                    {
                        levelOf[its[i]] = level;
                        order.Add(its[i]);
                    }
                }
                if (log.Times[r] != SearchLog.NoTime && (time == SearchLog.NoTime || log.Times[r] < time))
                    time = log.Times[r];
            }
            if (order.Count == 0 && options.DropEmpty)
                continue;
            // Stable sort by level, deepest first, so display order survives inside a level.
            var sorted = order.Select((item, position) => (item, position, level: levelOf[item]))
                .OrderByDescending(x => x.level).ThenBy(x => x.position).ToList();
            var positiveCount = 0;
            foreach (var (item, _, level) in sorted)
            {
                items.Add(item);
                levels.Add(level);
                if (level > Levels.None) positiveCount++;
            }
            queries.Add(log.Queries[group[0]]);
            offsets.Add(items.Count);
            positives.Add(positiveCount);
            times.Add(time);
        }
        return new MinedRequests([.. queries], [.. offsets], [.. items], [.. levels], [.. positives], [.. times]);
    }
}
