using Mmse.Index;
using Mmse.Numerics;

namespace Mmse.Tests.Index;

/// <summary>
/// The allocation-free per-head search against the plain HashSet path (identical hits), and the
/// fused walk against exact post-fusion search (recall) and the per-head walk.
/// </summary>
public class HnswIndexMultiHeadTests
{
    private const int Dim = 16;
    private const int N = 3_000;

    private static readonly float[] s_base = SyntheticVectors.Clustered(N, Dim, 40, centreSeed: 3, seed: 4);

    private static readonly Lazy<HnswIndex> s_float = new(() => Build(VectorQuantization.None));

    private static readonly Lazy<HnswIndex> s_int8 = new(() => Build(VectorQuantization.Int8));

    private static HnswIndex Build(VectorQuantization quantization) =>
        HnswIndex.Build(s_base, Dim, [.. Enumerable.Range(0, N).Select(i => $"i{i}")],
            new HnswOptions { M = 8, EfConstruction = 60, Threads = 1, Seed = 9, Quantization = quantization });

    private static float[] Heads(int heads, int seed) => SyntheticVectors.Clustered(heads, Dim, 40, centreSeed: 3, seed: seed);

    public static TheoryData<bool, int, int, int> Cases => new()
    {
        // int8, heads, k, ef
        { false, 1, 10, 32 },
        { false, 2, 10, 64 },
        { false, 3, 1, 16 },
        { true, 2, 10, 64 },
        { true, 4, 25, 40 },
        { true, 2, 100, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Span_search_equals_the_reference(bool int8, int heads, int k, int ef)
    {
        var index = int8 ? s_int8.Value : s_float.Value;
        var random = new Random(heads * 100 + k);
        AllowedSet?[] filters =
        [
            null,
            AllowedSet.FromPredicate(N, p => random.NextDouble() < 0.5),  // traversal with a filter
            AllowedSet.FromPredicate(N, p => random.NextDouble() < 0.1),  // selective
            AllowedSet.FromPredicate(N, p => random.NextDouble() < 0.01), // exact fall-back
            new AllowedSet(N),                                            // nothing allowed
        ];
        for (var q = 0; q < 20; q++)
        {
            var h = Heads(heads, 100 + q);
            foreach (var filter in filters)
                AssertSame(index, h, heads, k, ef, filter);
        }
    }

    [Fact]
    public void Span_search_equals_the_reference_with_deleted_items()
    {
        using var index = Build(VectorQuantization.Int8);
        for (var i = 0; i < N; i += 7)
            Assert.True(index.Delete($"i{i}"));
        var filter = AllowedSet.FromPredicate(N, p => p % 3 != 0);
        for (var q = 0; q < 10; q++)
        {
            var h = Heads(2, 300 + q);
            AssertSame(index, h, 2, 10, 32, null);
            AssertSame(index, h, 2, 10, 32, filter);
        }
    }

    [Fact]
    public void Span_search_checks_its_buffers()
    {
        var index = s_float.Value;
        var h = Heads(2, 1);
        Assert.Throws<ArgumentException>(() => index.SearchMultiHead(h, 2, 0.1f, 10, 0, null, new int[10], new float[10], new float[19]));
        Assert.Throws<ArgumentException>(() => index.SearchMultiHead(h, 2, 0.1f, 10, 0, null, new int[9], new float[10], new float[20]));
        Assert.Equal(0, index.SearchMultiHead(h, 2, 0.1f, 0, 0, null, [], [], []));
    }

    // The fixture's heads are drawn from unrelated clusters: every head a different intent, the
    // fused walk's worst case (one walk must cover every head's region; docs/index.md). Trained
    // models' heads mostly agree on a query's region, where the fused walk matches the per-head one.
    [Theory]
    [InlineData(false, 2, 32, 0.97, 0.02)]
    [InlineData(false, 3, 16, 0.90, 0.10)]
    [InlineData(false, 3, 32, 0.95, 0.04)]
    [InlineData(true, 2, 32, 0.97, 0.02)]
    [InlineData(true, 4, 16, 0.90, 0.10)]
    [InlineData(true, 4, 32, 0.95, 0.04)]
    [InlineData(true, 3, 64, 0.98, 0.02)]
    public void Fused_walk_finds_the_exact_fused_top_k_about_as_well_as_the_per_head_walk(bool int8, int heads, int ef, double floor, double margin)
    {
        const int k = 10;
        const int queries = 60;
        var index = int8 ? s_int8.Value : s_float.Value;
        var flat = new FlatIndex(s_base, Dim);
        double fused = 0, perHead = 0;
        for (var q = 0; q < queries; q++)
        {
            var h = Heads(heads, 500 + q);
            var exact = flat.SearchMultiHead(h, heads, 0.1f, k).Select(e => e.Position).ToHashSet();
            var hits = index.SearchMultiHead(h, heads, 0.1f, k, ef, null, MultiHeadWalk.Fused);
            fused += hits.Count(e => exact.Contains(e.Position)) / (double)k;
            perHead += index.SearchMultiHead(h, heads, 0.1f, k, ef, null, MultiHeadWalk.PerHead).Count(e => exact.Contains(e.Position)) / (double)k;
            // Hits are exactly re-scored: the fused score of their per-head cosines, best first.
            Assert.All(hits, e => Assert.Equal(PostFusion.Fuse(e.HeadScores, 0.1f), e.Score));
            Assert.Equal(hits.Select(e => e.Score).OrderDescending(), hits.Select(e => e.Score));
        }
        fused /= queries;
        perHead /= queries;
        Assert.True(fused >= floor, $"fused walk recall@{k} {fused:F4} < {floor}");
        Assert.True(fused >= perHead - margin, $"fused walk recall {fused:F4} more than {margin} below the per-head walk's {perHead:F4}");
    }

    [Fact]
    public void Fused_walk_respects_filters_and_deletions_and_its_two_overloads_agree()
    {
        using var index = Build(VectorQuantization.Int8);
        for (var i = 0; i < N; i += 7)
            Assert.True(index.Delete($"i{i}"));
        var random = new Random(17);
        AllowedSet?[] filters =
        [
            null,
            AllowedSet.FromPredicate(N, p => random.NextDouble() < 0.5),
            AllowedSet.FromPredicate(N, p => random.NextDouble() < 0.1),
            AllowedSet.FromPredicate(N, p => random.NextDouble() < 0.01),
            new AllowedSet(N),
        ];
        foreach (var filter in filters)
        {
            for (var q = 0; q < 10; q++)
            {
                var h = Heads(3, 700 + q);
                var wrapped = index.SearchMultiHead(h, 3, 0.1f, 10, 24, filter);
                var positions = new int[10];
                var scores = new float[10];
                var z = new float[30];
                var n = index.SearchMultiHead(h, 3, 0.1f, 10, 24, filter, positions, scores, z);
                Assert.Equal(wrapped.Select(e => e.Position), positions.Take(n));
                Assert.Equal(wrapped.Select(e => e.Score), scores.Take(n));
                Assert.Equal(wrapped.SelectMany(e => e.HeadScores), z.Take(n * 3));
                Assert.All(wrapped, e => Assert.False(index.IsDeleted(e.Position)));
                if (filter is not null)
                    Assert.All(wrapped, e => Assert.True(filter.Contains(e.Position)));
                // Every filter but the empty one leaves more than 10 live items: k hits come back.
                Assert.Equal(filter is { AllowedCount: 0 } ? 0 : 10, n);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => index.SearchMultiHead(Heads(2, 1), 2, 0.1f, 10, 24, null, (MultiHeadWalk)7));
    }

    private static void AssertSame(HnswIndex index, float[] heads, int headCount, int k, int ef, AllowedSet? filter)
    {
        var expected = index.SearchMultiHeadReference(heads, headCount, 0.1f, k, ef, filter);
        var positions = new int[k];
        var scores = new float[k];
        var z = new float[k * headCount];
        var n = index.SearchMultiHead(heads, headCount, 0.1f, k, ef, filter, positions, scores, z, MultiHeadWalk.PerHead);
        Assert.Equal(expected.Length, n);
        Assert.Equal(expected.Select(e => e.Position), positions.Take(n));
        Assert.Equal(expected.Select(e => e.Score), scores.Take(n));
        Assert.Equal(expected.SelectMany(e => e.HeadScores), z.Take(n * headCount));
        // The convenience overload is a wrapper over the span one.
        var wrapped = index.SearchMultiHead(heads, headCount, 0.1f, k, ef, filter, MultiHeadWalk.PerHead);
        Assert.Equal(expected.Select(e => (e.Position, e.Id, e.Score)), wrapped.Select(e => (e.Position, e.Id, e.Score)));
        Assert.Equal(expected.SelectMany(e => e.HeadScores), wrapped.SelectMany(e => e.HeadScores));
        if (filter is not null)
            Assert.All(positions.Take(n), p => Assert.True(filter.Contains(p)));
    }
}
