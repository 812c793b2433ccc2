using System.Text;
using System.Text.Json;
using Mmse.Internals;

namespace Mmse.Evaluation;

/// <summary>
/// A label per test request that says what kind of query it is (the synthetic generator writes
/// <c>broad/word</c>, <c>broad/department</c>, <c>brand-only</c>, <c>model</c>, <c>specific</c>,
/// <c>plain</c> into intents.jsonl), so metrics can be reported per kind. A label may name a
/// hierarchy with '/': <c>broad/word</c> belongs to the segments <c>broad/word</c> and <c>broad</c>.
/// </summary>
public sealed class QuerySegments
{
    /// <summary>The JSON field that holds a request's label in a segments file.</summary>
    public const string FieldName = "segment";

    private readonly Dictionary<string, int[]> _members;

    private QuerySegments(string[] labels)
    {
        Labels = labels;
        var groups = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        for (var r = 0; r < labels.Length; r++)
        {
            var label = labels[r];
            for (var cut = label.Length; cut > 0; cut = label.LastIndexOf('/', cut - 1))
            {
                var name = label[..cut];
                if (!groups.TryGetValue(name, out var list))
                    groups[name] = list = [];
                list.Add(r);
            }
        }
        _members = groups.ToDictionary(g => g.Key, g => g.Value.ToArray(), StringComparer.Ordinal);
        Names = [.. groups.Keys];
    }

    /// <summary>Request r's label.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Every segment: each label and each '/'-prefix of one, in ordinal order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Number of requests.</summary>
    public int Count => Labels.Count;

    /// <summary>The requests (ascending indices) whose label is <paramref name="segment"/> or lies under it.</summary>
    public ReadOnlySpan<int> Members(string segment) =>
        _members.TryGetValue(segment, out var m) ? m : throw new ArgumentException($"no segment '{segment}'", nameof(segment));

    /// <summary>Segments from labels given in request order.</summary>
    public static QuerySegments FromLabels(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var copy = new string[labels.Count];
        for (var r = 0; r < copy.Length; r++)
        {
            var problem = Problem(labels[r]);
            if (problem is not null) throw new ArgumentException($"label {r}: {problem}", nameof(labels));
            copy[r] = labels[r];
        }
        return new QuerySegments(copy);
    }

    /// <summary>
    /// Reads a JSONL file with one object per test request, in the test log's order, each with a
    /// string field <c>segment</c> (other fields are ignored, so the generator's intents.jsonl
    /// serves as is). Blank lines are not allowed: line i is request i.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="requests">The test log's request count; the file must have exactly as many lines.</param>
    /// <exception cref="MmseDataException">A line is not a JSON object, or its segment is missing, not a string, empty or malformed.</exception>
    /// <exception cref="MmseInputException">The file is missing or has another number of lines.</exception>
    public static QuerySegments Read(string path, int requests)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowHelper.IfFileMissing(path, "segments file");
        var labels = new List<string>(requests);
        var interned = new Dictionary<string, string>(StringComparer.Ordinal);
        using var reader = new StreamReader(path, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true);
        long line = 0;
        try
        {
            while (reader.ReadLine() is { } text)
            {
                line++;
                if (labels.Count == requests)
                {
                    if (string.IsNullOrWhiteSpace(text) && reader.Peek() < 0) break;
                    ThrowHelper.Data(path, line, null, $"more lines than the {requests:N0} test requests; the file must align with the test log line by line");
                }
                labels.Add(Label(path, line, text, interned));
            }
        }
        catch (DecoderFallbackException e)
        {
            ThrowHelper.Data(path, line + 1, null, $"not valid UTF-8 ({e.Message})");
        }
        if (labels.Count != requests)
            ThrowHelper.Input($"{path}: {labels.Count:N0} lines but the test log has {requests:N0} requests; the file must align with the test log line by line");
        return new QuerySegments([.. labels]);
    }

    private static string Label(string path, long line, string text, Dictionary<string, string> interned)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            document = ThrowHelper.Data<JsonDocument>(path, line, null, $"not a JSON object ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                ThrowHelper.Data(path, line, null, "not a JSON object");
            if (!root.TryGetProperty(FieldName, out var value))
                ThrowHelper.Data(path, line, FieldName, "missing");
            if (value.ValueKind != JsonValueKind.String)
                ThrowHelper.Data(path, line, FieldName, $"must be a string, not {value.ValueKind.ToString().ToLowerInvariant()}");
            var label = value.GetString()!;
            var problem = Problem(label);
            if (problem is not null)
                ThrowHelper.Data(path, line, FieldName, problem);
            if (!interned.TryGetValue(label, out var shared))
                interned[label] = shared = label;
            return shared;
        }
    }

    private static string? Problem(string? label)
    {
        if (string.IsNullOrWhiteSpace(label)) return "empty";
        if (label.StartsWith('/') || label.EndsWith('/') || label.Contains("//", StringComparison.Ordinal))
            return $"'{label}' has an empty part between '/'";
        return label.Length > 200 ? "longer than 200 characters" : null;
    }
}

/// <summary>The metrics of one segment for one ranker.</summary>
/// <param name="Segment">The segment's name.</param>
/// <param name="Requests">Test requests in the segment.</param>
/// <param name="Defined">Per metric (<see cref="RetrievalMetrics.Names"/> order): requests where it is defined.</param>
/// <param name="Metrics">Macro averages over the segment's requests, keyed by metric name (0 where none defines it).</param>
public sealed record SegmentMetrics(string Segment, int Requests, IReadOnlyList<long> Defined, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>The metrics of every segment from per-request values ([request][RetrievalMetrics.Count], NaN where undefined).</summary>
    public static IReadOnlyList<SegmentMetrics> Compute(QuerySegments segments, double[][] perRequest)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(perRequest);
        if (perRequest.Length != segments.Count)
            throw new ArgumentException($"'perRequest':{perRequest.Length} must equal the {segments.Count} segment labels");
        var rows = new List<SegmentMetrics>(segments.Names.Count);
        foreach (var name in segments.Names)
        {
            var members = segments.Members(name);
            var acc = new MetricsAccumulator();
            var defined = new long[RetrievalMetrics.Count];
            foreach (var r in members)
            {
                acc.Add(perRequest[r]);
                for (var m = 0; m < RetrievalMetrics.Count; m++)
                {
                    if (!double.IsNaN(perRequest[r][m])) defined[m]++;
                }
            }
            rows.Add(new SegmentMetrics(name, members.Length, defined, acc.Averages()));
        }
        return rows;
    }

    /// <summary>The per-request values of one metric over a segment's members, for a paired test.</summary>
    public static double[] Values(double[][] perRequest, ReadOnlySpan<int> members, int metric)
    {
        ArgumentNullException.ThrowIfNull(perRequest);
        var values = new double[members.Length];
        for (var i = 0; i < members.Length; i++)
            values[i] = perRequest[members[i]][metric];
        return values;
    }
}
