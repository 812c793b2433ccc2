using Mmse.Index;

namespace Mmse.Tests.Index;

public class AnnMeasureTests
{
    [Fact]
    public void Percentiles_take_element_floor_p_n()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(6, AnnMeasure.Percentile(sorted, 0.50));
        Assert.Equal(10, AnnMeasure.Percentile(sorted, 0.99));
        Assert.Equal(1, AnnMeasure.Percentile(sorted, 0));
        Assert.Equal(0, AnnMeasure.Percentile([], 0.5));
        var summary = LatencySummary.Of([4, 1, 3, 2]);
        Assert.Equal((4, 2.5, 3, 4, 4, 4, 10), (summary.Count, summary.MeanMs, summary.P50Ms, summary.P90Ms, summary.P99Ms, summary.MaxMs, summary.TotalMs));
        Assert.Equal(400, summary.QueriesPerSecond, 9);
    }

    [Fact]
    public void True_hits_ignore_padding()
    {
        Assert.Equal(2, AnnMeasure.TrueHits([5, 3, 9], [3, 5, 7, -1], out var total));
        Assert.Equal(3, total);
        Assert.Equal(0, AnnMeasure.TrueHits([], [-1, -1], out total));
        Assert.Equal(0, total);
    }

    [Fact]
    public void A_wide_search_finds_the_exact_neighbours()
    {
        const int dim = 8, n = 500, nq = 20, k = 5;
        var data = SyntheticVectors.Clustered(n + nq, dim, 10, 1, 2);
        var queries = data.AsSpan(n * dim).ToArray();
        using var index = HnswIndex.Build(data.AsSpan(0, n * dim), dim, null, new HnswOptions { Threads = 1 });
        var truth = Mmse.Retrieval.ExactPanelIndex.GroundTruth(data.AsSpan(0, n * dim), dim, queries, k, 1);
        var run = AnnMeasure.Run(index, queries, nq, dim, truth, k, ef: 500, threads: 1);
        Assert.Equal(1, run.Recall);
        Assert.Equal(1, run.RecallTies);
        Assert.True(run.QueriesPerSecond > 0 && run.P99Ms >= run.P50Ms);
    }
}
