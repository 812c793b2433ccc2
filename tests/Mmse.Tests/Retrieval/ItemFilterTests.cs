using Mmse.Data;
using Mmse.Index;
using Mmse.Retrieval;

namespace Mmse.Tests.Retrieval;

public class ItemFilterTests
{
    private readonly ItemFilterParser _parser = new(ServingTestData.Catalog(10));

    private int[] Allowed(params string[] clauses)
    {
        var filter = _parser.Parse(clauses)!;
        return [.. Enumerable.Range(0, 10).Where(filter.Allows)];
    }

    [Fact]
    public void Category_is_a_prefix_on_whole_segments_in_any_spelling()
    {
        // Items 0,5: "Tools > Hardware"; 1,6: "... > Hinges"; 2,7: "Tools > Hardwareish".
        Assert.Equal([0, 1, 5, 6], Allowed("category:tools>hardware"));
        Assert.Equal([0, 1, 2, 5, 6, 7], Allowed("category: Tools "));
        Assert.Equal([1, 6], Allowed("Category:Tools > Hardware > Hinges"));
    }

    [Fact]
    public void Brand_and_attributes_match_exactly_ignoring_case_and_clauses_combine()
    {
        Assert.Equal([0, 2, 4, 6, 8], Allowed("brand:HARDCO"));
        Assert.Equal([0, 6], Allowed("color:grey"));
        Assert.Equal([0, 6], Allowed("COLOR:Grey", "brand:hardco"));
        Assert.Empty(Allowed("brand:hardco", "brand:homeline"));
        Assert.Equal(["category:Tools > Hardware", "color:grey"], _parser.Parse(["category:Tools>Hardware", "Color:grey"])!.Clauses);
    }

    [Theory]
    [InlineData("size:xl", "unknown filter field 'size'; known fields: category, brand, shop, color")]
    [InlineData("brandHardCo", "is not of the form field:value")]
    [InlineData(":x", "is not of the form field:value")]
    [InlineData("brand:  ", "has an empty value")]
    [InlineData("category:>>", "names no category")]
    public void Malformed_or_unknown_clauses_name_the_problem(string clause, string message)
    {
        var e = Assert.Throws<SearchInputException>(() => _parser.Parse([clause]));
        Assert.Equal("filter", e.Parameter);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Key_is_the_same_for_the_same_filter_in_any_spelling_or_order()
    {
        var a = _parser.Parse(["brand:HardCo", "category:tools>hardware"])!;
        var b = _parser.Parse(["Category: Tools > Hardware", "BRAND:hardco"])!;
        Assert.Equal(a.Key, b.Key);
        Assert.NotEqual(a.Key, _parser.Parse(["brand:HardCo"])!.Key);
    }

    [Fact]
    public void No_clauses_is_no_filter()
    {
        Assert.Null(_parser.Parse(null));
        Assert.Null(_parser.Parse([]));
    }
}

/// <summary>The same grammar applied to a vector index's positions (formerly the index's own parser).</summary>
public class CatalogFilterTests
{
    private static Catalog MakeCatalog()
    {
        var b = new CatalogBuilder();
        b.TryAdd(new CatalogItem("a", "t", "HardCo", "Tools > Hardware", "s1", [new("color", "black")]));
        b.TryAdd(new CatalogItem("b", "t", "hardco", "Tools", "s2", [new("color", "red")]));
        b.TryAdd(new CatalogItem("c", "t", "Other", "Toolsets > Big", "s1"));
        b.TryAdd(new CatalogItem("d", "t", null, "Garden > Tools", null, [new("Color", "BLACK"), new("size", "L")]));
        return b.Build();
    }

    [Fact]
    public void Fields_match_as_documented()
    {
        var catalog = MakeCatalog();
        var vectors = SyntheticVectors.Clustered(5, 4, 2, 1, 2);
        var flat = new FlatIndex(vectors, 4, ["d", "c", "b", "a", "zz-not-in-catalog"]);
        IEnumerable<string> Ids(params string[] expressions) =>
            CatalogFilter.Parse(catalog, flat, expressions).Positions().Select(flat.IdAt).Order(StringComparer.Ordinal);
        Assert.Equal(["a", "b"], Ids("category:tools"));
        Assert.Equal(["a"], Ids("category:Tools > Hardware"));
        Assert.Equal(["a"], Ids("category:tools>hardware")); // one grammar: the server's canonical spelling applies here too
        Assert.Equal(["a", "b"], Ids("brand:HARDCO"));
        Assert.Equal(["a", "c"], Ids("shop:s1"));
        Assert.Equal(["a", "d"], Ids("color:black"));
        Assert.Equal(["a"], Ids("color:black", "category:Tools"));
        Assert.Empty(Ids("size:XL"));
        Assert.Equal([3, 2, 1, 0, -1], flat.CatalogItems(catalog));
    }

    [Fact]
    public void Unknown_or_malformed_fields_are_clear_errors()
    {
        var catalog = MakeCatalog();
        var flat = new FlatIndex(new float[4], 4, ["a"]);
        // The one grammar's message (the server's): it said "unknown field 'colour'" before the two parsers became one.
        var e = Assert.Throws<SearchInputException>(() => CatalogFilter.Parse(catalog, flat, "colour:red"));
        Assert.Contains("unknown filter field 'colour'", e.Message, StringComparison.Ordinal);
        Assert.Contains("color", e.Message, StringComparison.Ordinal);
        Assert.Throws<SearchInputException>(() => CatalogFilter.Parse(catalog, flat, "category"));
    }
}
