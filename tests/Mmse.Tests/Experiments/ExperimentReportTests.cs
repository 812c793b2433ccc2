using System.Text.Json;
using System.Xml.Linq;
using Mmse.Evaluation;
using Mmse.Experiments;

namespace Mmse.Tests.Experiments;

public class ExperimentReportTests
{
    private static VariantResult Variant(string name, double shift, int seed, bool trained)
    {
        var rng = new Random(seed);
        var perRequest = Enumerable.Range(0, 120).Select(_ =>
            Enumerable.Range(0, RetrievalMetrics.Count).Select(m => m == 7 && rng.Next(5) == 0 ? double.NaN : Math.Clamp(rng.NextDouble() * 0.5 + shift, 0, 1)).ToArray()).ToArray();
        var acc = new MetricsAccumulator();
        foreach (var r in perRequest) acc.Add(r);
        return new VariantResult
        {
            Name = name,
            Description = $"the {name} variant",
            Metrics = acc.Averages(),
            PerRequest = perRequest,
            RecallOrderCurve = Enumerable.Range(1, 1000).Select(k => Math.Min(1, shift + Math.Log10(k) / 4)).ToArray(),
            TrainSeconds = trained ? 12.5 : null,
            TrainRequestsPerSecond = trained ? 4000 : null,
            Epochs = trained ? [new EpochRecord(1, 3.2, 2.5, 0.7, 0.3), new EpochRecord(2, 2.1, 1.6, 0.5, 0.4 + shift)] : [],
        };
    }

    [Fact]
    public void Writes_a_table_with_every_variant_and_metric_json_and_plots_that_parse()
    {
        using var dir = new TempDir();
        VariantResult[] variants = [Variant("mmse", 0.3, 1, true), Variant("two-tower", 0.2, 2, true), Variant("bm25", 0.1, 3, false)];
        ExperimentReport.Write(dir.Path, variants, "mmse", "Test experiment", ["a note"], randomizationRounds: 500);
        // Set MMSE_TEST_KEEP=DIR to look at the report and plots this test writes.
        if (Environment.GetEnvironmentVariable("MMSE_TEST_KEEP") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            foreach (var file in Directory.GetFiles(dir.Path)) File.Copy(file, Path.Combine(keep, Path.GetFileName(file)), true);
        }

        var md = File.ReadAllText(dir.File("report.md"));
        var tableRows = md.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 + variants.Length, tableRows.Count); // header, one per variant (separator starts with "|-")
        foreach (var metric in RetrievalMetrics.Names) Assert.Contains(metric, tableRows[0]);
        Assert.Contains("p=", tableRows.Single(r => r.StartsWith("| two-tower", StringComparison.Ordinal)));
        Assert.Contains("†", tableRows.Single(r => r.StartsWith("| bm25", StringComparison.Ordinal)));

        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("results.json")));
        var v = json.RootElement.GetProperty("variants");
        foreach (var name in new[] { "mmse", "two-tower", "bm25" })
        {
            var metrics = v.GetProperty(name).GetProperty("metrics");
            foreach (var metric in RetrievalMetrics.Names)
                Assert.InRange(metrics.GetProperty(metric).GetDouble(), 0, 1);
        }
        Assert.Equal(12.5, v.GetProperty("mmse").GetProperty("train_seconds").GetDouble());

        foreach (var svg in new[] { "recall_at_k.svg", "training_loss.svg", "valid_recall.svg" })
        {
            var doc = XDocument.Load(dir.File(svg));
            var text = string.Concat(doc.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value + "\n"));
            Assert.Contains("mmse", text);
            Assert.Contains("two-tower", text);
        }
        var recall = XDocument.Load(dir.File("recall_at_k.svg"));
        Assert.Equal(3, recall.Descendants().Count(e => e.Name.LocalName == "path"));
    }

    [Fact]
    public void Epoch_axes_have_whole_number_ticks_only()
    {
        var svg = new SvgLineChart
        {
            Title = "t",
            XLabel = "epoch",
            YLabel = "loss",
            IntegerX = true,
            Series = [new ChartSeries("a", [(1, 30.0), (2, 20.0), (3, 10.0)])],
        }.Render();
        var labels = System.Xml.Linq.XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.Contains("2", labels);
        Assert.DoesNotContain("1.5", labels);
        Assert.DoesNotContain("2.5", labels);
    }

    [Fact]
    public void Ticks_are_round_numbers_covering_the_range()
    {
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1], SvgLineChart.Ticks(0, 1, 5));
        var ticks = SvgLineChart.Ticks(3, 97, 8);
        Assert.All(ticks, t => Assert.Equal(0, t % 10));
    }
}
