using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mmse.Evaluation;
using Mmse.Internals;

namespace Mmse.Experiments;

/// <summary>One epoch of a training run, for the loss and validation plots.</summary>
public sealed record EpochRecord(int Epoch, double Loss, double RetrievalLoss, double RankingLoss, double ValidRecallOrder100)
{
    /// <summary>Share of ranking pairs with an active hinge (NaN without the ranking loss).</summary>
    public double RankingActiveShare { get; init; } = double.NaN;
}

/// <summary>Everything measured for one variant on the shared test requests.</summary>
public sealed class VariantResult
{
    public required string Name { get; init; }

    /// <summary>One line on what the variant is (shown under the table).</summary>
    public string Description { get; init; } = "";

    /// <summary>Macro averages keyed by <see cref="RetrievalMetrics.Names"/>.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>[test requests][RetrievalMetrics.Count], NaN where undefined; the same request order for every variant.</summary>
    public required double[][] PerRequest { get; init; }

    /// <summary>Macro recall_order@K for K = 1..1000 (element K-1).</summary>
    public required double[] RecallOrderCurve { get; init; }

    /// <summary>Metrics against the known truth (synthetic data), when given.</summary>
    public IReadOnlyDictionary<string, double>? TruthMetrics { get; init; }

    /// <summary>Per-request values against the known truth, aligned with <see cref="PerRequest"/>; null without truth.</summary>
    public double[][]? TruthPerRequest { get; init; }

    /// <summary>Training time (steps only); null for untrained baselines such as BM25.</summary>
    public double? TrainSeconds { get; init; }

    public double? TrainRequestsPerSecond { get; init; }

    public IReadOnlyList<EpochRecord> Epochs { get; init; } = [];

    /// <summary>Mechanism measures of a trained variant (heads, fused scores); null for untrained rankers.</summary>
    public ModelDiagnostics? Diagnostics { get; init; }

    /// <summary>The same measures over each query segment's requests, when the experiment had segments; null otherwise.</summary>
    public IReadOnlyDictionary<string, ModelDiagnostics>? SegmentDiagnostics { get; init; }

    /// <summary>
    /// One entry per training seed for a trained variant and the hybrid (whose learned channel is
    /// trained per seed); empty for rankers that run once (BM25, pretrained). With several seeds
    /// <see cref="Metrics"/>, <see cref="PerRequest"/>, <see cref="RecallOrderCurve"/>, the truth values,
    /// the training time and the diagnostics are means over the seeds; <see cref="Epochs"/> are the first seed's.
    /// </summary>
    public IReadOnlyList<SeedRun> Seeds { get; init; } = [];

    /// <summary>Mean and spread of <paramref name="metric"/> over the seeds; null with fewer than two.</summary>
    public Spread? SpreadOf(string metric) =>
        Seeds.Count < 2 ? null : SeedStatistics.Summarize([.. Seeds.Select(s => s.Metrics[metric])]);
}

/// <summary>One training seed of a variant: its seeds, its macro metrics and, for the hybrid, the fusion chosen on validation.</summary>
/// <param name="TrainSeed">The sampler and shuffling seed (<c>TrainOptions.Seed</c>).</param>
/// <param name="InitSeed">The weight initialisation seed (<c>ModelOptions.InitSeed</c>).</param>
/// <param name="Metrics">Macro averages keyed by <see cref="RetrievalMetrics.Names"/>.</param>
public sealed record SeedRun(ulong TrainSeed, ulong InitSeed, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Metrics against the known truth, when given.</summary>
    public IReadOnlyDictionary<string, double>? TruthMetrics { get; init; }

    /// <summary>Training time of this seed; null for the hybrid.</summary>
    public double? TrainSeconds { get; init; }

    /// <summary>The hybrid's fusion tuning on the validation requests; null for other variants.</summary>
    public FusionTuningResult? Fusion { get; init; }

    /// <summary>The fusion used when no validation requests were there to tune on (null when tuned).</summary>
    public FusionSetting? UntunedFusion { get; init; }
}

