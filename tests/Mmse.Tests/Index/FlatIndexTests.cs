using Mmse.Index;
using Mmse.Numerics;

namespace Mmse.Tests.Index;

public class FlatIndexTests
{
    [Fact]
    public void Search_returns_the_true_top_k_in_order()
    {
        var data = SyntheticVectors.Clustered(500, 16, 10, 1, 2);
        var flat = new FlatIndex(data, 16);
        var query = data.AsSpan(16 * 5, 16).ToArray();
        var hits = flat.Search(query, 10);
        var expected = Enumerable.Range(0, 500)
            .Select(i => (i, s: VectorKernels.DotReference(query, data.AsSpan(i * 16, 16))))
            .OrderByDescending(x => x.s).Take(10).Select(x => x.i).ToArray();
        Assert.Equal(expected, hits.Select(h => h.Position).ToArray());
        Assert.Equal(5, hits[0].Position);
        Assert.Equal("5", hits[0].Id);
        for (var i = 1; i < hits.Length; i++)
            Assert.True(hits[i - 1].Score >= hits[i].Score);
    }

    [Fact]
    public void Filtered_and_multi_head_search_respect_the_filter_and_the_fused_score()
    {
        var data = SyntheticVectors.Clustered(600, 8, 6, 1, 5);
        var flat = new FlatIndex(data, 8);
        var filter = AllowedSet.FromPredicate(600, p => p % 3 == 0);
        Assert.All(flat.Search(data.AsSpan(0, 8), 10, filter), h => Assert.Equal(0, h.Position % 3));
        var heads = SyntheticVectors.Clustered(2, 8, 6, 1, 6);
        var hits = flat.SearchMultiHead(heads, 2, 0.1f, 5, filter);
        var best = Enumerable.Range(0, 600).Where(p => p % 3 == 0)
            .Select(p => (p, s: PostFusion.Fuse([VectorKernels.Dot(heads.AsSpan(0, 8), flat.Vector(p)), VectorKernels.Dot(heads.AsSpan(8, 8), flat.Vector(p))], 0.1f)))
            .OrderByDescending(x => x.s).Take(5).Select(x => x.p);
        Assert.Equal(best, hits.Select(h => h.Position));
        Assert.All(hits, h => Assert.Equal(h.Score, PostFusion.Fuse(h.HeadScores, 0.1f), 5));
    }
}

public class ScoreHeapTests
{
    [Fact]
    public void Heap_pops_in_ascending_order_and_keeps_the_best_when_bounded()
    {
        var random = new Random(5);
        var heap = new ScoreHeap(2);
        var values = Enumerable.Range(0, 500).Select(_ => (float)random.NextDouble()).ToArray();
        for (var i = 0; i < values.Length; i++)
            heap.Push(values[i], i);
        var popped = new List<float>();
        while (heap.Count > 0)
        {
            popped.Add(heap.TopScore);
            Assert.Equal(values[heap.TopNode], heap.TopScore);
            heap.Pop();
        }
        Assert.Equal(values.Order(), popped);
        heap.Pop();
        Assert.Equal(0, heap.Count);

        for (var i = 0; i < values.Length; i++)
            heap.PushBounded(values[i], i, 10);
        var scores = new float[10];
        var nodes = new int[10];
        Assert.Equal(10, heap.DrainDescending(scores, nodes));
        Assert.Equal(values.OrderDescending().Take(10), scores);
    }
}
