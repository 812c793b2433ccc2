using Mmse.Numerics;
using Mmse.Retrieval;

namespace Mmse.Tests.Retrieval;

public class ExactItemIndexTests
{
    private static float[] Heads(int heads, int dim, int seed)
    {
        var q = ServingTestData.RandomVectors(heads, dim, seed);
        for (var h = 0; h < heads; h++)
        {
            var row = q.AsSpan(h * dim, dim);
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
        }
        return q;
    }

    [Fact]
    public void Fast_search_equals_the_reference_for_every_dimension_0_to_256()
    {
        for (var dim = 1; dim <= 256; dim += dim < 20 ? 1 : 13)
        {
            var index = new ExactItemIndex(ServingTestData.RandomVectors(97, dim, dim), dim);
            foreach (var heads in new[] { 1, 2, 3 })
            {
                var q = Heads(heads, dim, 1000 + dim);
                foreach (var k in new[] { 1, 7, 97, 200 })
                {
                    var fast = index.Search(q, heads, 0.1f, k, null);
                    var reference = index.SearchReference(q, heads, 0.1f, k, null);
                    Assert.Equal(reference.Count, fast.Count);
                    for (var i = 0; i < fast.Count; i++)
                    {
                        // Scores agree within float rounding scaled to their magnitude (cosines: <= 1).
                        Assert.True(MathF.Abs(reference.Scores[i] - fast.Scores[i]) <= 1e-5f,
                            $"dim {dim}, heads {heads}, k {k}, rank {i}: {fast.Scores[i]} vs {reference.Scores[i]}");
                        if (i + 1 < fast.Count && reference.Scores[i] - reference.Scores[i + 1] > 1e-4f)
                            Assert.Equal(reference.Items[i], fast.Items[i]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Hits_carry_per_head_cosines_and_the_fused_score_of_them()
    {
        const int dim = 16;
        var vectors = ServingTestData.RandomVectors(30, dim, 5);
        var index = new ExactItemIndex(vectors, dim);
        var q = Heads(2, dim, 6);
        var hits = index.Search(q, 2, 0.1f, 5, null);
        for (var i = 0; i < hits.Count; i++)
        {
            var row = index.Vector(hits.Items[i]);
            var z = hits.HeadScores(i);
            for (var h = 0; h < 2; h++)
                Assert.Equal(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(q.AsSpan(h * dim, dim), row), z[h], 1e-5f);
            Assert.Equal(PostFusion.Fuse(z, 0.1f), hits.Scores[i], 1e-6f);
            Assert.Equal(z[0] >= z[1] ? 0 : 1, hits.BestHead(i));
        }
    }

    [Fact]
    public void Filter_keeps_only_allowed_items_and_ties_break_by_item_number()
    {
        var catalog = ServingTestData.Catalog(10);
        var index = new ExactItemIndex(new float[10 * 4].Select((_, i) => i % 4 == 0 ? 1f : 0f).ToArray(), 4); // every item the same vector
        var filter = new ItemFilterParser(catalog).Parse(["brand:hardco"])!;
        var hits = index.Search([1, 0, 0, 0], 1, 0.1f, 10, filter);
        Assert.Equal([0, 2, 4, 6, 8], hits.Items.ToArray());
        Assert.Equal(hits.Items.ToArray(), index.SearchReference([1, 0, 0, 0], 1, 0.1f, 10, filter).Items.ToArray());
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var index = new ExactItemIndex(new float[12], 4);
        Assert.Throws<ArgumentException>(() => index.Search(new float[5], 1, 0.1f, 1, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[4], 1, 0.1f, 0, null));
        Assert.Throws<ArgumentException>(() => new ExactItemIndex(new float[10], 4));
    }
}
