using Mmse.Data;

namespace Mmse.Tests.Data;

public class DelimitedCatalogReaderTests
{
    [Theory]
    [InlineData("a,b,c", new[] { "a", "b", "c" })]
    [InlineData("a,\"b,c\",d", new[] { "a", "b,c", "d" })]
    [InlineData("\"say \"\"hi\"\"\",x", new[] { "say \"hi\"", "x" })]
    [InlineData("\"\"\"\"", new[] { "\"" })]
    [InlineData("a,b,", new[] { "a", "b", "" })]
    [InlineData("a,\"\",", new[] { "a", "", "" })]
    [InlineData(",", new[] { "", "" })]
    [InlineData("\"\"", new[] { "" })]
    [InlineData("x", new[] { "x" })]
    [InlineData("a,\"b\"", new[] { "a", "b" })]
    public void Csv_split_handles_quotes_escapes_and_empty_trailing_cells(string line, string[] cells) =>
        Assert.Equal(cells, DelimitedCatalogReader.Split(line, ',', "f.csv", 7));

    [Fact]
    public void Tsv_split_keeps_empty_cells_and_quotes_verbatim() =>
        Assert.Equal(["a", "", "\"b\"", ""], DelimitedCatalogReader.Split("a\t\t\"b\"\t", '\t', "f.tsv", 1));

    [Theory]
    [InlineData("a,\"bc", "column 2", "unterminated quoted field")]
    [InlineData("\"a\"x,b", "column 1", "text after a closing quote")]
    public void Csv_split_reports_bad_quoting_with_line_and_column(string line, string field, string problem)
    {
        var e = Assert.Throws<MmseDataException>(() => DelimitedCatalogReader.Split(line, ',', "f.csv", 7));
        Assert.Equal(7, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Csv_catalog_maps_known_columns_and_keeps_the_rest_as_attributes()
    {
        using var dir = new TempDir();
        var path = dir.Write("c.csv", "ID,Title,brand,price,color,category", "1,\"Bracket, steel\",HardCo,12.5,black,Tools > Hardware", "2,Hinge,,,,");
        var catalog = CatalogReader.Read(path);
        Assert.Equal(["1", "2"], catalog.Ids);
        Assert.Equal("Bracket, steel", catalog.Titles[0]);
        Assert.Equal("HardCo", catalog.Brands[0]);
        Assert.Equal(12.5f, catalog.Prices[0]);
        Assert.Equal("black", catalog.Attribute(0, "color"));
        Assert.Equal("Tools > Hardware", catalog.Categories[0]);
        Assert.Null(catalog.Brands[1]);
        Assert.True(float.IsNaN(catalog.Prices[1]));
        Assert.Null(catalog.Attribute(1, "color"));
    }
}
