using System.Globalization;
using System.Text;
using Mmse.Evaluation;
using Mmse.Internals;

namespace Mmse.Experiments;

/// <summary>One variant's metrics on one query segment, with paired tests against the reference variant on the same requests.</summary>
/// <param name="Segment">The segment's name (<see cref="QuerySegments.Names"/>).</param>
/// <param name="Variant">The variant's name.</param>
/// <param name="Test">Metrics against the test log's judgments.</param>
/// <param name="Truth">Metrics against the known truth, when the experiment had it.</param>
/// <param name="Tests">Per metric of <see cref="SegmentReport.TestedMetrics"/>: the paired test against the reference within the segment (empty for the reference).</param>
/// <param name="TruthTests">The same against the truth.</param>
/// <param name="Diagnostics">The variant's diagnostics over the segment's requests (trained variants only).</param>
public sealed record SegmentResult(string Segment, string Variant, SegmentMetrics Test, SegmentMetrics? Truth,
    IReadOnlyDictionary<string, PairedComparison> Tests, IReadOnlyDictionary<string, PairedComparison> TruthTests,
    ModelDiagnostics? Diagnostics = null);

/// <summary>
/// Metrics per query segment (<see cref="QuerySegments"/>): for every segment and variant the
/// §8 metrics over the segment's requests, and a paired randomisation test against the reference
/// variant within the segment, so a gain on a small kind of query (the broad ones a second head
/// is for) is visible even when it cannot move the overall average.
/// </summary>
public static class SegmentReport
{
    /// <summary>The metrics the per-segment table shows and tests (all eight are in results.json).</summary>
    public static IReadOnlyList<string> TestedMetrics { get; } = ["recall_order@100", "ndcg@10", "mrr_order"];

    public static IReadOnlyList<SegmentResult> Compute(IReadOnlyList<VariantResult> variants, string reference, QuerySegments segments, int rounds)
    {
        ArgumentNullException.ThrowIfNull(variants);
        ArgumentNullException.ThrowIfNull(segments);
        var baseline = variants.FirstOrDefault(v => v.Name == reference) ?? variants[0];
        foreach (var v in variants)
        {
            if (v.PerRequest.Length != segments.Count)
                ThrowHelper.Input($"the segments file has {segments.Count:N0} lines but variant '{v.Name}' was evaluated on {v.PerRequest.Length:N0} requests");
        }
        var perVariant = variants.ToDictionary(v => v.Name, v => (
            Test: SegmentMetrics.Compute(segments, v.PerRequest),
            Truth: v.TruthPerRequest is null ? null : SegmentMetrics.Compute(segments, v.TruthPerRequest)), StringComparer.Ordinal);
        var rows = new List<SegmentResult>();
        for (var s = 0; s < segments.Names.Count; s++)
        {
            var name = segments.Names[s];
            var members = segments.Members(name);
            foreach (var v in variants)
            {
                var (test, truth) = perVariant[v.Name];
                var tests = new Dictionary<string, PairedComparison>(StringComparer.Ordinal);
                var truthTests = new Dictionary<string, PairedComparison>(StringComparer.Ordinal);
                if (!ReferenceEquals(v, baseline))
                {
                    foreach (var metric in TestedMetrics)
                    {
                        var m = Index(metric);
                        tests[metric] = Significance.Compare(SegmentMetrics.Values(baseline.PerRequest, members, m),
                            SegmentMetrics.Values(v.PerRequest, members, m), rounds, seed: 17 + m);
                        if (v.TruthPerRequest is not null && baseline.TruthPerRequest is not null)
                        {
                            truthTests[metric] = Significance.Compare(SegmentMetrics.Values(baseline.TruthPerRequest, members, m),
                                SegmentMetrics.Values(v.TruthPerRequest, members, m), rounds, seed: 17 + m);
                        }
                    }
                }
                rows.Add(new SegmentResult(name, v.Name, test[s], truth?[s], tests, truthTests, v.SegmentDiagnostics?.GetValueOrDefault(name)));
            }
        }
        return rows;
    }

