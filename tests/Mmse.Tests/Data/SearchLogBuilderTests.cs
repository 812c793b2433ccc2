using Mmse.Data;

namespace Mmse.Tests.Data;

public class SearchLogBuilderTests
{
    /// <summary>The plain merge rule: first position kept, deepest action wins.</summary>
    private static (int[] Items, UserAction[] Actions, int Merged) Reference(int[] items, UserAction[] actions)
    {
        var order = new List<int>();
        var deepest = new Dictionary<int, UserAction>();
        var merged = 0;
        for (var i = 0; i < items.Length; i++)
        {
            if (deepest.TryGetValue(items[i], out var a))
            {
                merged++;
                if (actions[i] > a) deepest[items[i]] = actions[i];
            }
            else
            {
                deepest[items[i]] = actions[i];
                order.Add(items[i]);
            }
        }
        return ([.. order], [.. order.Select(i => deepest[i])], merged);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(SearchLogBuilder.LinearScanLimit)]
    [InlineData(SearchLogBuilder.LinearScanLimit + 1)]
    [InlineData(3000)]
    public void Repeated_items_merge_the_same_way_for_short_and_long_requests(int length)
    {
        var rng = new Random(length);
        var builder = new SearchLogBuilder();
        var expectedMerged = 0L;
        var expected = new List<(int[] Items, UserAction[] Actions)>();
        for (var r = 0; r < 3; r++)
        {
            var items = Enumerable.Range(0, length).Select(_ => rng.Next(length / 2 + 1)).ToArray();
            var actions = items.Select(_ => (UserAction)rng.Next(4)).ToArray();
            builder.Add($"q{r}", null, SearchLog.NoTime, items, actions);
            var (ei, ea, merged) = Reference(items, actions);
            expected.Add((ei, ea));
            expectedMerged += merged;
        }
        var log = builder.Build();
        Assert.Equal(expectedMerged, log.DuplicateItemsMerged);
        for (var r = 0; r < 3; r++)
        {
            Assert.Equal(expected[r].Items, log.ItemsOf(r).ToArray());
            Assert.Equal(expected[r].Actions, log.ActionsOf(r).ToArray());
        }
    }
}
