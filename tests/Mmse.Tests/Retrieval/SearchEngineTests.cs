using Mmse.Retrieval;

namespace Mmse.Tests.Retrieval;

public class SearchEngineTests
{
    [Theory]
    [InlineData(null, null, "'q': is required")]
    [InlineData("  ", null, "'q': is empty")]
    [InlineData("sofa", 0, "'k': 0 is out of range [1, 1000]")]
    [InlineData("sofa", 1001, "'k': 1001 is out of range [1, 1000]")]
    public void Validate_names_the_bad_parameter(string? q, int? k, string message)
    {
        using var engine = ServingTestData.Engine();
        var e = Assert.Throws<SearchInputException>(() => engine.Validate(q, k, null, ""));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Validate_trims_defaults_k_and_prefixes_batch_positions()
    {
        using var engine = ServingTestData.Engine();
        var query = engine.Validate("  grey sofa ", null, ["brand:HardCo"]);
        Assert.Equal("grey sofa", query.Text);
        Assert.Equal(10, query.K);
        Assert.NotNull(query.Filter);
        var e = Assert.Throws<SearchInputException>(() => engine.Validate(new string('x', 257), 5, null, "queries[3]."));
        Assert.Equal("queries[3].q", e.Parameter);
    }

    [Fact]
    public void Search_resolves_hits_to_catalog_items()
    {
        using var engine = ServingTestData.Engine(count: 5);
        var result = engine.Search(engine.Validate("anything", 3, null));
        Assert.Equal(3, result.Hits.Count);
        foreach (var hit in result.Hits)
        {
            Assert.Equal($"id{hit.Item}", hit.Id);
            Assert.Equal($"item {hit.Item} title", hit.Title);
            Assert.Equal(2, hit.HeadScores.Length);
        }
    }

    [Fact]
    public void Parts_that_do_not_fit_together_are_refused()
    {
        var catalog = ServingTestData.Catalog(3);
        var encoder = new ServingTestData.FixedEncoder(8, "v");
        var e = Assert.Throws<MmseInputException>(() => new SearchEngine(encoder, new ExactItemIndex(new float[3 * 4], 4), catalog));
        Assert.Contains("dimension 4 but the model's heads have 8", e.Message);
        e = Assert.Throws<MmseInputException>(() => new SearchEngine(encoder, new ExactItemIndex(new float[5 * 8], 8), catalog));
        Assert.Contains("holds 5 items but the catalog only 3", e.Message);
    }
}
