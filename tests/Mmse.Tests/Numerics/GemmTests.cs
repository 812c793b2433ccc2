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

    public static TheoryData<bool, bool> Layouts() => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    /// <summary>
    /// Every length 0..256 of each dimension in turn (the others fixed at sizes that run the 6-row,
    /// 4-row and 1-row tiles and the 16-, 8- and 1-column tails), so every tail of every loop runs.
    /// </summary>
    [Theory]
    [MemberData(nameof(Layouts))]
    public void Fast_equals_reference_at_every_length_of_every_dimension(bool transposedA, bool accumulate)
    {
        var rng = new Rng(11);
        for (var len = 0; len <= 256; len++)
        {
            foreach (var m in new[] { 1, 11, 13 })
                Check(m, len, 17);
            foreach (var n in new[] { 5, 16, 31 })
                Check(len, n, 7);
            Check(7, 19, len);
        }

        void Check(int m, int n, int k)
        {
            var a = Random(Math.Max(1, m * k), rng);
            var b = Random(Math.Max(1, k * n), rng);
            var c0 = Random(Math.Max(1, m * n), rng);
            var c1 = (float[])c0.Clone();
            int aRow = transposedA ? 1 : k, aCol = transposedA ? m : 1;
            Gemm.Multiply<ReferencePath>(m, n, k, a, aRow, aCol, b, n, c0, n, accumulate, threads: 1);
            Gemm.Multiply<FastPath>(m, n, k, a, aRow, aCol, b, n, c1, n, accumulate, threads: 2);
            for (var i = 0; i < m * n; i++)
                Assert.True(Math.Abs(c0[i] - c1[i]) <= 1e-5f * (k + 1), $"m={m} n={n} k={k} i={i}: {c0[i]} vs {c1[i]}");
        }
    }
}
