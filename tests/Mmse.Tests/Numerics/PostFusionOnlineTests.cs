using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

/// <summary>The streaming fused-score forms equal the plain <see cref="PostFusion.Fuse(ReadOnlySpan{float}, float)"/>.</summary>
public class PostFusionOnlineTests
{
    [Theory]
    [InlineData(1, 0.1f)]
    [InlineData(2, 0.1f)]
    [InlineData(2, 0.001f)]
    [InlineData(2, 50f)]
    [InlineData(3, 0.1f)]
    [InlineData(5, 0.02f)]
    public void FuseBounded_equals_Fuse_and_never_exceeds_the_best_head(int heads, float beta)
    {
        var rng = new Rng((ulong)(heads * 1000 + (int)(beta * 1000)));
        var z = new float[heads];
        for (var trial = 0; trial < 2000; trial++)
        {
            var scale = trial % 3 == 0 ? 100f : 1f;
            for (var h = 0; h < heads; h++)
                z[h] = (float)(rng.NextGaussian() * scale);
            if (trial % 7 == 0)
                z[^1] = z[0]; // equal heads
            var fast = PostFusion.FuseBounded(z, beta);
            var reference = PostFusion.Fuse(z, beta);
            var magnitude = z.Max(MathF.Abs);
            Assert.True(MathF.Abs(fast - reference) <= 1e-6f * magnitude + 1e-30f, $"z=[{string.Join(", ", z)}] beta={beta}: {fast} vs {reference}");
            Assert.True(fast <= z.Max());
        }
    }

    [Fact]
    public void Exp_is_within_two_ulps_and_the_vector_lanes_equal_the_scalar_bits()
    {
        var rng = new Rng(99);
        var x = new float[4096];
        for (var i = 0; i < x.Length; i++)
            x[i] = i < 16 ? new[] { -87f, 88f, 0f, -0f, 1f, -1f, 0.34657359f, -0.34657359f, 1e-8f, -1e-8f, 50f, -50f, 87.9f, -86.9f, 0.5f, 2f }[i]
                : (float)((rng.NextDouble() * 175) - 87);
        for (var i = 0; i < x.Length; i += 8)
        {
            var lanes = PostFusion.Exp(System.Runtime.Intrinsics.Vector256.Create<float>(x.AsSpan(i)));
            for (var l = 0; l < 8; l++)
            {
                var scalar = PostFusion.Exp(x[i + l]);
                var exact = Math.Exp(x[i + l]);
                var ulp = (double)MathF.BitIncrement((float)exact) - (float)exact;
                Assert.True(Math.Abs(scalar - exact) <= 2 * ulp, $"exp({x[i + l]}) = {scalar}, expected {exact}");
                if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
                    Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(lanes[l]));
            }
        }
    }
}
