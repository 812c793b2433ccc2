using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Tests.Model;

public class MeanBagTests
{
    // 5 bags over a 9-row table: one empty, one with a repeated token; bags[] visits bag 3 twice.
    private static readonly int[] s_offsets = [0, 2, 2, 3, 7, 9];
    private static readonly int[] s_tokens = [1, 4, 8, 0, 2, 2, 5, 3, 7];
    private static readonly int[] s_bags = [0, 1, 2, 3, 4, 3];

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(13)]
    public void Fast_forward_equals_reference_and_the_single_bag_form(int dim)
    {
        var rng = new Rng(2);
        var table = new float[9 * dim];
        for (var i = 0; i < table.Length; i++)
            table[i] = (float)rng.NextGaussian();
        int rows = s_bags.Length, stride = dim + 3;
        float[] outRef = new float[rows * stride], outFast = new float[rows * stride];
        MeanBag.Forward<ReferencePath>(table, dim, s_offsets, s_tokens, s_bags, rows, outRef, stride, 2, threads: 1);
        MeanBag.Forward<FastPath>(table, dim, s_offsets, s_tokens, s_bags, rows, outFast, stride, 2, threads: 2);
        for (var i = 0; i < outRef.Length; i++)
            Assert.True(Math.Abs(outRef[i] - outFast[i]) <= 1e-5f * (1 + Math.Abs(outRef[i])), $"dim {dim} [{i}]");
        Assert.All(outFast.AsSpan(1 * stride + 2, dim).ToArray(), v => Assert.Equal(0f, v));
        for (var r = 0; r < rows; r++)
        {
            var bag = s_bags[r];
            var one = new float[dim];
            MeanBag.Forward(table, dim, s_tokens.AsSpan(s_offsets[bag], s_offsets[bag + 1] - s_offsets[bag]), one);
            Assert.Equal(outFast.AsSpan(r * stride + 2, dim).ToArray(), one);
        }
    }

    /// <summary>L = sum(c * output): linear in the table, so central differences are exact up to rounding.</summary>
    [Fact]
    public void Backward_matches_central_differences_for_both_paths()
    {
        const int dim = 3;
        var rng = new Rng(7);
        var table = new float[9 * dim];
        for (var i = 0; i < table.Length; i++)
            table[i] = (float)rng.NextGaussian();
        int rows = s_bags.Length, stride = dim + 1;
        var c = new float[rows * stride];
        for (var i = 0; i < c.Length; i++)
            c[i] = (float)(rng.NextDouble() * 2 - 1);
        var gRef = new SparseRows(9, dim);
        var gFast = new SparseRows(9, dim);
        MeanBag.Backward<ReferencePath>(c, stride, 1, dim, s_offsets, s_tokens, s_bags, gRef);
        MeanBag.Backward<FastPath>(c, stride, 1, dim, s_offsets, s_tokens, s_bags, gFast);

        double Loss()
        {
            var output = new float[rows * stride];
            MeanBag.Forward<ReferencePath>(table, dim, s_offsets, s_tokens, s_bags, rows, output, stride, 1, threads: 1);
            double sum = 0;
            for (var i = 0; i < output.Length; i++)
                sum += (double)c[i] * output[i];
            return sum;
        }
        Assert.Equal(gRef.Count, gFast.Count);
        // Row 6 is in no bag: never touched.
        Assert.DoesNotContain(6, Enumerable.Range(0, gRef.Count).Select(gRef.RowAt));
        for (var slot = 0; slot < gRef.Count; slot++)
        {
            var row = gRef.RowAt(slot);
            Assert.Equal(row, gFast.RowAt(slot));
            for (var e = 0; e < dim; e++)
            {
                const float eps = 1e-2f;
                var i = row * dim + e;
                var keep = table[i];
                table[i] = keep + eps;
                var up = Loss();
                table[i] = keep - eps;
                var down = Loss();
                table[i] = keep;
                var numeric = (up - down) / (2 * eps);
                Assert.True(Math.Abs(numeric - gRef.Values(slot)[e]) <= 1e-4 + 1e-3 * Math.Abs(numeric), $"row {row}[{e}]");
                Assert.True(Math.Abs(gRef.Values(slot)[e] - gFast.Values(slot)[e]) <= 1e-6f);
            }
        }
    }
}
