using System.Globalization;
using System.Text;
using Mmse.Evaluation;

namespace Mmse.Experiments;

/// <summary>
/// The parts of the report about training seeds and the hybrid's fusion: the comparison of every
/// seeded variant with the reference over seeds (mean difference, paired t-test from three seeds
/// on), each seed's values, and the fusion the hybrid chose on the validation requests.
/// </summary>
internal static class SeedReport
{
    /// <summary>Seeds of the experiment: the most seeds any variant ran.</summary>
    public static int SeedCount(IReadOnlyList<VariantResult> variants) => variants.Select(v => v.Seeds.Count).DefaultIfEmpty(0).Max();

    /// <summary>Per variant (not the reference) and metric: the comparison over seeds, for variants with the reference's seeds.</summary>
    public static Dictionary<string, Dictionary<string, SeedComparison>> Compare(IReadOnlyList<VariantResult> variants, VariantResult baseline)
    {
        var result = new Dictionary<string, Dictionary<string, SeedComparison>>(StringComparer.Ordinal);
        if (baseline.Seeds.Count < 2) return result;
        foreach (var v in variants)
        {
            if (ReferenceEquals(v, baseline) || v.Seeds.Count != baseline.Seeds.Count) continue;
            result[v.Name] = RetrievalMetrics.Names.ToDictionary(m => m,
                m => SeedStatistics.Compare([.. baseline.Seeds.Select(s => s.Metrics[m])], [.. v.Seeds.Select(s => s.Metrics[m])]), StringComparer.Ordinal);
        }
        return result;
    }

    /// <summary>" ± 0.0123" after a mean, when the variant ran several seeds.</summary>
    public static string SpreadSuffix(VariantResult variant, string metric) =>
        variant.SpreadOf(metric) is { } spread ? " ± " + ReportFormat.Metric(spread.Std) : "";

