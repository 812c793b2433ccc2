using Mmse.Evaluation;

namespace Mmse.Tests.Evaluation;

public class QuerySegmentsTests
{
    [Fact]
    public void A_label_with_a_slash_counts_in_its_own_segment_and_in_every_prefix()
    {
        var segments = QuerySegments.FromLabels(["plain", "broad/word", "broad/department", "plain", "broad/word"]);
        Assert.Equal(["broad", "broad/department", "broad/word", "plain"], segments.Names);
        Assert.Equal([1, 2, 4], segments.Members("broad").ToArray());
        Assert.Equal([1, 4], segments.Members("broad/word").ToArray());
        Assert.Equal([0, 3], segments.Members("plain").ToArray());
        Assert.Throws<ArgumentException>(() => segments.Members("nope").Length);
        Assert.Throws<ArgumentException>(() => QuerySegments.FromLabels(["a", "/b"]));
        Assert.Throws<ArgumentException>(() => QuerySegments.FromLabels(["a", ""]));
    }

    [Fact]
    public void Segment_metrics_are_the_macro_averages_of_their_members_skipping_undefined_values()
    {
        var segments = QuerySegments.FromLabels(["x/a", "y", "x/b", "x/a"]);
        var n = RetrievalMetrics.Count;
        double[] Row(double v, bool defined) => [.. Enumerable.Range(0, n).Select(m => defined || m != 1 ? v + m / 100.0 : double.NaN)];
        double[][] perRequest = [Row(0.2, true), Row(0.9, true), Row(0.6, false), Row(0.4, true)];
        var rows = SegmentMetrics.Compute(segments, perRequest).ToDictionary(r => r.Segment);
        Assert.Equal(["x", "x/a", "x/b", "y"], rows.Keys.Order(StringComparer.Ordinal));
        var x = rows["x"];
        Assert.Equal(3, x.Requests);
        Assert.Equal(3, x.Defined[0]);
        Assert.Equal(2, x.Defined[1]);
        Assert.Equal((0.2 + 0.6 + 0.4) / 3, x.Metrics[RetrievalMetrics.Names[0]], 12);
        Assert.Equal((0.2 + 0.4) / 2 + 0.01, x.Metrics[RetrievalMetrics.Names[1]], 12);
        Assert.Equal(0.9 + 0.02, rows["y"].Metrics[RetrievalMetrics.Names[2]], 12);
        // Every request is in exactly one leaf, so the leaves' counts add up to the log.
        Assert.Equal(4, rows["x/a"].Requests + rows["x/b"].Requests + rows["y"].Requests);
        Assert.Equal([0.2 + 0.03, 0.4 + 0.03], SegmentMetrics.Values(perRequest, segments.Members("x/a"), 3));
    }

    [Fact]
    public void Reads_the_segment_field_of_each_line_and_ignores_the_others()
    {
        using var dir = new TempDir();
        var path = dir.Write("s.jsonl", """{"query":"mouse","segment":"broad/word","type":"x"}""", """{"segment":"plain"}""");
        var segments = QuerySegments.Read(path, 2);
        Assert.Equal(["broad/word", "plain"], segments.Labels);
    }

    [Theory]
    [InlineData("""{"segment":"plain"}|not json""", 2, null, "not a JSON object")]
    [InlineData("""{"segment":"plain"}|[1,2]""", 2, null, "not a JSON object")]
    [InlineData("""{"segment":"plain"}|{"query":"x"}""", 2, "segment", "missing")]
    [InlineData("""{"segment":3}|{"segment":"plain"}""", 1, "segment", "must be a string")]
    [InlineData("""{"segment":"plain"}|{"segment":" "}""", 2, "segment", "empty")]
    [InlineData("""{"segment":"broad//word"}|{"segment":"plain"}""", 1, "segment", "empty part")]
    [InlineData("""{"segment":"plain"}|{"segment":"plain"}|{"segment":"plain"}""", 3, null, "more lines than the 2 test requests")]
    public void A_bad_line_is_refused_with_its_file_line_and_field(string content, int line, string? field, string problem)
    {
        using var dir = new TempDir();
        var path = dir.Write("s.jsonl", content.Split('|'));
        var e = Assert.Throws<MmseDataException>(() => QuerySegments.Read(path, 2));
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_few_lines_or_a_missing_file_is_an_input_error()
    {
        using var dir = new TempDir();
        var path = dir.Write("s.jsonl", """{"segment":"plain"}""");
        var e = Assert.Throws<MmseInputException>(() => QuerySegments.Read(path, 3));
        Assert.Contains("1 lines but the test log has 3 requests", e.Message, StringComparison.Ordinal);
        Assert.Throws<MmseInputException>(() => QuerySegments.Read(dir.File("absent.jsonl"), 3));
    }
}
