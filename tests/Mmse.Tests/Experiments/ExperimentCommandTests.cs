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
    public void Segments_add_per_segment_rows_with_tests_within_the_segment_and_a_bad_file_is_refused_before_training()
    {
        using var dir = new TempDir();
        var data = dir.File("m");
        SyntheticMarketplace.Generate(new SynthOptions { Items = 1200, Requests = 2000, Days = 10, Seed = 4, Threads = 2, MaxTestRequests = 150, AmbiguousQueryRate = 0.2, DepartmentQueryRate = 0.1 }, data);
        string[] common = ["experiment", "--catalog", Path.Combine(data, "catalog.jsonl"), "--train", Path.Combine(data, "train.jsonl"),
            "--test", Path.Combine(data, "test.jsonl"), "--truth", Path.Combine(data, "truth.jsonl"),
            "--epochs", "1", "--buckets", "4096", "--random-negatives", "32", "--rounds", "200", "--seed", "5", "--variants", "mmse,two-tower,bm25"];
        var outDir = dir.File("report");
        var result = CliRunner.Run([.. common, "--out", outDir, "--segments", Path.Combine(data, "intents.jsonl")]);
        Assert.True(result.ExitCode == 0, result.Error);

        var labels = File.ReadAllLines(Path.Combine(data, "intents.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("segment").GetString()!).ToList();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = json.RootElement;
        var segments = root.GetProperty("segments");
        Assert.Equal(labels.Count(l => l.StartsWith("broad/", StringComparison.Ordinal)), segments.GetProperty("broad").GetProperty("requests").GetInt32());
        Assert.Equal(labels.Count(l => l == "plain"), segments.GetProperty("plain").GetProperty("requests").GetInt32());
        // The per-segment values recombine into the overall ones: requests with an order, weighted by segment.
        double weighted = 0;
        long withOrder = 0;
        foreach (var leaf in segments.EnumerateObject().Where(p => p.Name != "broad"))
        {
            var n = leaf.Value.GetProperty("requests_with_order").GetInt64();
            weighted += n * leaf.Value.GetProperty("variants").GetProperty("two-tower").GetProperty("metrics").GetProperty("recall_order@100").GetDouble();
            withOrder += n;
        }
        Assert.Equal(root.GetProperty("variants").GetProperty("two-tower").GetProperty("metrics").GetProperty("recall_order@100").GetDouble(), weighted / withOrder, 4);
        var broad = segments.GetProperty("broad").GetProperty("variants");
        Assert.Equal(JsonValueKind.Null, broad.GetProperty("mmse").GetProperty("p_values_vs_reference").ValueKind);
        Assert.InRange(broad.GetProperty("bm25").GetProperty("p_values_vs_reference").GetProperty("ndcg@10").GetDouble(), 1.0 / 201, 1.0);
        Assert.InRange(broad.GetProperty("two-tower").GetProperty("truth_metrics").GetProperty("recall_order@100").GetDouble(), 0.0, 1.0);
        var report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("## Per segment", report, StringComparison.Ordinal);
        Assert.Contains("| broad/department | ", report, StringComparison.Ordinal);
        Assert.Contains("### Diagnostics per segment", report, StringComparison.Ordinal);
        // Diagnostics per segment for the trained variants only; a K = 2 model has a head cosine there.
        Assert.InRange(broad.GetProperty("mmse").GetProperty("diagnostics").GetProperty("head_cos").GetDouble(), -1.0, 1.0);
        Assert.False(broad.GetProperty("two-tower").GetProperty("diagnostics").TryGetProperty("head_cos", out _));
        Assert.Equal(JsonValueKind.Null, broad.GetProperty("bm25").GetProperty("diagnostics").ValueKind);

        var bad = dir.Write("bad.jsonl", [.. labels.Select((l, i) => i == 2 ? "{\"segment\": 7}" : $"{{\"segment\":\"{l}\"}}")]);
        var refused = CliRunner.Run([.. common, "--out", dir.File("bad-report"), "--segments", bad]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"{bad}:3: field 'segment': must be a string", refused.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("bad-report")));
        var short_ = dir.Write("short.jsonl", "{\"segment\":\"plain\"}");
        var mismatch = CliRunner.Run([.. common, "--out", dir.File("bad-report"), "--segments", short_]);
        Assert.Equal(2, mismatch.ExitCode);
        Assert.Contains("1 lines but the test log has", mismatch.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Seeds_pretrained_and_the_tuned_hybrid_reach_the_table_the_report_and_the_json()
    {
        using var dir = new TempDir();
        var data = dir.File("m");
        SyntheticMarketplace.Generate(new SynthOptions { Items = 700, Requests = 1400, Days = 8, Seed = 6, Threads = 2, MaxTestRequests = 100 }, data);
        var outDir = dir.File("report");
        string[] args = ["experiment", "--catalog", Path.Combine(data, "catalog.jsonl"), "--train", Path.Combine(data, "train.jsonl"),
            "--valid", Path.Combine(data, "valid.jsonl"), "--test", Path.Combine(data, "test.jsonl"), "--out", outDir,
            "--epochs", "1", "--buckets", "4096", "--random-negatives", "32", "--rounds", "200", "--threads", "2",
            "--variants", "mmse,two-tower,bm25,bm25-plain,pretrained,hybrid", "--seeds", "3", "--backbone", "minilm"];
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("hybrid fusion chosen on validation:", result.Out, StringComparison.Ordinal);
        Assert.Contains(" ± ", result.Out, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        Assert.Equal(3, json.RootElement.GetProperty("seeds").GetInt32());
        var variants = json.RootElement.GetProperty("variants");
        var twoTower = variants.GetProperty("two-tower");
        Assert.Equal(3, twoTower.GetProperty("seed_runs").GetArrayLength());
        var spread = twoTower.GetProperty("spread").GetProperty("recall_order@100");
        Assert.InRange(spread.GetProperty("mean").GetDouble(), spread.GetProperty("min").GetDouble(), spread.GetProperty("max").GetDouble());
        Assert.Equal(twoTower.GetProperty("metrics").GetProperty("recall_order@100").GetDouble(), spread.GetProperty("mean").GetDouble(), 5);
        Assert.InRange(twoTower.GetProperty("seed_comparison_vs_reference").GetProperty("ndcg@10").GetProperty("p_value").GetDouble(), 0.0, 1.0);
        foreach (var once in new[] { "bm25", "bm25-plain", "pretrained" })
        {
            Assert.Equal(JsonValueKind.Null, variants.GetProperty(once).GetProperty("spread").ValueKind);
            Assert.Equal(JsonValueKind.Null, variants.GetProperty(once).GetProperty("seed_runs").ValueKind);
        }
        // The backbone alone ranks far above chance (100 of 700 items) with no training.
        Assert.True(variants.GetProperty("pretrained").GetProperty("metrics").GetProperty("recall_order@100").GetDouble() > 0.3);
        var fusion = variants.GetProperty("hybrid").GetProperty("seed_runs")[0].GetProperty("fusion");
        Assert.True(fusion.GetProperty("tuned").GetBoolean());
        Assert.Equal("recall_order@100", fusion.GetProperty("metric").GetString());
        Assert.Contains(fusion.GetProperty("chosen").GetString()!, fusion.GetProperty("trials").EnumerateObject().Select(p => p.Name));

        var report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("## Over training seeds", report, StringComparison.Ordinal);
        Assert.Contains("paired t-test over the 3 seeds", report, StringComparison.Ordinal);
        Assert.Contains("## Hybrid fusion", report, StringComparison.Ordinal);
        Assert.Contains("| pretrained |", report, StringComparison.Ordinal);
        // Items went into the run's backbone cache folder; a second run encodes none and ranks the same.
        var cacheDir = Environment.GetEnvironmentVariable("MMSE_BACKBONE_CACHE")!;
        var cache = Path.Combine(cacheDir, "minilm-items.bvc");
        var titles = Mmse.Data.CatalogReader.Read(Path.Combine(data, "catalog.jsonl")).Titles.Distinct(StringComparer.Ordinal).Count();
        Assert.True(new FileInfo(cache).Length > titles * (8 + 384 * 4), $"{new FileInfo(cache).Length} bytes for {titles} titles");
        var again = CliRunner.Run([.. args[..^6], "--variants", "pretrained", "--backbone", "minilm", "--out", dir.File("again"), "--backbone-cache", cacheDir]);
        Assert.True(again.ExitCode == 0, again.Error);
        using var json2 = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("again"), "results.json")));
        Assert.Equal(variants.GetProperty("pretrained").GetProperty("metrics").GetRawText(),
            json2.RootElement.GetProperty("variants").GetProperty("pretrained").GetProperty("metrics").GetRawText());
    }

    [Fact]
    public void A_backbone_that_cannot_load_or_a_corrupt_cache_is_exit_2_before_any_training()
    {
        using var dir = new TempDir();
        var data = dir.File("m");
        SyntheticMarketplace.Generate(new SynthOptions { Items = 200, Requests = 300, Days = 4, Seed = 2, Threads = 2, MaxTestRequests = 30 }, data);
        string[] common = ["experiment", "--catalog", Path.Combine(data, "catalog.jsonl"), "--train", Path.Combine(data, "train.jsonl"),
            "--test", Path.Combine(data, "test.jsonl"), "--variants", "mmse,pretrained", "--epochs", "50"];
        var unknown = CliRunner.Run([.. common, "--out", dir.File("a"), "--backbone", "bert-huge"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown backbone 'bert-huge'", unknown.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("a")));

        Directory.CreateDirectory(dir.File("bad"));
        var corrupt = dir.Write(Path.Combine("bad", "arctic-xs-items.bvc"), "this is not a vector cache");
        var refused = CliRunner.Run([.. common, "--out", dir.File("b"), "--backbone-cache", dir.File("bad")]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(corrupt, refused.Error, StringComparison.Ordinal);
        Assert.Contains("not an Mmse vector cache", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("b")));
    }

    [Fact]
    public void Unknown_variant_is_a_usage_error()
    {
        var result = CliRunner.Run("experiment", "--catalog", "c", "--train", "t", "--test", "s", "--out", "o", "--variants", "mmse,bogus");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown variant 'bogus'", result.Error);
    }
}
