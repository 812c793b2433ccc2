using Mmse.Data;

namespace Mmse.Tests.Data;

/// <summary>The chunked parallel catalog read must give exactly what the serial read gives.</summary>
public class CatalogReaderParallelTests
{
    private static string[] Lines(int seed, bool bad)
    {
        var random = new Random(seed);
        var lines = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            var roll = random.Next(30);
            if (roll == 0) lines.Add("  ");
            else if (bad && roll == 1) lines.Add("""{"title": "no id"}""");
            else if (bad && roll == 2) lines.Add($$"""{"id": "item{{random.Next(i + 1)}}", "title": "maybe a duplicate"}""");
            else if (bad && roll == 3) lines.Add("""{"id": "x", "title": """);
            else
            {
                lines.Add($$$"""{"id": "item{{{i}}}", "title": "title {{{i}}}", "brand": "b{{{random.Next(5)}}}", "price": {{{i}}}.5, "attributes": {"color": "c{{{random.Next(3)}}}"}}""");
            }
        }
        return [.. lines];
    }

    private static void AssertSame(Catalog expected, Catalog actual)
    {
        Assert.Equal(expected.Ids, actual.Ids);
        Assert.Equal(expected.Titles, actual.Titles);
        Assert.Equal(expected.Brands, actual.Brands);
        Assert.Equal(expected.Prices, actual.Prices);
        Assert.Equal(expected.AttributeOffsets, actual.AttributeOffsets);
        Assert.Equal(expected.AttributeValues, actual.AttributeValues);
        for (var i = 0; i < expected.Count; i++)
            Assert.Equal(i, actual.IndexOf(expected.Ids[i]));
    }

    [Theory]
    [InlineData(1, 53, false)]
    [InlineData(2, 700, false)]
    [InlineData(3, 61, true)]
    [InlineData(4, 2000, true)]
    public void Chunked_read_equals_serial_read(int seed, int chunkBytes, bool bad)
    {
        using var dir = new TempDir();
        var path = dir.Write("catalog.jsonl", Lines(seed, bad));
        var serialProblems = new DataProblems(1000);
        var parallelProblems = new DataProblems(1000);

        var serial = CatalogReader.Read(path, new DataReadOptions { Threads = 1, SkipBad = true }, serialProblems);
        var parallel = CatalogReader.Read(path, new DataReadOptions { Threads = 3, SkipBad = true, ChunkBytes = chunkBytes }, parallelProblems);
        AssertSame(serial, parallel);
        Assert.Equal(serialProblems.Count, parallelProblems.Count);
        Assert.Equal(serialProblems.First, parallelProblems.First);
        Assert.Equal(bad, serialProblems.Count > 10);

        if (bad)
        {
            var serialError = Assert.Throws<MmseDataException>(() => CatalogReader.Read(path, new DataReadOptions { Threads = 1 }));
            var parallelError = Assert.Throws<MmseDataException>(() =>
                CatalogReader.Read(path, new DataReadOptions { Threads = 3, ChunkBytes = chunkBytes }));
            Assert.Equal(serialError.Message, parallelError.Message);
        }
    }
}
