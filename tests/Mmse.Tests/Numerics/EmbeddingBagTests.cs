using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

public class EmbeddingBagTests
{
    [Fact]
    public void Fast_forward_and_backward_equal_reference_for_every_dim()
    {
        var rng = new Rng(9);
        foreach (var dim in new[] { 1, 3, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 128, 255, 256 })
        {
            const int rows = 23;
            var table = new float[rows * dim];
            for (var i = 0; i < table.Length; i++)
                table[i] = (float)rng.NextGaussian();
            // 6 bags, one empty, one with a repeated token.
            int[] offsets = [0, 3, 3, 4, 9, 11, 14];
            int[] tokens = [1, 2, 5, 7, 0, 1, 2, 3, 22, 4, 4, 10, 11, 12];
            int[] bags = [0, 1, 2, 3, 4, 5, 3];
            var outRef = new float[bags.Length * (dim + 2)];
            var outFast = new float[bags.Length * (dim + 2)];
            EmbeddingBag.ForwardReference(table, dim, offsets, tokens, bags, outRef, dim + 2, 1);
            EmbeddingBag.Forward(table, dim, offsets, tokens, bags, bags.Length, outFast, dim + 2, 1, 2);
            for (var i = 0; i < outRef.Length; i++)
                Assert.True(Math.Abs(outRef[i] - outFast[i]) <= 1e-5f * (1 + Math.Abs(outRef[i])), $"dim {dim} at {i}");
            Assert.All(outFast.AsSpan(1 * (dim + 2) + 1, dim).ToArray(), v => Assert.Equal(0f, v)); // the empty bag

            var grad = new float[bags.Length * (dim + 2)];
            for (var i = 0; i < grad.Length; i++)
                grad[i] = (float)rng.NextGaussian();
            var gRef = new SparseRows(rows, dim);
            var gFast = new SparseRows(rows, dim);
            EmbeddingBag.BackwardReference(grad, dim + 2, 1, dim, offsets, tokens, bags, gRef);
            EmbeddingBag.Backward(grad, dim + 2, 1, dim, offsets, tokens, bags, gFast);
            Assert.Equal(gRef.Count, gFast.Count);
            for (var s = 0; s < gRef.Count; s++)
            {
                Assert.Equal(gRef.RowAt(s), gFast.RowAt(s));
                for (var e = 0; e < dim; e++)
                    Assert.True(Math.Abs(gRef.Values(s)[e] - gFast.Values(s)[e]) <= 1e-5f * (1 + Math.Abs(gRef.Values(s)[e])));
            }
        }
    }
}
