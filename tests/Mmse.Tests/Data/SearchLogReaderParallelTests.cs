using Mmse.Data;

namespace Mmse.Tests.Data;

/// <summary>The chunked parallel read must give exactly what the serial read gives.</summary>
public class SearchLogReaderParallelTests
{
    private static (Catalog Catalog, string[] Lines) Fixture(int seed, bool withBadLines)
    {
        var random = new Random(seed);
        var builder = new CatalogBuilder();
        for (var i = 0; i < 30; i++)
            builder.TryAdd(new CatalogItem($"sku{i}", $"item {i}"));
        var actions = new[] { "none", "click", "cart", "order" };
        var lines = new List<string>();
        for (var r = 0; r < 400; r++)
        {
            var roll = random.Next(40);
            if (roll == 0)
            {
                lines.Add(random.Next(2) == 0 ? "" : "   ");
                continue;
            }
            if (withBadLines && roll == 1)
            {
                lines.Add("""{"query": "bad", "items": [{"id": "sku1", "action": "buy"}]}""");
                continue;
            }
            if (withBadLines && roll == 2)
            {
                lines.Add("""{"query": "broken", "items": [""");
                continue;
            }
            var items = Enumerable.Range(0, random.Next(0, 8)).Select(_ =>
            {
                var id = withBadLines && random.Next(30) == 0 ? "nosuch" : $"sku{random.Next(30)}";
                return $$"""{"id": "{{id}}", "action": "{{actions[random.Next(4)]}}"}""";
            });
            lines.Add($$"""{"query": "q{{random.Next(20)}}", "user": "u{{random.Next(5)}}", "time": {{1_700_000_000 + r}}, "items": [{{string.Join(", ", items)}}]}""");
        }
        return (builder.Build(), [.. lines]);
    }

    private static void AssertSame(SearchLog expected, SearchLog actual)
    {
        Assert.Equal(expected.Queries, actual.Queries);
        Assert.Equal(expected.Users, actual.Users);
        Assert.Equal(expected.Times, actual.Times);
        Assert.Equal(expected.Offsets, actual.Offsets);
        Assert.Equal(expected.Items, actual.Items);
        Assert.Equal(expected.Actions, actual.Actions);
        Assert.Equal(expected.DuplicateItemsMerged, actual.DuplicateItemsMerged);
        Assert.Equal(expected.UnknownItemIds, actual.UnknownItemIds);
    }

    [Theory]
    [InlineData(1, 37)]
    [InlineData(2, 100)]
    [InlineData(3, 1000)]
    [InlineData(4, 1 << 20)]
    public void Chunked_read_equals_serial_read(int seed, int chunkBytes)
    {
        using var dir = new TempDir();
        var (catalog, lines) = Fixture(seed, withBadLines: false);
        var path = dir.Write("log.jsonl", lines);

        var serial = SearchLogReader.Read(path, catalog, new DataReadOptions { Threads = 1 });
        var parallel = SearchLogReader.Read(path, catalog, new DataReadOptions { Threads = 3, ChunkBytes = chunkBytes });
        AssertSame(serial, parallel);
        Assert.True(serial.Count > 300);
    }

    [Theory]
    [InlineData(5, 41)]
    [InlineData(6, 333)]
    public void Chunked_read_reports_the_same_problems_and_first_error(int seed, int chunkBytes)
    {
        using var dir = new TempDir();
        var (catalog, lines) = Fixture(seed, withBadLines: true);
        var path = dir.Write("log.jsonl", lines);

        var serialProblems = new DataProblems(1000);
        var parallelProblems = new DataProblems(1000);
        var serial = SearchLogReader.Read(path, catalog, new DataReadOptions { Threads = 1, SkipBad = true }, serialProblems);
        var parallel = SearchLogReader.Read(path, catalog, new DataReadOptions { Threads = 3, SkipBad = true, ChunkBytes = chunkBytes }, parallelProblems);
        AssertSame(serial, parallel);
        Assert.True(serialProblems.Count > 10);
        Assert.Equal(serialProblems.Count, parallelProblems.Count);
        Assert.Equal(serialProblems.First, parallelProblems.First);

        var serialError = Assert.Throws<MmseDataException>(() => SearchLogReader.Read(path, catalog, new DataReadOptions { Threads = 1 }));
        var parallelError = Assert.Throws<MmseDataException>(() =>
            SearchLogReader.Read(path, catalog, new DataReadOptions { Threads = 3, ChunkBytes = chunkBytes }));
        Assert.Equal(serialError.Message, parallelError.Message);
    }

    [Fact]
    public void Chunked_read_of_a_file_of_blank_lines_is_empty()
    {
        using var dir = new TempDir();
        var (catalog, _) = Fixture(1, false);
        var path = dir.Write("log.jsonl", [.. Enumerable.Repeat("   ", 50)]);
        var e = Assert.Throws<MmseDataException>(() => SearchLogReader.Read(path, catalog, new DataReadOptions { Threads = 2, ChunkBytes = 16 }));
        Assert.Contains("empty", e.Message);
    }
}
