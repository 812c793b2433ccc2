using Mmse.Data;
using Mmse.Text;

namespace Mmse.Tests.Data;

public class LogStatisticsTests
{
    /// <summary>A seeded random log with many repeats, so every counter (and the pair sets) is exercised.</summary>
    private static (Catalog Catalog, SearchLog Log) RandomLog(int seed)
    {
        var random = new Random(seed);
        var catalogBuilder = new CatalogBuilder();
        for (var i = 0; i < 40; i++)
            catalogBuilder.TryAdd(new CatalogItem($"i{i}", $"item {i}"));
        var queries = new[] { "apple", "Apple ", "pear", "PEAR", "fig", "plum tree", "plum  tree" };
        var builder = new SearchLogBuilder();
        for (var r = 0; r < 300; r++)
        {
            var n = random.Next(0, 12);
            var items = new int[n];
            var actions = new UserAction[n];
            for (var k = 0; k < n; k++)
            {
                items[k] = random.Next(40);
                actions[k] = (UserAction)(random.Next(10) switch { < 7 => 0, 7 => 1, 8 => 2, _ => 3 });
            }
            builder.Add(queries[random.Next(queries.Length)], null, SearchLog.NoTime, items, actions);
        }
        return (catalogBuilder.Build(), builder.Build());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Agrees_with_a_plain_reference_computation(int seed)
    {
        var (catalog, log) = RandomLog(seed);
        var stats = LogStatistics.Compute(catalog, log, top: 100);

        var rows = Enumerable.Range(0, log.Count).SelectMany(r => log.ItemsOf(r).ToArray()
            .Zip(log.ActionsOf(r).ToArray(), (item, action) => (Query: QueryNormalizer.Normalize(log.Queries[r]), Request: r, item, action))).ToList();
        var expectedInconsistent = rows.GroupBy(x => (x.Query, x.item))
            .Count(g => g.Any(x => x.action != UserAction.None) && g.Any(x => x.action == UserAction.None));
        var sizes = Enumerable.Range(0, log.Count).Select(r => log.ItemsOf(r).Length).Order().ToArray();

        Assert.Equal(expectedInconsistent, stats.InconsistentPairs);
        Assert.True(stats.InconsistentPairs > 0);
        Assert.Equal(rows.Count(x => x.action == UserAction.Order), stats.Order);
        Assert.Equal(rows.Count(x => x.action == UserAction.Cart), stats.Cart);
        Assert.Equal(rows.Count(x => x.action == UserAction.Click), stats.Click);
        Assert.Equal(rows.Count(x => x.action == UserAction.None), stats.None);
        Assert.Equal(rows.Where(x => x.action != UserAction.None).Select(x => x.Request).Distinct().Count(), stats.RequestsWithPositive);
        Assert.Equal(rows.Where(x => x.action == UserAction.Order).Select(x => x.Request).Distinct().Count(), stats.RequestsWithOrder);
        Assert.Equal(rows.Select(x => x.item).Distinct().Count(), stats.DisplayedItems);
        Assert.Equal(4, stats.DistinctQueries);
        Assert.Equal(sizes[(int)Math.Ceiling(0.95 * sizes.Length) - 1], stats.ItemsPerRequestP95);
        Assert.Equal(sizes[(int)Math.Ceiling(0.5 * sizes.Length) - 1], stats.ItemsPerRequestP50);
        Assert.Equal(sizes.Average(), stats.ItemsPerRequestMean, 12);
        var expectedTop = Enumerable.Range(0, log.Count).GroupBy(r => QueryNormalizer.Normalize(log.Queries[r]))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => KeyValuePair.Create(g.Key, g.Count()));
        Assert.Equal(expectedTop, stats.TopQueries);
    }

    [Fact]
    public void Empty_log_has_zero_counts()
    {
        var (catalog, _) = RandomLog(1);
        var stats = LogStatistics.Compute(catalog, new SearchLogBuilder().Build());
        Assert.Equal(0, stats.Requests);
        Assert.Equal(0, stats.ItemsPerRequestMean);
        Assert.Equal(0, stats.ItemsPerRequestP95);
        Assert.Equal(0, stats.InconsistentPairs);
        Assert.Empty(stats.TopQueries);
    }
}
