using Mmse.Serving;

namespace Mmse.Tests.Serving;

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
