using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

public class GemmTests
{
    private static float[] Random(int n, Rng rng)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++)
            a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    [Theory]
    [InlineData(false, false, 1)]
    [InlineData(true, false, 1)]
    [InlineData(false, true, 2)]
    [InlineData(true, true, 2)]
    public void Fast_equals_reference_over_every_tail(bool transposedA, bool accumulate, int threads)
    {
        var rng = new Rng(3);
        foreach (var m in new[] { 0, 1, 3, 4, 5, 9, 17 })
        {
            foreach (var n in new[] { 0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 64, 127, 256 })
            {
                foreach (var k in new[] { 0, 1, 5, 64 })
                {
                    var a = Random(Math.Max(1, m * k), rng);
                    var b = Random(Math.Max(1, k * n), rng);
                    var c0 = Random(Math.Max(1, m * n), rng);
                    var c1 = (float[])c0.Clone();
                    int aRow = transposedA ? 1 : k, aCol = transposedA ? m : 1;
                    Gemm.Reference(m, n, k, a, aRow, aCol, b, n, c0, n, accumulate);
                    Gemm.Multiply(m, n, k, a, aRow, aCol, b, n, c1, n, accumulate, threads);
                    for (var i = 0; i < m * n; i++)
                    {
                        // Tolerance scaled to magnitude: |terms| sum bounded by k (|a|,|b| <= 1) plus |c|.
                        Assert.True(Math.Abs(c0[i] - c1[i]) <= 1e-5f * (k + 1), $"m={m} n={n} k={k} i={i}: {c0[i]} vs {c1[i]}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        var rng = new Rng(5);
        int m = 37, n = 129, k = 300;
        var a = Random(m * k, rng);
        var b = Random(k * n, rng);
        var c1 = new float[m * n];
        var c2 = new float[m * n];
        Gemm.Multiply(m, n, k, a, k, 1, b, n, c1, n, false, 1);
        Gemm.Multiply(m, n, k, a, k, 1, b, n, c2, n, false, 2);
        Assert.Equal(c1, c2);
    }

    [Fact]
    public void Short_buffers_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(2, 2, 2, new float[3], 2, 1, new float[4], 2, new float[4], 2, false));
    }
}

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

    [Fact]
    public void Sparse_rows_reset_only_what_was_touched()
    {
        var rows = new SparseRows(100, 4);
        rows.Row(7)[0] = 1;
        rows.Row(3)[1] = 2;
        Assert.Equal(2, rows.Count);
        Assert.Equal(1, rows.Row(7)[0]);
        rows.Clear();
        Assert.Equal(0, rows.Count);
        Assert.Equal(0, rows.Row(7)[0]);
    }
}