/// <summary>
/// Writes an experiment's report: <c>report.md</c> (one table, significance against the
/// reference variant), <c>results.json</c>, and SVG plots (recall@K curves, training loss and
/// validation recall per epoch).
/// </summary>
public static class ExperimentReport
{
    /// <summary>Metrics shown in the table, in order (all of §8).</summary>
    public static IReadOnlyList<string> TableMetrics => RetrievalMetrics.Names;

    public static void Write(string directory, IReadOnlyList<VariantResult> variants, string reference, string title,
        IReadOnlyList<string> notes, int randomizationRounds = 10_000, QuerySegments? segments = null)
    {
        ArgumentNullException.ThrowIfNull(variants);
        Directory.CreateDirectory(directory);
        var baseline = variants.FirstOrDefault(v => v.Name == reference) ?? variants[0];
        var tests = Compare(variants, baseline, randomizationRounds);
        var seedTests = SeedReport.Compare(variants, baseline);
        var segmentRows = segments is null ? null : SegmentReport.Compute(variants, baseline.Name, segments, randomizationRounds);

        WriteAtomically(Path.Combine(directory, "recall_at_k.svg"), RecallPlot(variants, baseline.Name));
        var trained = variants.Where(v => v.Epochs.Count > 0).ToList();
        if (trained.Count > 0)
        {
            WriteAtomically(Path.Combine(directory, "training_loss.svg"), EpochPlot(trained, baseline.Name, "Training loss per epoch", "training loss (L_ret + λ·L_rank)", e => e.Loss));
            WriteAtomically(Path.Combine(directory, "valid_recall.svg"), EpochPlot(trained, baseline.Name, "Validation recall_order@100 per epoch", "validation recall_order@100", e => e.ValidRecallOrder100));
        }
        WriteAtomically(Path.Combine(directory, "results.json"), Json(variants, baseline.Name, tests, seedTests, segmentRows));
        WriteAtomically(Path.Combine(directory, "report.md"), Markdown(variants, baseline.Name, tests, seedTests, title, notes, trained.Count > 0, randomizationRounds, segmentRows));
    }

    /// <summary>Paired tests of every variant against the reference, per metric.</summary>
    public static Dictionary<string, Dictionary<string, PairedComparison>> Compare(IReadOnlyList<VariantResult> variants,
        VariantResult baseline, int rounds)
    {
        ArgumentNullException.ThrowIfNull(variants);
        ArgumentNullException.ThrowIfNull(baseline);
        var result = new Dictionary<string, Dictionary<string, PairedComparison>>(StringComparer.Ordinal);
        foreach (var v in variants)
        {
            if (ReferenceEquals(v, baseline)) continue;
            if (v.PerRequest.Length != baseline.PerRequest.Length)
                throw new InvalidOperationException($"variant '{v.Name}' was evaluated on {v.PerRequest.Length} requests, '{baseline.Name}' on {baseline.PerRequest.Length}");
            var perMetric = new Dictionary<string, PairedComparison>(StringComparer.Ordinal);
            for (var m = 0; m < RetrievalMetrics.Count; m++)
            {
                var a = baseline.PerRequest.Select(r => r[m]).ToArray();
                var b = v.PerRequest.Select(r => r[m]).ToArray();
                perMetric[RetrievalMetrics.Names[m]] = Significance.Compare(a, b, rounds, seed: 17 + m);
            }
            result[v.Name] = perMetric;
        }
        return result;
    }

    private static string Markdown(IReadOnlyList<VariantResult> variants, string reference,
        Dictionary<string, Dictionary<string, PairedComparison>> tests, Dictionary<string, Dictionary<string, SeedComparison>> seedTests,
        string title, IReadOnlyList<string> notes, bool hasEpochPlots, int rounds, IReadOnlyList<SegmentResult>? segmentRows)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {title}").AppendLine();
        foreach (var note in notes)
            md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Each cell: the metric, then in brackets the difference to `{reference}` and the two-sided p-value of a paired randomisation test ({rounds:N0} rounds) over the same test requests; **bold** marks the best value in a column, † a difference significant at p < 0.05.").AppendLine();
        var seeds = SeedReport.SeedCount(variants);
        if (seeds > 1)
            md.AppendLine(CultureInfo.InvariantCulture, $"Trained variants and the hybrid: the mean over {seeds} training seeds ± the sample standard deviation, the test over per-request values averaged over the seeds, and training time per seed (see \"Over training seeds\").").AppendLine();

