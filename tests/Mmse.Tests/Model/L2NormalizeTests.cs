using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Tests.Model;

public class L2NormalizeTests
{
    [Fact]
    public void Forward_gives_unit_rows_and_keeps_a_zero_row_zero()
    {
        float[] y = [3, 4, 0, 0, 1, -1];
        float[] norms = new float[3], u = new float[6];
        L2Normalize.Forward(3, 2, y, norms, u);
        Assert.Equal([5f, 0f, MathF.Sqrt(2)], norms);
        Assert.Equal([0.6f, 0.8f, 0f, 0f], u[..4]);
        Assert.Equal(1f, u[4] * u[4] + u[5] * u[5], 6);
    }

    [Fact]
    public void Backward_matches_central_differences()
    {
        var rng = new Rng(12);
        const int rows = 3, dim = 7;
        var y = new float[rows * dim];
        var c = new float[rows * dim];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = (float)(rng.NextDouble() * 2 - 1);
            c[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        float[] norms = new float[rows], u = new float[y.Length], gradY = new float[y.Length];
        L2Normalize.Forward(rows, dim, y, norms, u);
        L2Normalize.Backward(rows, dim, u, norms, c, gradY);

        double Loss()
        {
            float[] n2 = new float[rows], u2 = new float[y.Length];
            L2Normalize.Forward(rows, dim, y, n2, u2);
            double sum = 0;
            for (var i = 0; i < u2.Length; i++)
                sum += (double)c[i] * u2[i];
            return sum;
        }
        const float eps = 1e-3f;
        for (var i = 0; i < y.Length; i++)
        {
            var keep = y[i];
            y[i] = keep + eps;
            var up = Loss();
            y[i] = keep - eps;
            var down = Loss();
            y[i] = keep;
            var numeric = (up - down) / (2 * eps);
            Assert.True(Math.Abs(numeric - gradY[i]) <= 2e-3 + 1e-2 * Math.Abs(numeric), $"y[{i}]: analytic {gradY[i]} numeric {numeric}");
        }
    }

    [Fact]
    public void Mean_of_heads_is_the_normalised_average()
    {
        float[] heads = [1, 0, 0, 1];
        var v = new float[2];
        var norm = L2Normalize.MeanOfHeads(heads, 2, 2, v);
        Assert.Equal(MathF.Sqrt(0.5f), norm, 6);
        Assert.Equal(MathF.Sqrt(0.5f), v[0], 6);
        Assert.Equal(MathF.Sqrt(0.5f), v[1], 6);
    }
}
