using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Experiments;
using Mmse.Synthesis;
using Mmse.Text;

namespace Mmse.Tests.Experiments;

public class ExperimentRunnerTests
{
    private static (Catalog Catalog, SearchLog Train, SearchLog Valid, SearchLog Test) Load(string dir)
    {
        var catalog = CatalogReader.Read(Path.Combine(dir, "catalog.jsonl"));
        return (catalog, SearchLogReader.Read(Path.Combine(dir, "train.jsonl"), catalog),
            SearchLogReader.Read(Path.Combine(dir, "valid.jsonl"), catalog), SearchLogReader.Read(Path.Combine(dir, "test.jsonl"), catalog));
    }

    [Fact]
    public void Seeds_train_each_variant_per_seed_and_the_row_is_their_mean_with_the_spread()
    {
        using var dir = new TempDir();
        SyntheticMarketplace.Generate(new SynthOptions { Items = 800, Requests = 1500, Days = 8, Seed = 9, Threads = 2, MaxTestRequests = 120 }, dir.Path);
        var (catalog, train, valid, test) = Load(dir.Path);
        var options = new ExperimentOptions
        {
            Variants = ["mmse", "single-head", "bm25", "hybrid"],
            Train = Mmse.Training.TrainOptions.Default with { Epochs = 1, RandomNegatives = 32, Seed = 5 },
            Model = Mmse.Model.ModelOptions.Default with { Buckets = 4096, InitSeed = 3 },
            Seeds = 2,
            Threads = 2,
        };
        var outcome = ExperimentRunner.Run(catalog, train, valid, test, null, options);
        var byName = outcome.Results.ToDictionary(r => r.Name);
        Assert.Equal(["mmse", "single-head", "bm25", "hybrid"], outcome.Results.Select(r => r.Name));

        var mmse = byName["mmse"];
        Assert.Equal([(5UL, 3UL), (6UL, 4UL)], mmse.Seeds.Select(s => (s.TrainSeed, s.InitSeed)));
        // Two seeds really train two models.
        Assert.NotEqual(mmse.Seeds[0].Metrics["ndcg@10"], mmse.Seeds[1].Metrics["ndcg@10"]);
        foreach (var metric in RetrievalMetrics.Names)
        {
            double a = mmse.Seeds[0].Metrics[metric], b = mmse.Seeds[1].Metrics[metric];
            Assert.Equal((a + b) / 2, mmse.Metrics[metric], 12);
            var spread = mmse.SpreadOf(metric)!.Value;
            Assert.Equal(Math.Abs(a - b) / Math.Sqrt(2), spread.Std, 12);
            Assert.Equal(Math.Min(a, b), spread.Min);
            Assert.Equal(Math.Max(a, b), spread.Max);
        }
        // The per-request values (for the paired test) average the seeds too, and still give the row's metric.
        var acc = new MetricsAccumulator();
        foreach (var row in mmse.PerRequest) acc.Add(row);
        Assert.Equal(mmse.Metrics["recall_order@100"], acc.Averages()["recall_order@100"], 10);
        Assert.Equal(mmse.Seeds.Average(s => s.TrainSeconds!.Value), mmse.TrainSeconds!.Value, 9);
        Assert.Single(mmse.Epochs);

        // BM25 runs once; the hybrid once per seed, each with a fusion tuned on the validation requests.
        Assert.Empty(byName["bm25"].Seeds);
        Assert.Null(byName["bm25"].SpreadOf("ndcg@10"));
        var hybrid = byName["hybrid"];
        Assert.Equal(2, hybrid.Seeds.Count);
        Assert.All(hybrid.Seeds, s => Assert.Equal(valid.Count, s.Fusion!.Requests));
        Assert.All(hybrid.Seeds, s => Assert.Equal(s.Fusion!.Trials.Max(t => t.Value), s.Fusion.BestValue));

        // Seed 0 is exactly the single-seed run.
        var single = ExperimentRunner.Run(catalog, train, valid, test, null, options with { Variants = ["mmse"], Seeds = 1 });
        Assert.Equal(mmse.Seeds[0].Metrics["recall_order@100"], single.Results[0].Metrics["recall_order@100"]);
        Assert.Equal(mmse.Seeds[0].Metrics["ndcg@10"], single.Results[0].Metrics["ndcg@10"]);
    }

    [Fact]
    public void English_bm25_keeps_chinese_text_working_and_the_plain_row_stays()
    {
        using var dir = new TempDir();
        SyntheticMarketplace.Generate(new SynthOptions { Items = 1000, Requests = 1200, Days = 6, Seed = 4, Threads = 2, MaxTestRequests = 150, Language = SynthLanguage.Zh }, dir.Path);
        var (catalog, train, valid, test) = Load(dir.Path);
        // The English analysis cuts CJK runs out and keeps their plain characters and bigrams.
        foreach (var title in catalog.Titles.Take(50))
        {
            var plainCjk = Bm25.Tokenize(title, TextAnalysis.Plain).Where(t => t.Any(LexicalTokenizer.IsCjk)).ToList();
            var englishCjk = Bm25.Tokenize(title, TextAnalysis.English).Where(t => t.Any(LexicalTokenizer.IsCjk)).ToList();
            Assert.Equal(plainCjk, englishCjk);
        }
        var outcome = ExperimentRunner.Run(catalog, train, valid, test, null, new ExperimentOptions { Variants = ["bm25", "bm25-plain"], Threads = 2 });
        var english = outcome.Results.Single(r => r.Name == "bm25").Metrics["recall_order@100"];
        var plain = outcome.Results.Single(r => r.Name == "bm25-plain").Metrics["recall_order@100"];
        Assert.True(plain > 0.3, $"plain {plain}");
        Assert.True(Math.Abs(english - plain) < 0.05, $"english {english} plain {plain}");
    }
}
