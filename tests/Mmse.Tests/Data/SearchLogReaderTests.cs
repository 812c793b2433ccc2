using Mmse.Data;

namespace Mmse.Tests.Data;

public class SearchLogReaderTests
{
    private static Catalog Catalog(params string[] ids)
    {
        var builder = new CatalogBuilder();
        foreach (var id in ids)
            builder.TryAdd(new CatalogItem(id, "t" + id));
        return builder.Build();
    }

    [Fact]
    public void Reads_every_field_and_spelling()
    {
        using var dir = new TempDir();
        var path = dir.Write("log.jsonl",
            """{"query": "a", "user": "u1", "time": "2026-01-02T10:00:00Z", "items": [{"id": "1", "action": "order"}, {"id": 2, "action": null}], "extra": {"x": [1]}}""",
            """{"items": [{"pos": 1, "id": "\u0033", "action": "c\u0061rt"}], "time": "2026-01-02T10:00:00", "query": "b\u00e9", "user": 7}""",
            """{"query": "a", "time": "2026-01-02T12:00:00+02:00", "items": []}""",
            """{"query": "a", "time": 1767348000, "user": null, "items": [{"id": "1", "action": "click"}, {"id": "1"}]}""");
        var log = SearchLogReader.Read(path, Catalog("1", "2", "3"));

        Assert.Equal(4, log.Count);
        Assert.Equal(["a", "bé", "a", "a"], log.Queries);
        Assert.Same(log.Queries[0], log.Queries[2]); // interned
        Assert.Equal(new string?[] { "u1", "7", null, null }, log.Users.AsEnumerable());
        var expected = new DateTimeOffset(2026, 1, 2, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal([expected, expected, expected, expected], log.Times);
        Assert.Equal([0, 1], log.ItemsOf(0).ToArray());
        Assert.Equal([UserAction.Order, UserAction.None], log.ActionsOf(0).ToArray());
        Assert.Equal([2], log.ItemsOf(1).ToArray());
        Assert.Equal([UserAction.Cart], log.ActionsOf(1).ToArray());
        Assert.Equal(0, log.ItemsOf(2).Length);
        Assert.Equal([UserAction.Click], log.ActionsOf(3).ToArray());
        Assert.Equal(1, log.DuplicateItemsMerged);
    }

    [Fact]
    public void Long_requests_grow_the_buffers()
    {
        using var dir = new TempDir();
        var ids = Enumerable.Range(0, 700).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var path = dir.Write("log.jsonl", $$"""{"query": "q", "items": [{{string.Join(", ", ids.Select(i => $$"""{"id": "{{i}}"}"""))}}]}""");
        var log = SearchLogReader.Read(path, Catalog(ids));
        Assert.Equal(Enumerable.Range(0, 700), log.ItemsOf(0).ToArray());
    }

    [Fact]
    public void Skip_bad_keeps_a_request_without_its_unknown_items_and_counts_them()
    {
        using var dir = new TempDir();
        var path = dir.Write("log.jsonl",
            """{"query": "a", "items": [{"id": "9"}, {"id": "1", "action": "click"}, {"id": "8"}]}""",
            """{"query": "b", "items": [{"id": "7"}, {"id": "1", "action": "buy"}]}""");
        var problems = new DataProblems();
        var log = SearchLogReader.Read(path, Catalog("1"), new DataReadOptions { SkipBad = true }, problems);

        Assert.Equal(1, log.Count);
        Assert.Equal([0], log.ItemsOf(0).ToArray());
        Assert.Equal(2, log.UnknownItemIds); // line 2's unknown '7' is not counted: the whole line was bad
        Assert.Equal(3, problems.Count);
        Assert.Contains(":1: field 'items[0].id': item '9' is not in the catalog", problems.First[0]);
        Assert.Contains(":1: field 'items[2].id': item '8'", problems.First[1]);
        Assert.Contains(":2: field 'items[1].action': unknown action 'buy'", problems.First[2]);
    }
}