        var header = new List<string> { "variant" };
        header.AddRange(TableMetrics);
        header.Add("train s");
        header.Add("train req/s");
        ReportFormat.Header(md, header);
        var best = TableMetrics.ToDictionary(m => m, m => variants.Max(v => v.Metrics.GetValueOrDefault(m)));
        foreach (var v in variants)
        {
            var cells = new List<string> { v.Name == reference ? $"**{v.Name}**" : v.Name };
            foreach (var metric in TableMetrics)
            {
                var value = v.Metrics.GetValueOrDefault(metric);
                var text = ReportFormat.Metric(value);
                if (Math.Abs(value - best[metric]) < 1e-12) text = $"**{text}**";
                text += SeedReport.SpreadSuffix(v, metric);
                if (tests.TryGetValue(v.Name, out var perMetric) && perMetric.TryGetValue(metric, out var t))
                    text += ReportFormat.Comparison(t);
                cells.Add(text);
            }
            cells.Add(v.TrainSeconds is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "–");
            cells.Add(v.TrainRequestsPerSecond is { } r ? r.ToString("#,0", CultureInfo.InvariantCulture) : "–");
            ReportFormat.Row(md, cells);
        }
        md.AppendLine();

        if (variants.Any(v => v.TruthMetrics is not null))
        {
            md.AppendLine("## Against the known truth").AppendLine();
            md.AppendLine("The synthetic marketplace knows every item's true grade for each test request (grade 3 counted as `order`, grade 2 as `click`), including relevant items the simulated engine never displayed. Same metrics, targets from `truth.jsonl`:").AppendLine();
            ReportFormat.Header(md, ["variant", .. TableMetrics]);
            foreach (var v in variants.Where(v => v.TruthMetrics is not null))
                ReportFormat.Row(md, [v.Name, .. TableMetrics.Select(m => ReportFormat.Metric(v.TruthMetrics![m]))]);
            md.AppendLine();
        }

        SeedReport.Markdown(md, variants, reference, seedTests);
        SeedReport.HybridMarkdown(md, variants);

        if (segmentRows is not null)
            md.Append(SegmentReport.Markdown(segmentRows, reference, rounds));

        if (variants.Any(v => v.Diagnostics is not null))
        {
            md.AppendLine("## Diagnostics").AppendLine();
            md.AppendLine("How each trained model scores the test queries (docs/experiments.md, \"Diagnostics\"): head cosine and the share of top-10 items won by a second head (K ≥ 2 only), the mean fused score of random items and of ordered items, how much the fusion lifts them above the mean head, and the score at rank 100.").AppendLine();
            ReportFormat.Header(md, ["variant", .. ModelDiagnostics.Names]);
            foreach (var v in variants.Where(v => v.Diagnostics is not null))
                ReportFormat.Row(md, [v.Name, .. v.Diagnostics!.Values.Select(ReportFormat.Diagnostic)]);
            md.AppendLine();
        }

