using Mmse.Model;
using Mmse.Numerics;
using Mmse.Tests.Fixtures;
using Mmse.Tests.Model;
using Mmse.Training;

namespace Mmse.Tests.Training;

public class BetaAnnealingTests
{
    [Fact]
    public void The_schedule_decays_geometrically_from_the_start_to_the_model_beta_then_stays()
    {
        var off = new TrainOptions();
        Assert.Equal(0.1f, off.FusionBetaAt(0, 100, 0.1f));
        Assert.Equal(0.1f, off.FusionBetaAt(5_000, 100, 0.1f));
        var annealed = new TrainOptions { BetaStart = 1f, BetaAnnealEpochs = 2f };
        Assert.Equal(1f, annealed.FusionBetaAt(0, 100, 0.1f), 6);
        // Half way through (one of two epochs): the geometric mean of 1 and 0.1.
        Assert.Equal(Math.Sqrt(0.1), annealed.FusionBetaAt(100, 100, 0.1f), 5);
        Assert.Equal(0.1f, annealed.FusionBetaAt(200, 100, 0.1f));
        Assert.Equal(0.1f, annealed.FusionBetaAt(10_000, 100, 0.1f));
        var previous = float.PositiveInfinity;
        for (var step = 0; step <= 200; step += 7)
        {
            var beta = annealed.FusionBetaAt(step, 100, 0.1f);
            Assert.True(beta < previous && beta >= 0.1f, $"step {step}: {beta}");
            previous = beta;
        }
        Assert.Throws<MmseInputException>(() => (new TrainOptions { BetaStart = -1 }).Validate());
        Assert.Throws<MmseInputException>(() => (new TrainOptions { BetaAnnealEpochs = 0 }).Validate());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_engine_run_at_an_overridden_beta_equals_one_built_with_that_beta(bool reference)
    {
        if (reference)
            OverriddenBetaEqualsBuiltBeta<ReferencePath>();
        else
            OverriddenBetaEqualsBuiltBeta<FastPath>();
    }

    private static void OverriddenBetaEqualsBuiltBeta<TPath>()
        where TPath : struct, IKernelPath
    {
        // The override changes only the temperature of the step: loss and every gradient match a
        // model whose beta is that value, so the gradient checks at any beta cover the annealed run.
        var train = new TrainOptions { RandomNegatives = 5, MaxUnclicked = 3, MaxRandomInList = 3, Temperature = 0.5f, RankingMargin = 5f };
        var s = GradientCheckTests.Build(train);
        var overridden = new TrainingEngine<TPath>(s.Parameters, s.Model, s.Tokens, s.Train, s.Kind, threads: 1) { FusionBeta = 2f };
        var built = new TrainingEngine<TPath>(s.Parameters, s.Model with { Beta = 2f }, s.Tokens, s.Train, s.Kind, threads: 1);
        var plain = new TrainingEngine<TPath>(s.Parameters, s.Model, s.Tokens, s.Train, s.Kind, threads: 1);
        var ga = new ModelGradients(s.Parameters, s.Model);
        var gb = new ModelGradients(s.Parameters, s.Model);
        var gc = new ModelGradients(s.Parameters, s.Model);
        var a = overridden.ForwardBackward(s.Batch, ga);
        var b = built.ForwardBackward(s.Batch, gb);
        var c = plain.ForwardBackward(s.Batch, gc);
        Assert.Equal(b.Total, a.Total, 12);
        Assert.NotEqual(c.Total, a.Total, 6);
        for (var g = 0; g < ga.Dense.Length; g++)
            Assert.Equal(gb.Dense[g], ga.Dense[g]);
        Assert.Equal(gb.SquaredNorm(), ga.SquaredNorm(), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => overridden.FusionBeta = 0);
    }

    [Fact]
    public void Annealing_changes_the_trained_model_and_repeats_bit_for_bit_while_off_is_todays_training()
    {
        var market = new MarketFixture(items: 200, trainRequests: 300, testRequests: 20, seed: 4);
        var options = TrainerTests.Quick with { Epochs = 1 };
        var plain = Trainer.Train(market.Catalog, market.Train, null, TrainerTests.Small, options);
        var same = Trainer.Train(market.Catalog, market.Train, null, TrainerTests.Small, options with { BetaStart = TrainerTests.Small.Beta });
        Assert.Equal(plain.Model.Version, same.Model.Version);
        var annealed = Trainer.Train(market.Catalog, market.Train, null, TrainerTests.Small, options with { BetaStart = 1f });
        var again = Trainer.Train(market.Catalog, market.Train, null, TrainerTests.Small, options with { BetaStart = 1f });
        Assert.NotEqual(plain.Model.Version, annealed.Model.Version);
        Assert.Equal(annealed.Model.Version, again.Model.Version);
        // The trained model still scores with its own beta.
        Assert.Equal(TrainerTests.Small.Beta, annealed.Model.Options.Beta);
    }
}
