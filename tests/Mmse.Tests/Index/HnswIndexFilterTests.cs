using Mmse.Index;

namespace Mmse.Tests.Index;

/// <summary>Filtered HNSW search: the exact-or-walk cost estimate and the walk's budget.</summary>
public class HnswIndexFilterTests
{
    private const int Dim = 16;
    private const int N = 4_000;
    private const int K = 10;

    private static readonly float[] s_base = SyntheticVectors.Clustered(N, Dim, 40, centreSeed: 21, seed: 22);
    private static readonly float[] s_queries = SyntheticVectors.Clustered(50, Dim, 40, centreSeed: 21, seed: 23);
    private static readonly FlatIndex s_flat = new(s_base, Dim);

    private static HnswIndex Build() =>
        HnswIndex.Build(s_base, Dim, null, new HnswOptions { M = 8, EfConstruction = 80, Threads = 1, Seed = 3, Quantization = VectorQuantization.Int8 });

    private static ReadOnlySpan<float> Q(int q) => s_queries.AsSpan(q * Dim, Dim);

    [Theory]
    [InlineData(0.05, true)]   // 50,000 allowed: the scan (50k dots) beats the walk (~164k scores x 4)
    [InlineData(0.08, true)]
    [InlineData(0.10, false)]  // the switch is at sqrt(4 * 64 * 32 / 1M) = 9.05 %
    [InlineData(0.30, false)]
    [InlineData(1.00, false)]
    public void The_switch_follows_the_cost_estimate_at_one_million_items(double fraction, bool exact) =>
        Assert.Equal(exact, HnswIndex.ExactIsCheaper(fraction * 1_000_000, 1_000_000, ef: 64, m0: 32, HnswIndex.DefaultWalkScoreCost));

    [Fact]
    public void A_ten_percent_filter_gives_the_exact_filtered_results()
    {
        using var index = Build();
        var random = new Random(5);
        var filter = AllowedSet.FromPredicate(N, _ => random.NextDouble() < 0.10);
        Assert.InRange(filter.AllowedCount, 350, 450);
        // By the estimate (4,000 items) the scan is cheaper: every query is answered exactly.
        for (var q = 0; q < 50; q++)
            Assert.Equal(s_flat.Search(Q(q), K, filter).Select(h => h.Position), index.Search(Q(q), K, 64, filter).Select(h => h.Position));

        // Forced to walk (a cheap score, a budget it never reaches), it still finds them.
        index.WalkScoreCost = 1e-6;
        index.WalkBudgetFactor = 1e12;
        double hits = 0;
        for (var q = 0; q < 50; q++)
        {
            var found = index.Search(Q(q), K, 64, filter).Select(h => h.Position).ToArray();
            Assert.All(found, p => Assert.True(filter.Contains(p)));
            hits += found.Intersect(s_flat.Search(Q(q), K, filter).Select(h => h.Position)).Count();
        }
        Assert.True(hits / (50 * K) >= 0.9, $"walk recall {hits / (50 * K):F3}");
        Assert.Equal(0, index.WalkFallbacks);
    }

    [Theory]
    [InlineData(MultiHeadWalk.Fused)]
    [InlineData(MultiHeadWalk.PerHead)]
    public void The_multi_head_scan_of_int8_codes_gives_the_exact_fused_results(MultiHeadWalk walk)
    {
        using var index = Build();
        var random = new Random(6);
        var filter = AllowedSet.FromPredicate(N, _ => random.NextDouble() < 0.10);
        for (var i = 0; i < N; i += 13)
            index.Delete(index.IdAt(i)); // deleted positions are skipped by the scan too
        for (var q = 0; q + 1 < 50; q += 2)
        {
            var heads = s_queries.AsSpan(q * Dim, 2 * Dim).ToArray();
            var live = AllowedSet.FromPredicate(N, p => filter.Contains(p) && !index.IsDeleted(p));
            Assert.Equal(s_flat.SearchMultiHead(heads, 2, 0.1f, K, live).Select(h => h.Position),
                index.SearchMultiHead(heads, 2, 0.1f, K, 64, filter, walk).Select(h => h.Position));
        }
        Assert.Equal(0, index.WalkFallbacks);
    }

    [Fact]
    public void A_walk_over_its_budget_falls_back_to_the_exact_scan()
    {
        using var index = Build();
        // The 10 % of items farthest from query 0: its walk meets no allowed item for a long way.
        var far = s_flat.Search(Q(0), N).Select(h => h.Position).Reverse().Take(N / 10);
        var filter = AllowedSet.FromPositions(N, far);
        index.WalkScoreCost = 1e-6; // choose the walk...
        index.WalkBudgetFactor = 1e-6 * 0.5; // ...but allow it half as many scores as the scan's dot products
        var expected = s_flat.Search(Q(0), K, filter).Select(h => h.Position);
        Assert.Equal(expected, index.Search(Q(0), K, 64, filter).Select(h => h.Position));
        Assert.Equal(1, index.WalkFallbacks);
        // Multi-head: each head's walk falls back on its own; the fused answer is the exact one.
        var heads = s_queries.AsSpan(0, 2 * Dim).ToArray();
        Assert.Equal(s_flat.SearchMultiHead(heads, 2, 0.1f, K, filter).Select(h => h.Position),
            index.SearchMultiHead(heads, 2, 0.1f, K, 64, filter).Select(h => h.Position));
        Assert.True(index.WalkFallbacks >= 2);
    }
}
