using System.Text;
using Mmse.Data;
using Mmse.Internals;
using Mmse.Model;

namespace Mmse.Tests.Faults;

/// <summary>
/// The inputs the fuzz suite found that crashed a reader, kept as plain cases: each failed with a
/// non-input exception (exit 1 with a stack trace) before its fix, and must stay an exit-2 error.
/// </summary>
public class FuzzRegressionTests
{
    // Found by catalog-jsonl (seed 15, input 8560): an escaped lone surrogate is JSON but not text;
    // Utf8JsonReader.GetString threw InvalidOperationException out of the reader.
    [Theory]
    [InlineData("""{"id": "2", "title": "bad \ud800 text"}""", "title")]
    [InlineData("""{"id": "\udc00", "title": "x"}""", "id")]
    [InlineData("""{"id": "2", "title": "x", "brand": "\ud800\u0041"}""", "brand")]
    [InlineData("""{"id": "2", "title": "x", "attributes": {"\ud800": "v"}}""", "attributes")]
    public void A_lone_surrogate_escape_in_a_catalog_is_a_data_error_naming_line_and_field(string line, string field)
    {
        using var dir = new TempDir();
        var path = dir.Write("catalog.jsonl", """{"id": "1", "title": "fine"}""", line);
        var e = Assert.Throws<MmseDataException>(() => CatalogReader.Read(path));
        Assert.Equal(2, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains("invalid text", e.Problem);
    }

    // Found by log-jsonl (seed 15, input 1713): the same escape in a request's item id or query.
    [Theory]
    [InlineData("""{"query": "q", "items": [{"id": "\ud800"}]}""")]
    [InlineData("""{"query": "\udbff", "items": [{"id": "1"}]}""")]
    [InlineData("""{"query": "q", "items": [{"id": "1", "action": "\ud800"}]}""")]
    public void A_lone_surrogate_escape_in_a_search_log_is_a_data_error_naming_the_line(string line)
    {
        using var dir = new TempDir();
        var catalog = CatalogReader.Read(dir.Write("catalog.jsonl", """{"id": "1", "title": "fine"}"""));
        var path = dir.Write("log.jsonl", """{"query": "q", "items": [{"id": "1"}]}""", line);
        var e = Assert.Throws<MmseDataException>(() => SearchLogReader.Read(path, catalog));
        Assert.Equal(2, e.Line);
        Assert.Contains("invalid text", e.Problem);
    }

    // Found by model (seed 15, input 2041): a header whose options are null was a NullReferenceException.
    [Theory]
    [InlineData("""{"Options": null, "Metadata": {}}""")]
    [InlineData("""{"Metadata": {}}""")]
    [InlineData("""{"Options": {"ItemFields": null}, "Metadata": {}}""")]
    [InlineData("""{"Options": {}, "Metadata": null}""")]
    [InlineData("""{"Options": {}, "Metadata": {"trained": null}}""")]
    public void A_model_header_with_a_null_field_is_refused_as_corrupt(string header)
    {
        using var stream = new MemoryStream();
        var writer = new ArtifactWriter(stream, MmseModel.Magic, MmseModel.FormatVersion);
        writer.WriteBytes(Encoding.UTF8.GetBytes(header));
        writer.WriteInt32(0);
        writer.Finish();
        stream.Position = 0;
        var e = Assert.Throws<MmseArtifactException>(() => MmseModel.Read(stream, "m.mmse"));
        Assert.Contains("m.mmse: corrupt model header", e.Message);
    }
}
