using System.Text.Json;
using Mmse.Evaluation;
using Mmse.Experiments;
using Mmse.Synthesis;

namespace Mmse.Tests.Experiments;

public class ExperimentCommandTests
{
    [Fact]
    public void Experiment_runs_every_variant_end_to_end_and_writes_a_well_formed_report()
    {
        using var dir = new TempDir();
        var data = dir.File("m");
        SyntheticMarketplace.Generate(new SynthOptions { Items = 1500, Requests = 2500, Days = 10, Seed = 3, Threads = 2, MaxTestRequests = 150 }, data);
        var outDir = dir.File("report");
        var result = CliRunner.Run("experiment",
            "--catalog", Path.Combine(data, "catalog.jsonl"), "--train", Path.Combine(data, "train.jsonl"),
            "--valid", Path.Combine(data, "valid.jsonl"), "--test", Path.Combine(data, "test.jsonl"),
            "--truth", Path.Combine(data, "truth.jsonl"), "--out", outDir,
            "--epochs", "1", "--buckets", "8192", "--random-negatives", "64", "--rounds", "200", "--seed", "5");
        Assert.True(result.ExitCode == 0, result.Error);

        var names = ExperimentVariants.All.Select(v => v.Name).ToList();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var variants = json.RootElement.GetProperty("variants");
        Assert.Equal(names.Order(), variants.EnumerateObject().Select(p => p.Name).Order());
        foreach (var variant in variants.EnumerateObject())
        {
            var metrics = variant.Value.GetProperty("metrics");
            foreach (var metric in RetrievalMetrics.Names)
                Assert.InRange(metrics.GetProperty(metric).GetDouble(), 0.0, 1.0);
            var truth = variant.Value.GetProperty("truth_metrics");
            Assert.InRange(truth.GetProperty("recall_order@100").GetDouble(), 0.0, 1.0);
        }
        Assert.True(variants.GetProperty("mmse").GetProperty("train_seconds").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, variants.GetProperty("bm25").GetProperty("train_seconds").ValueKind);
        // Something was learnt: the model beats chance (100 of 1,500 items) by far.
        Assert.True(variants.GetProperty("mmse").GetProperty("metrics").GetProperty("recall_order@100").GetDouble() > 0.2);

        var report = File.ReadAllLines(Path.Combine(outDir, "report.md"));
        var header = report.First(l => l.StartsWith("| variant", StringComparison.Ordinal));
        foreach (var metric in RetrievalMetrics.Names) Assert.Contains(metric, header);
        var firstTable = report.SkipWhile(l => !l.StartsWith("| variant", StringComparison.Ordinal)).TakeWhile(l => l.StartsWith('|')).ToList();
        Assert.Equal(names.Count + 2, firstTable.Count);
        foreach (var name in names)
            Assert.Contains(firstTable, row => row.StartsWith($"| {name} |", StringComparison.Ordinal) || row.StartsWith($"| **{name}** |", StringComparison.Ordinal));
        foreach (var plot in new[] { "recall_at_k.svg", "training_loss.svg", "valid_recall.svg" })
            Assert.True(new FileInfo(Path.Combine(outDir, plot)).Length > 1000, plot);
        Assert.Contains("significantly different", result.Out);
    }

    [Fact]
    public void Unknown_variant_is_a_usage_error()
    {
        var result = CliRunner.Run("experiment", "--catalog", "c", "--train", "t", "--test", "s", "--out", "o", "--variants", "mmse,bogus");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown variant 'bogus'", result.Error);
    }
}
