using System.Numerics.Tensors;
using Mmse.Data;
using Mmse.Experiments;
using Mmse.Model;

namespace Mmse.Tests.Experiments;

public class ModelDiagnosticsTests
{
    private static (Catalog, SearchLog) Fixture()
    {
        var cb = new CatalogBuilder();
        for (var i = 0; i < 300; i++) cb.TryAdd(new CatalogItem($"i{i}", $"item {i} word{i % 7} thing{i % 11}"));
        var lb = new SearchLogBuilder();
        for (var q = 0; q < 40; q++)
            lb.Add($"word{q % 7} thing{q % 5}", null, SearchLog.NoTime, [q, q + 50, q + 100], [UserAction.Order, UserAction.Click, UserAction.None]);
        return (cb.Build(), lb.Build());
    }

    private static ModelDiagnostics Run(ModelOptions options, Catalog catalog, SearchLog test, out float[] heads, out MmseModel model)
    {
        model = new MmseModel(options);
        var items = model.EncodeItems(catalog, threads: 1);
        heads = model.EncodeQueries(test.Queries, threads: 1);
        var ranked = new int[test.Count][];
        for (var r = 0; r < test.Count; r++)
        {
            var q = heads.AsSpan(r * options.Heads * options.Dim, options.Heads * options.Dim).ToArray();
            var m = model;
            ranked[r] = [.. Enumerable.Range(0, catalog.Count).OrderByDescending(i => m.Score(q, items.AsSpan(i * options.Dim, options.Dim)))];
        }
        return ModelDiagnostics.Compute(model, items, heads, test, ranked, seed: 3);
    }

    private static readonly ModelOptions s_small = ModelOptions.Default with { Buckets = 1 << 12, EmbeddingDim = 16, Hidden = 16, Dim = 8 };

    [Fact]
    public void One_head_has_no_head_measures_and_no_fusion_lift()
    {
        var (catalog, test) = Fixture();
        var d = Run(s_small with { Heads = 1 }, catalog, test, out _, out _);
        Assert.True(double.IsNaN(d.HeadCosine) && double.IsNaN(d.SplitTop10Share) && double.IsNaN(d.MinorHeadTop10Share));
        Assert.Equal(0, d.RandomLift, 6);
        Assert.Equal(0, d.OrderLift, 6);
        Assert.InRange(d.RandomScore, -1, 1);
        Assert.Equal(d.OrderScore - d.Top100Score, d.OrderMargin, 6);
    }

    [Fact]
    public void Two_heads_report_their_cosine_and_the_fusion_lifts_scores_above_the_mean_head()
    {
        var (catalog, test) = Fixture();
        var d = Run(s_small with { Heads = 2 }, catalog, test, out var heads, out _);
        double cos = 0;
        for (var r = 0; r < test.Count; r++)
            cos += TensorPrimitives.Dot(heads.AsSpan(r * 16, 8), heads.AsSpan(r * 16 + 8, 8));
        Assert.Equal(cos / test.Count, d.HeadCosine, 5);
        // softmax(z / beta)-weighted mean of the z_k is never below their plain mean.
        Assert.True(d.RandomLift > 0 && d.OrderLift > 0);
        Assert.InRange(d.SplitTop10Share, 0, 1);
        Assert.InRange(d.MinorHeadTop10Share, 0, 0.5);
        Assert.Equal(ModelDiagnostics.Names.Count, d.Values.Count);
    }
}