        md.AppendLine("## Variants").AppendLine();
        foreach (var v in variants)
            md.AppendLine(CultureInfo.InvariantCulture, $"- `{v.Name}`: {v.Description}");
        md.AppendLine();
        md.AppendLine("## Plots").AppendLine();
        md.AppendLine("![recall_order@K for K from 1 to 1000](recall_at_k.svg)").AppendLine();
        if (hasEpochPlots)
        {
            md.AppendLine("![training loss per epoch](training_loss.svg)").AppendLine();
            md.AppendLine("![validation recall_order@100 per epoch](valid_recall.svg)").AppendLine();
        }
        return md.ToString();
    }

    private static string Json(IReadOnlyList<VariantResult> variants, string reference,
        Dictionary<string, Dictionary<string, PairedComparison>> tests, Dictionary<string, Dictionary<string, SeedComparison>> seedTests,
        IReadOnlyList<SegmentResult>? segmentRows)
    {
        var document = new Dictionary<string, object?>
        {
            ["reference"] = reference,
            ["seeds"] = Math.Max(1, SeedReport.SeedCount(variants)),
            ["variants"] = variants.ToDictionary(v => v.Name, v => (object?)new Dictionary<string, object?>
            {
                ["metrics"] = TableMetrics.ToDictionary(m => m, m => Round(v.Metrics.GetValueOrDefault(m))),
                ["truth_metrics"] = v.TruthMetrics?.ToDictionary(p => p.Key, p => Round(p.Value)),
                ["train_seconds"] = v.TrainSeconds is { } s ? Round(s) : null,
                ["train_requests_per_s"] = v.TrainRequestsPerSecond is { } r ? Round(r) : null,
                ["requests"] = v.PerRequest.Length,
                ["diagnostics"] = v.Diagnostics is { } diag ? ReportFormat.DiagnosticsJson(diag) : null,
                ["p_values_vs_reference"] = tests.TryGetValue(v.Name, out var t) ? t.ToDictionary(p => p.Key, p => Round(p.Value.PValue)) : null,
                ["spread"] = SeedReport.SpreadJson(v),
                ["seed_comparison_vs_reference"] = SeedReport.ComparisonJson(seedTests, v.Name),
                ["seed_runs"] = SeedReport.SeedsJson(v),
                ["epochs"] = v.Epochs.Select(e => new Dictionary<string, double>
                {
                    ["epoch"] = e.Epoch,
                    ["loss"] = Round(e.Loss),
                    ["retrieval_loss"] = Round(e.RetrievalLoss),
                    ["ranking_loss"] = Round(e.RankingLoss),
                    ["ranking_active_pairs"] = Round(e.RankingActiveShare),
                    ["valid_recall_order@100"] = Round(e.ValidRecallOrder100),
                }).ToList(),
            }),
        };
        if (segmentRows is not null)
            document["segments"] = SegmentReport.Json(segmentRows);
        return JsonSerializer.Serialize(document, s_json) + "\n";
    }

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static double Round(double v) => ReportFormat.Round(v);

    private static string RecallPlot(IReadOnlyList<VariantResult> variants, string reference)
    {
        // Log-spaced K so the plot file stays small yet the curve is smooth.
        var ks = Enumerable.Range(0, 61).Select(i => (int)Math.Round(Math.Pow(10, i / 20.0))).Distinct().Where(k => k <= 1000).ToList();
        var series = variants.Select(v => new ChartSeries(v.Name,
            ks.Where(k => k <= v.RecallOrderCurve.Length).Select(k => ((double)k, v.RecallOrderCurve[k - 1])).ToList(),
            v.Name == reference)).ToList();
        return new SvgLineChart
        {
            Title = "recall_order@K on the test requests",
            XLabel = "K (retrieved items, log scale)",
            YLabel = "recall_order@K",
            LogX = true,
            YRange = (0, Math.Min(1, Math.Ceiling(series.SelectMany(s => s.Points).Select(p => p.Y).DefaultIfEmpty(1).Max() * 10 + 0.5) / 10)),
            Series = series,
        }.Render();
    }

    private static string EpochPlot(IReadOnlyList<VariantResult> variants, string reference, string title, string yLabel, Func<EpochRecord, double> value) =>
        new SvgLineChart
        {
            Title = title,
            XLabel = "epoch",
            YLabel = yLabel,
            IntegerX = true,
            Series = variants.Select(v => new ChartSeries(v.Name, v.Epochs.Select(e => ((double)e.Epoch, value(e))).ToList(), v.Name == reference)).ToList(),
        }.Render();

    /// <summary>
    /// Through <see cref="AtomicFile"/> like every output: its temporary name carries the process,
    /// so the next run removes what a killed one left (a bare ".tmp-PID" stayed forever).
    /// </summary>
    private static void WriteAtomically(string path, string text)
    {
        using var file = new AtomicFile(path);
        using (var writer = new StreamWriter(file.Stream, leaveOpen: true))
            writer.Write(text);
        file.Commit();
    }
}