    /// <summary>The markdown section "Over training seeds" (nothing with one seed).</summary>
    public static void Markdown(StringBuilder md, IReadOnlyList<VariantResult> variants, string reference,
        Dictionary<string, Dictionary<string, SeedComparison>> comparisons)
    {
        var seeds = SeedCount(variants);
        if (seeds < 2) return;
        md.AppendLine("## Over training seeds").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Every trained variant (and the hybrid, whose `{reference}` channel is trained) ran {seeds} training seeds: run i trains with sampler seed and weight-initialisation seed each raised by i, on the same training and validation requests. The table above shows the mean over the seeds ± the sample standard deviation (n − 1); its p-values compare per-request values averaged over the seeds. Untrained rows ran once.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Each cell below: the mean difference to `{reference}` over the seeds (seed i against seed i){(seeds >= SeedStatistics.MinSeedsForTest ? $" and the two-sided p-value of a paired t-test over the {seeds} seeds ({seeds - 1} degrees of freedom); † p < 0.05" : "; a paired test needs at least 3 seeds")}.").AppendLine();
        ReportFormat.Header(md, ["variant", .. ExperimentReport.TableMetrics]);
        foreach (var v in variants)
        {
            if (!comparisons.TryGetValue(v.Name, out var perMetric)) continue;
            ReportFormat.Row(md, [v.Name, .. ExperimentReport.TableMetrics.Select(m => Cell(perMetric[m]))]);
        }
        md.AppendLine();

        md.AppendLine("Each seed's value, then the mean ± standard deviation and the range (min–max):").AppendLine();
        foreach (var metric in new[] { "recall_order@100", "ndcg@10" })
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"`{metric}`:").AppendLine();
            ReportFormat.Header(md, ["variant", .. Enumerable.Range(1, seeds).Select(s => $"seed {s}"), "mean ± std", "min–max"]);
            foreach (var v in variants.Where(v => v.Seeds.Count >= 2))
            {
                var spread = v.SpreadOf(metric)!.Value;
                ReportFormat.Row(md, [v.Name, .. Enumerable.Range(0, seeds).Select(s => s < v.Seeds.Count ? ReportFormat.Metric(v.Seeds[s].Metrics[metric]) : "–"),
                    $"{ReportFormat.Metric(spread.Mean)} ± {ReportFormat.Metric(spread.Std)}", $"{ReportFormat.Metric(spread.Min)}–{ReportFormat.Metric(spread.Max)}"]);
            }
            md.AppendLine();
        }
    }

    private static string Cell(SeedComparison c)
    {
        var sign = c.MeanDifference >= 0 ? "+" : "−";
        var text = sign + ReportFormat.Metric(Math.Abs(c.MeanDifference));
        if (double.IsNaN(c.PValue)) return text;
        var p = c.PValue < 0.001 ? "<0.001" : c.PValue.ToString("0.000", CultureInfo.InvariantCulture);
        return $"{text} (p={p}{(c.IsSignificant() ? " †" : "")})";
    }

    /// <summary>The markdown section "Hybrid fusion": what the tuning chose per seed, beside the fixed RRF and either channel alone.</summary>
    public static void HybridMarkdown(StringBuilder md, IReadOnlyList<VariantResult> variants)
    {
        var hybrid = variants.FirstOrDefault(v => v.Name == ExperimentVariants.Hybrid);
        if (hybrid is null || hybrid.Seeds.Count == 0) return;
        md.AppendLine("## Hybrid fusion").AppendLine();
        var tuned = hybrid.Seeds.FirstOrDefault(s => s.Fusion is not null)?.Fusion;
        if (tuned is null)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"No validation requests: the hybrid used {hybrid.Seeds[0].UntunedFusion} untuned.").AppendLine();
            return;
        }
        md.AppendLine(CultureInfo.InvariantCulture, $"The fusion of `mmse` (first list) and `bm25` was chosen per seed on {tuned.Requests:N0} validation requests by {tuned.Metric}, among RRF constants and weights w of min-max score fusion (w on mmse; w = 1 is mmse alone, w = 0 bm25 alone). Validation {tuned.Metric}:").AppendLine();
        ReportFormat.Header(md, ["seed", "chosen", "chosen (valid)", "rrf k=60 (valid)", "mmse alone (valid)", "bm25 alone (valid)"]);
        for (var s = 0; s < hybrid.Seeds.Count; s++)
        {
            if (hybrid.Seeds[s].Fusion is not { } f) continue;
            ReportFormat.Row(md, [(s + 1).ToString(CultureInfo.InvariantCulture), f.Best.ToString(), ReportFormat.Metric(f.BestValue),
                ReportFormat.Diagnostic(f.ValueOf(FusionSetting.Rrf(RankFusion.DefaultK))),
                ReportFormat.Diagnostic(f.ValueOf(FusionSetting.Weighted(1))), ReportFormat.Diagnostic(f.ValueOf(FusionSetting.Weighted(0)))]);
        }
        md.AppendLine();
    }

    /// <summary>results.json fields of one variant's seeds (null when it has none).</summary>
    public static object? SeedsJson(VariantResult v) => v.Seeds.Count == 0 ? null : v.Seeds.Select(s => new Dictionary<string, object?>
    {
        ["train_seed"] = s.TrainSeed,
        ["init_seed"] = s.InitSeed,
        ["metrics"] = s.Metrics.ToDictionary(p => p.Key, p => ReportFormat.Round(p.Value)),
        ["truth_metrics"] = s.TruthMetrics?.ToDictionary(p => p.Key, p => ReportFormat.Round(p.Value)),
        ["train_seconds"] = s.TrainSeconds is { } t ? ReportFormat.Round(t) : null,
        ["fusion"] = s.Fusion is { } f ? FusionJson(f) : s.UntunedFusion is { } u ? new Dictionary<string, object?> { ["chosen"] = u.ToString(), ["tuned"] = false } : null,
    }).ToList();

    private static Dictionary<string, object?> FusionJson(FusionTuningResult f) => new()
    {
        ["chosen"] = f.Best.ToString(),
        ["method"] = f.Best.Method == FusionMethod.Reciprocal ? "rrf" : "weighted",
        ["parameter"] = f.Best.Parameter,
        ["tuned"] = true,
        ["metric"] = f.Metric,
        ["valid_requests"] = f.Requests,
        ["valid_value"] = ReportFormat.Round(f.BestValue),
        ["trials"] = f.Trials.ToDictionary(t => t.Setting.ToString(), t => ReportFormat.Round(t.Value)),
    };

    /// <summary>results.json: mean, std, min and max per metric over the seeds (null with fewer than two).</summary>
    public static object? SpreadJson(VariantResult v) => v.Seeds.Count < 2 ? null : ExperimentReport.TableMetrics.ToDictionary(m => m, m =>
    {
        var s = v.SpreadOf(m)!.Value;
        return new Dictionary<string, double> { ["mean"] = ReportFormat.Round(s.Mean), ["std"] = ReportFormat.Round(s.Std), ["min"] = ReportFormat.Round(s.Min), ["max"] = ReportFormat.Round(s.Max) };
    });

    /// <summary>results.json: the comparison over seeds per metric (null when there is none).</summary>
    public static object? ComparisonJson(Dictionary<string, Dictionary<string, SeedComparison>> comparisons, string name) =>
        !comparisons.TryGetValue(name, out var perMetric) ? null : perMetric.ToDictionary(p => p.Key, p => new Dictionary<string, double?>
        {
            ["mean_difference"] = ReportFormat.Round(p.Value.MeanDifference),
            ["std_difference"] = ReportFormat.Round(p.Value.StdDifference),
            ["t"] = double.IsFinite(p.Value.T) ? ReportFormat.Round(p.Value.T) : null,
            ["p_value"] = double.IsNaN(p.Value.PValue) ? null : ReportFormat.Round(p.Value.PValue),
        });
}