    /// <summary>The "Per segment" section of report.md.</summary>
    public static string Markdown(IReadOnlyList<SegmentResult> rows, string reference, int rounds)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var md = new StringBuilder();
        var truth = rows.Any(r => r.Truth is not null);
        md.AppendLine("## Per segment").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Metrics over the test requests of each query segment (from the segments file; `a/b` is also counted in `a`). `requests` counts the segment's requests and, in brackets, those with an order (the ones `recall_order@100` and `mrr_order` average over). Each cell: the metric, then the difference to `{reference}` and the p-value of a paired randomisation test ({rounds:N0} rounds) within the segment; † p < 0.05. Small segments give wide intervals: read the differences with the counts.").AppendLine();
        var header = new List<string> { "segment", "requests", "variant" };
        header.AddRange(TestedMetrics);
        if (truth) header.AddRange(TestedMetrics.Select(m => "truth " + m));
        ReportFormat.Header(md, header);
        var orderIndex = Index("recall_order@100");
        foreach (var r in rows)
        {
            var cells = new List<string>
            {
                r.Segment,
                $"{r.Test.Requests.ToString("N0", CultureInfo.InvariantCulture)} ({r.Test.Defined[orderIndex].ToString("N0", CultureInfo.InvariantCulture)})",
                r.Variant == reference ? $"**{r.Variant}**" : r.Variant,
            };
            foreach (var metric in TestedMetrics)
                cells.Add(Cell(r.Test, metric, r.Tests));
            if (truth)
            {
                foreach (var metric in TestedMetrics)
                    cells.Add(r.Truth is null ? "–" : Cell(r.Truth, metric, r.TruthTests));
            }
            ReportFormat.Row(md, cells);
        }
        md.AppendLine();
        if (rows.Any(r => r.Diagnostics is not null))
        {
            md.AppendLine("### Diagnostics per segment").AppendLine();
            md.AppendLine("The diagnostics of the trained variants (docs/experiments.md, \"Diagnostics\") over each segment's requests: whether a second head wins part of a query's top 10 where the query names several intents.").AppendLine();
            ReportFormat.Header(md, ["segment", "variant", .. ModelDiagnostics.Names]);
            foreach (var r in rows.Where(r => r.Diagnostics is not null))
                ReportFormat.Row(md, [r.Segment, r.Variant, .. r.Diagnostics!.Values.Select(ReportFormat.Diagnostic)]);
            md.AppendLine();
        }
        return md.ToString();
    }

    /// <summary>The "segments" object of results.json: segment → requests and, per variant, all metrics, counts and p-values.</summary>
    public static Dictionary<string, object?> Json(IReadOnlyList<SegmentResult> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var document = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var group in rows.GroupBy(r => r.Segment))
        {
            var first = group.First();
            document[group.Key] = new Dictionary<string, object?>
            {
                ["requests"] = first.Test.Requests,
                ["requests_with_order"] = first.Test.Defined[Index("recall_order@100")],
                ["variants"] = group.ToDictionary(r => r.Variant, r => (object?)new Dictionary<string, object?>
                {
                    ["metrics"] = r.Test.Metrics.ToDictionary(p => p.Key, p => Round(p.Value)),
                    ["truth_metrics"] = r.Truth?.Metrics.ToDictionary(p => p.Key, p => Round(p.Value)),
                    ["p_values_vs_reference"] = r.Tests.Count == 0 ? null : r.Tests.ToDictionary(p => p.Key, p => Round(p.Value.PValue)),
                    ["truth_p_values_vs_reference"] = r.TruthTests.Count == 0 ? null : r.TruthTests.ToDictionary(p => p.Key, p => Round(p.Value.PValue)),
                    ["diagnostics"] = r.Diagnostics is { } diag ? ReportFormat.DiagnosticsJson(diag) : null,
                }),
            };
        }
        return document;
    }

    private static string Cell(SegmentMetrics metrics, string metric, IReadOnlyDictionary<string, PairedComparison> tests)
    {
        if (metrics.Defined[Index(metric)] == 0) return "–";
        var text = ReportFormat.Metric(metrics.Metrics[metric]);
        if (tests.TryGetValue(metric, out var t) && t.Pairs > 0)
            text += ReportFormat.Comparison(t);
        return text;
    }

    private static int Index(string metric)
    {
        for (var m = 0; m < RetrievalMetrics.Count; m++)
        {
            if (RetrievalMetrics.Names[m] == metric) return m;
        }
        throw new ArgumentException($"unknown metric '{metric}'", nameof(metric));
    }

    private static double Round(double v) => ReportFormat.Round(v);
}
