using System.Text.Json;

namespace Mmse.Tests.Cli;

/// <summary>`mmse data stats` on small hand-written logs: every JSON key checked against a hand count.</summary>
public class DataStatsCommandTests
{
    private static readonly string[] s_catalog =
    [
        """{"id": "a", "title": "steel angle bracket"}""",
        """{"id": "b", "title": "brass angle bracket"}""",
        """{"id": "c", "title": "door hinge"}""",
        """{"id": "d", "title": "oak shelf"}""",
        """{"id": "e", "title": "gate hinge"}""",
        """{"id": "f", "title": "never shown"}""",
    ];

    // Per request after reading (duplicates merged, deepest action kept):
    //   1 angle bracket: a order, b click, c none
    //   2 angle bracket: a click (none then click: 1 duplicate), b cart, d none
    //   3 hinge: c none, e none
    //   4 hinge: e order                      -> (hinge, e) is inconsistent with request 3
    //   5 shelf: d none (zz unknown: dropped, counted, one bad record with --skip-bad)
    //   6 shelf: d click                      -> (shelf, d) is inconsistent with request 5
    //   7 hinge: no items
    private static readonly string[] s_log =
    [
        """{"query": "Angle Bracket", "items": [{"id": "a", "action": "order"}, {"id": "b", "action": "click"}, {"id": "c"}]}""",
        """{"query": "angle  bracket", "items": [{"id": "a"}, {"id": "b", "action": "cart"}, {"id": "d", "action": "none"}, {"id": "a", "action": "click"}]}""",
        """{"query": "hinge", "user": "u1", "items": [{"id": "c"}, {"id": "e"}]}""",
        """{"query": "hinge", "time": "2026-01-02T10:00:00Z", "items": [{"id": "e", "action": "order"}]}""",
        """{"query": "shelf", "items": [{"id": "d"}, {"id": "zz"}]}""",
        """{"query": "Shelf", "items": [{"id": "d", "action": "click"}]}""",
        """{"query": " hinge ", "items": []}""",
    ];

    [Fact]
    public void Json_has_exactly_the_hand_counted_values()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("catalog.jsonl", s_catalog);
        var log = dir.Write("log.jsonl", s_log);
        var json = dir.File("out/stats.json");

        var result = CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--skip-bad", "--json", json, "--top", "2");
        Assert.True(result.ExitCode == 0, result.Error);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(
            ["bad_records", "catalog_items", "displayed_items", "distinct_queries", "duplicate_items_in_request", "inconsistent_pairs",
             "items_per_request", "levels", "requests", "requests_with_order", "requests_with_positive", "requests_without_positive",
             "top_queries", "unknown_item_ids"],
            root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(7, root.GetProperty("requests").GetInt32());
        Assert.Equal(3, root.GetProperty("distinct_queries").GetInt32());
        Assert.Equal(6, root.GetProperty("catalog_items").GetInt32());
        Assert.Equal(5, root.GetProperty("displayed_items").GetInt32());

        var levels = root.GetProperty("levels");
        Assert.Equal(["order", "cart", "click", "none"], levels.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, levels.GetProperty("order").GetInt64());
        Assert.Equal(1, levels.GetProperty("cart").GetInt64());
        Assert.Equal(3, levels.GetProperty("click").GetInt64());
        Assert.Equal(5, levels.GetProperty("none").GetInt64());

        Assert.Equal(4, root.GetProperty("requests_with_positive").GetInt32());
        Assert.Equal(3, root.GetProperty("requests_without_positive").GetInt32());
        Assert.Equal(2, root.GetProperty("requests_with_order").GetInt32());

        // Sizes 3, 3, 2, 1, 1, 1, 0: mean 11/7; nearest-rank p50 = 4th of 7 sorted = 1, p95 = 7th = 3.
        var sizes = root.GetProperty("items_per_request");
        Assert.Equal(["mean", "p50", "p95", "max"], sizes.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Math.Round(11.0 / 7, 4), sizes.GetProperty("mean").GetDouble());
        Assert.Equal(1, sizes.GetProperty("p50").GetDouble());
        Assert.Equal(3, sizes.GetProperty("p95").GetDouble());
        Assert.Equal(3, sizes.GetProperty("max").GetDouble());

        Assert.Equal(1, root.GetProperty("unknown_item_ids").GetInt64());
        Assert.Equal(1, root.GetProperty("duplicate_items_in_request").GetInt64());
        Assert.Equal(2, root.GetProperty("inconsistent_pairs").GetInt64());
        Assert.Equal(1, root.GetProperty("bad_records").GetInt64());

        // hinge 3, then the tie angle bracket 2 / shelf 2 broken by text; --top 2 keeps two.
        var top = root.GetProperty("top_queries").EnumerateArray().ToList();
        Assert.Equal(2, top.Count);
        Assert.Equal("hinge", top[0].GetProperty("query").GetString());
        Assert.Equal(3, top[0].GetProperty("requests").GetInt32());
        Assert.Equal("angle bracket", top[1].GetProperty("query").GetString());
        Assert.Equal(2, top[1].GetProperty("requests").GetInt32());

        Assert.Contains("7 requests, 3 distinct queries", result.Out);
        Assert.Contains("items per request  mean 1.6, p50 1, p95 3, max 3", result.Out);
        Assert.Contains("inconsistent pairs 2", result.Out);
        Assert.Contains("unknown item ids   1", result.Out);
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        using var dir = new TempDir();
        var catalog = dir.Write("catalog.jsonl", [.. Enumerable.Range(0, 20).Select(i => $$"""{"id": "{{i}}", "title": "t{{i}}"}""")]);
        // Request r (r = 1..20) shows items 0 .. r-1; the first item is clicked in every request.
        var log = dir.Write("log.jsonl", [.. Enumerable.Range(1, 20).Select(r =>
            $$"""{"query": "q{{r % 4}}", "items": [{{string.Join(", ", Enumerable.Range(0, r).Select(i => i == 0 ? """{"id": "0", "action": "click"}""" : $$"""{"id": "{{i}}"}"""))}}]}""")]);
        var json = dir.File("stats.json");

        Assert.Equal(0, CliRunner.Run("data", "stats", "--catalog", catalog, "--log", log, "--json", json).ExitCode);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        var sizes = root.GetProperty("items_per_request");
        Assert.Equal(10.5, sizes.GetProperty("mean").GetDouble());
        Assert.Equal(10, sizes.GetProperty("p50").GetDouble());
        Assert.Equal(19, sizes.GetProperty("p95").GetDouble());
        Assert.Equal(20, sizes.GetProperty("max").GetDouble());
        Assert.Equal(20, root.GetProperty("levels").GetProperty("click").GetInt64());
        Assert.Equal(210 - 20, root.GetProperty("levels").GetProperty("none").GetInt64());
        Assert.Equal(20, root.GetProperty("requests_with_positive").GetInt32());
        Assert.Equal(4, root.GetProperty("distinct_queries").GetInt32());
        Assert.Equal(0, root.GetProperty("inconsistent_pairs").GetInt64());
        Assert.Equal(0, root.GetProperty("bad_records").GetInt64());
        Assert.Equal(4, root.GetProperty("top_queries").GetArrayLength());
        Assert.Equal("q0", root.GetProperty("top_queries")[0].GetProperty("query").GetString());
    }
}
