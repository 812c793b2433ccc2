using Mmse.Data;

namespace Mmse.Tests.Data;

public class MultiStageMinerTests
{
    private static SearchLog Log(params (string Query, long Time, (int Item, UserAction Action)[] Items)[] requests)
    {
        var builder = new SearchLogBuilder();
        foreach (var (query, time, items) in requests)
            builder.Add(query, null, time, items.Select(i => i.Item).ToArray(), items.Select(i => i.Action).ToArray());
        return builder.Build();
    }

    [Fact]
    public void Levels_are_sorted_deepest_first_keeping_display_order_within_a_level()
    {
        var log = Log(("q", SearchLog.NoTime,
        [
            (0, UserAction.None), (1, UserAction.Click), (2, UserAction.Order), (3, UserAction.Cart), (4, UserAction.None), (5, UserAction.Click),
        ]));
        var mined = MultiStageMiner.Mine(log);

        Assert.Equal(1, mined.Count);
        Assert.Equal([2, 3, 1, 5, 0, 4], mined.ItemsOf(0).ToArray());
        Assert.Equal([3f, 2.5f, 2f, 2f, 1f, 1f], mined.LevelsOf(0).ToArray());
        Assert.Equal(4, mined.PositiveCounts[0]);
        Assert.Equal(1, mined.WithPositives);
        Assert.Equal("q", mined.Queries[0]);
    }

    [Fact]
    public void Requests_stay_apart_unless_merged_by_normalised_query()
    {
        var log = Log(
            ("Apple", 5000, [(0, UserAction.Click), (1, UserAction.None)]),
            ("pear", SearchLog.NoTime, [(3, UserAction.None)]),
            ("apple ", 2000, [(1, UserAction.Order), (2, UserAction.None), (0, UserAction.None)]));

        var apart = MultiStageMiner.Mine(log);
        Assert.Equal(3, apart.Count);
        Assert.Equal([1, 0], apart.PositiveCounts[..2]);
        Assert.Equal([1, 2, 0], apart.ItemsOf(2).ToArray());
        Assert.Equal([3f, 1f, 1f], apart.LevelsOf(2).ToArray());
        Assert.Equal([5000, SearchLog.NoTime, 2000], apart.Times);
        Assert.Equal(2, apart.WithPositives);

        var merged = MultiStageMiner.Mine(log, new MiningOptions { MergeSameQuery = true });
        Assert.Equal(2, merged.Count);
        Assert.Equal("Apple", merged.Queries[0]);
        // Levels combined by max: 0 click (max of click, none), 1 order (max of none, order), 2 none.
        Assert.Equal([1, 0, 2], merged.ItemsOf(0).ToArray());
        Assert.Equal([3f, 2f, 1f], merged.LevelsOf(0).ToArray());
        Assert.Equal(2, merged.PositiveCounts[0]);
        Assert.Equal(2000, merged.Times[0]); // the earliest
        Assert.Equal("pear", merged.Queries[1]);
        Assert.Equal([3], merged.ItemsOf(1).ToArray());
        Assert.Equal(0, merged.PositiveCounts[1]);
        Assert.Equal(SearchLog.NoTime, merged.Times[1]);
        Assert.Equal([0, 3, 4], merged.Offsets);
    }

    [Fact]
    public void Empty_requests_are_dropped_unless_asked_to_keep_them()
    {
        var log = Log(("a", SearchLog.NoTime, []), ("b", SearchLog.NoTime, [(7, UserAction.Cart)]), ("c", SearchLog.NoTime, []));

        var dropped = MultiStageMiner.Mine(log);
        Assert.Equal(["b"], dropped.Queries);
        Assert.Equal([2.5f], dropped.Levels);

        var kept = MultiStageMiner.Mine(log, new MiningOptions { DropEmpty = false });
        Assert.Equal(["a", "b", "c"], kept.Queries);
        Assert.Equal([0, 0, 1, 1], kept.Offsets);
        Assert.Equal([0, 1, 0], kept.PositiveCounts);
    }

    [Fact]
    public void Duplicates_within_a_request_were_merged_on_read_with_the_deepest_action()
    {
        var log = Log(("q", SearchLog.NoTime, [(4, UserAction.Click), (5, UserAction.None), (4, UserAction.Order), (5, UserAction.None)]));
        Assert.Equal(2, log.DuplicateItemsMerged);
        var mined = MultiStageMiner.Mine(log);
        Assert.Equal([4, 5], mined.ItemsOf(0).ToArray());
        Assert.Equal([3f, 1f], mined.LevelsOf(0).ToArray());
    }
}
