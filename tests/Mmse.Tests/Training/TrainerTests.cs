using Mmse.Data;
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

    [Fact]
    public void A_backbone_changes_only_the_defaults_that_were_not_set()
    {
        var backbone = ModelOptions.Default.WithBackbone("arctic-xs");
        var (_, resolved, _) = TrainOptions.Default.Resolve(backbone);
        Assert.Equal(TrainOptions.BackboneLearningRate, resolved.LearningRate);
        Assert.Equal(TrainOptions.BackboneBatchSize, resolved.BatchSize);
        Assert.Equal(TrainOptions.BackboneWeightClick, resolved.WeightClick);
        Assert.Equal(TrainOptions.BackboneWeightUnclicked, resolved.WeightUnclicked);
        Assert.False(resolved.CatalogStage);

        // Set to the hashed towers' default values, by option or in code: kept, not read as "not given".
        var (_, t) = Settings.Apply(ModelOptions.Default, TrainOptions.Default, "lr", "0.003");
        (_, t) = Settings.Apply(ModelOptions.Default, t, "batch-size", "256");
        (_, t) = Settings.Apply(ModelOptions.Default, t, "weight-click", "0.5");
        (_, t) = Settings.Apply(ModelOptions.Default, t, "weight-unclicked", "0");
        var (_, kept, _) = t.Resolve(backbone);
        Assert.Equal(0.003f, kept.LearningRate);
        Assert.Equal(256, kept.BatchSize);
        Assert.Equal(0.5f, kept.WeightClick);
        Assert.Equal(0f, kept.WeightUnclicked);
        Assert.Equal(0.5f, (TrainOptions.Default with { WeightClick = 0.5f }).Resolve(backbone).Train.WeightClick);

        // Resolving twice changes nothing more; without a backbone the defaults stay.
        Assert.Equal(resolved, resolved.Resolve(backbone).Train);
        var (_, hashed, _) = TrainOptions.Default.Resolve(ModelOptions.Default);
        Assert.Equal((0.003f, 256, 0.5f, 0f), (hashed.LearningRate, hashed.BatchSize, hashed.WeightClick, hashed.WeightUnclicked));
    }

    [Fact]
    public void Unclicked_items_join_the_softmax_as_weak_positives_only_when_weighted()
    {
        var small = new TrainOptions { RandomNegatives = 5, MaxUnclicked = 3, MaxRandomInList = 3 };
        var off = Model.GradientCheckTests.Build(small).Batch;
        var on = Model.GradientCheckTests.Build(small with { WeightUnclicked = 0.3f }).Batch;
        Assert.Equal(0, off.WeakPositives);
        Assert.True(on.WeakPositives > 0);
        Assert.Equal(on.WeakPositives, on.PositiveWeights.Span.ToArray().Count(w => w == 0.3f));
        Assert.Equal(off.PositiveSlots.Count + on.WeakPositives, on.PositiveSlots.Count);
        // The ranking lists are the same: the weak positives are the unclicked items already there at level None.
        Assert.Equal(off.ListSlots.Span.ToArray(), on.ListSlots.Span.ToArray());
        Assert.Equal(off.ListLevels.Span.ToArray(), on.ListLevels.Span.ToArray());
        for (var b = 0; b < on.Count; b++)
        {
            for (var p = on.PositiveOffsets[b]; p < on.PositiveOffsets[b + 1]; p++)
            {
                if (on.PositiveWeights[p] != 0.3f) continue;
                var listed = Enumerable.Range(on.ListOffsets[b], on.ListOffsets[b + 1] - on.ListOffsets[b]).Single(i => on.ListSlots[i] == on.PositiveSlots[p]);
                Assert.Equal(Levels.None, on.ListLevels[listed]);
            }
        }
        // Two-tower and the no-unclicked ablation have no unclicked level to weigh.
        Assert.Equal(0, Model.GradientCheckTests.Build(small with { WeightUnclicked = 0.3f, Variant = ModelVariant.TwoTower }).Batch.WeakPositives);
        Assert.Equal(0, Model.GradientCheckTests.Build(small with { WeightUnclicked = 0.3f, NoUnclicked = true }).Batch.WeakPositives);
    }
}
