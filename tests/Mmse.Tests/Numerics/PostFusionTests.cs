using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

public class PostFusionTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Batched_fast_forward_equals_reference_and_the_one_pair_form_at_every_length(int heads)
    {
        var rng = new Rng(21);
        const int rows = 3;
        const float beta = 0.2f;
        for (var n = 0; n <= 256; n++)
        {
            var z = new float[rows * heads * n];
            for (var i = 0; i < z.Length; i++)
                z[i] = (float)(rng.NextDouble() * 2 - 1);
            float[] sRef = new float[rows * n], sFast = new float[rows * n], wRef = new float[z.Length], wFast = new float[z.Length];
            PostFusion.Forward<ReferencePath>(z, rows, heads, n, beta, sRef, wRef);
            PostFusion.Forward<FastPath>(z, rows, heads, n, beta, sFast, wFast);
            var zk = new float[heads];
            for (var b = 0; b < rows; b++)
            {
                for (var j = 0; j < n; j++)
                {
                    for (var k = 0; k < heads; k++)
                        zk[k] = z[((b * heads) + k) * n + j];
                    Assert.True(Math.Abs(PostFusion.Fuse(zk, beta) - sRef[b * n + j]) <= 2e-6f, $"n={n} [{b}, {j}] one-pair form");
                    Assert.True(Math.Abs(sRef[b * n + j] - sFast[b * n + j]) <= 2e-6f, $"n={n} [{b}, {j}]");
                    if (heads > 1)
                    {
                        for (var k = 0; k < heads; k++)
                            Assert.True(Math.Abs(wRef[((b * heads) + k) * n + j] - wFast[((b * heads) + k) * n + j]) <= 2e-6f);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 0.5f)]
    [InlineData(2, 0.3f)]
    [InlineData(4, 1f)]
    public void Backward_matches_central_differences(int heads, float beta)
    {
        var rng = new Rng(8);
        const int rows = 2, n = 5;
        var z = new float[rows * heads * n];
        for (var i = 0; i < z.Length; i++)
            z[i] = (float)(rng.NextDouble() * 2 - 1);
        var gradS = new float[rows * n];
        for (var i = 0; i < gradS.Length; i++)
            gradS[i] = (float)(rng.NextDouble() * 2 - 1);
        gradS[3] = 0; // an exactly-zero upstream gradient gives exactly-zero head gradients
        float[] s = new float[rows * n], w = new float[z.Length], gradZ = new float[z.Length];
        PostFusion.Forward<ReferencePath>(z, rows, heads, n, beta, s, w);
        PostFusion.Backward(gradS, z, s, w, rows, heads, n, beta, gradZ);

        double Loss()
        {
            float[] s2 = new float[rows * n], w2 = new float[z.Length];
            PostFusion.Forward<ReferencePath>(z, rows, heads, n, beta, s2, w2);
            double sum = 0;
            for (var i = 0; i < s2.Length; i++)
                sum += (double)gradS[i] * s2[i];
            return sum;
        }
        const float eps = 1e-3f;
        for (var i = 0; i < z.Length; i++)
        {
            var keep = z[i];
            z[i] = keep + eps;
            var up = Loss();
            z[i] = keep - eps;
            var down = Loss();
            z[i] = keep;
            var numeric = (up - down) / (2 * eps);
            Assert.True(Math.Abs(numeric - gradZ[i]) <= 2e-3 + 1e-2 * Math.Abs(numeric), $"z[{i}]: analytic {gradZ[i]} numeric {numeric}");
        }
        for (var k = 0; k < heads; k++)
            Assert.Equal(0f, gradZ[k * n + 3]);
    }
}
