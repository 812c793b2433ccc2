using Mmse.Model;
using Mmse.Tests.Fixtures;
using Mmse.Training;

namespace Mmse.Tests.Training;

public class TrainerTests
{
    private static readonly MarketFixture s_market = new(items: 300, trainRequests: 700, testRequests: 150, seed: 11);

    internal static readonly ModelOptions Small = new() { Buckets = 1 << 12, EmbeddingDim = 16, Hidden = 32, Heads = 2, Dim = 16 };

    internal static readonly TrainOptions Quick = new()
    {
        Epochs = 4,
        BatchSize = 64,
        RandomNegatives = 64,
        Threads = 1,
        Seed = 3,
        WarmupSteps = 10,
        LearningRate = 0.01f,
        Patience = 0,
    };

    [Fact]
    public void Loss_falls_and_validation_recall_rises_on_the_fixture()
    {
        var result = Trainer.Train(s_market.Catalog, s_market.Train, s_market.Test, Small, Quick);
        Assert.Equal(4, result.Epochs.Count);
        Assert.True(result.Epochs[^1].TotalLoss < result.Epochs[0].TotalLoss * 0.9, $"loss {result.Epochs[0].TotalLoss} -> {result.Epochs[^1].TotalLoss}");
        var untrained = Trainer.Validate(new MmseModel(Small), s_market.Catalog,
            CatalogTokens.Build(s_market.Catalog, new Mmse.Text.HashedTokenizer(Small.Tokenizer), Small.ItemFields, 1), s_market.Test, 1);
        Assert.True(result.BestValidRecall > untrained + 0.1, $"recall {untrained} -> {result.BestValidRecall}");
        Assert.True(result.RequestsSeen > 0 && result.TrainSeconds > 0);
        Assert.InRange(result.PseudoRequestsPerEpoch, 1, s_market.Catalog.Count);
        // The ranking loss meets more of its margins as training goes on.
        Assert.All(result.Epochs, e => Assert.InRange(e.RankingActiveShare, 1e-6, 1));
        Assert.True(result.Epochs[^1].RankingActiveShare < result.Epochs[0].RankingActiveShare);
    }

    [Fact]
    public void One_thread_and_a_seed_repeat_bit_for_bit()
    {
        var options = Quick with { Epochs = 2 };
        var a = Trainer.Train(s_market.Catalog, s_market.Train, null, Small, options);
        var b = Trainer.Train(s_market.Catalog, s_market.Train, null, Small, options);
        Assert.Equal(a.Model.Version, b.Model.Version);
        Assert.Equal(a.Epochs.Select(e => e.TotalLoss), b.Epochs.Select(e => e.TotalLoss));
        var c = Trainer.Train(s_market.Catalog, s_market.Train, null, Small, options with { Seed = 4 });
        Assert.NotEqual(a.Model.Version, c.Model.Version);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_continues_exactly()
    {
        using var dir = new TempDir();
        var options = Quick with { Epochs = 3 };
        var straight = Trainer.Train(s_market.Catalog, s_market.Train, s_market.Test, Small, options);
        var checkpoint = dir.File("run.ckpt");
        Trainer.Train(s_market.Catalog, s_market.Train, s_market.Test, Small, options with { Epochs = 2, CheckpointPath = checkpoint });
        var resumed = Trainer.Train(s_market.Catalog, s_market.Train, s_market.Test, Small, options with { ResumeFrom = checkpoint });
        Assert.Equal(straight.Model.Version, resumed.Model.Version);
        Assert.True(straight.Epochs.Select(e => e.TotalLoss).SequenceEqual(resumed.Epochs.Select(e => e.TotalLoss)),
            string.Join(" ", straight.Epochs.Select(e => e.TotalLoss.ToString("R"))) + " vs " + string.Join(" ", resumed.Epochs.Select(e => e.TotalLoss.ToString("R"))));

        var bytes = File.ReadAllBytes(checkpoint);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(checkpoint, bytes);
        var e = Assert.ThrowsAny<MmseInputException>(() =>
            Trainer.Train(s_market.Catalog, s_market.Train, s_market.Test, Small, options with { ResumeFrom = checkpoint }));
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ModelVariant.TwoTower)]
    [InlineData(ModelVariant.Dpsr)]
    [InlineData(ModelVariant.Amazon3)]
    public void Every_variant_trains(ModelVariant variant)
    {
        var result = Trainer.Train(s_market.Catalog, s_market.Train, s_market.Test, Small, Quick with { Epochs = 2, Variant = variant });
        Assert.True(result.BestValidRecall > 0.05, $"{variant}: {result.BestValidRecall}");
        Assert.Equal(variant == ModelVariant.TwoTower ? 1 : 2, result.Model.Heads);
        // Only mmse has a ranking loss (the baselines turn it off), so only it reports active pairs.
        Assert.All(result.Epochs, e => Assert.Equal(variant == ModelVariant.Mmse, !double.IsNaN(e.RankingActiveShare)));
    }

    [Fact]
    public void Early_stopping_stops_when_recall_stalls()
    {
        // A learning rate of ~0 cannot improve recall after the first epoch.
        var result = Trainer.Train(s_market.Catalog, s_market.Train, s_market.Test, Small,
            Quick with { Epochs = 6, Patience = 2, LearningRate = 1e-9f, WarmupSteps = 0 });
        Assert.True(result.StoppedEarly);
        Assert.Equal(3, result.Epochs.Count);
        Assert.Equal(1, result.BestEpoch);
    }

    [Fact]
    public void Settings_map_flags_and_json_onto_the_options()
    {
        using var dir = new TempDir();
        var path = dir.Write("config.json", """{"heads": 3, "tau": 0.07, "variant": "dpsr", "no-ranking": true, "item-fields": ["title", "brand"]}""");
        var (m, t) = Settings.ApplyJson(ModelOptions.Default, TrainOptions.Default, path);
        Assert.Equal(3, m.Heads);
        Assert.Equal(0.07f, t.Temperature);
        Assert.Equal(ModelVariant.Dpsr, t.Variant);
        Assert.True(t.NoRanking);
        Assert.Equal(["title", "brand"], m.ItemFields);
        var bad = dir.Write("bad.json", """{"tau": "warm"}""");
        var e = Assert.Throws<MmseInputException>(() => Settings.ApplyJson(ModelOptions.Default, TrainOptions.Default, bad));
        Assert.Contains("field 'tau'", e.Message, StringComparison.Ordinal);
    }
}
