using Mmse.Index;
using Mmse.Numerics;

namespace Mmse.Tests.Index;

/// <summary>The fused walk's scorers against PostFusion.Fuse over the scalar dot products.</summary>
public unsafe class FusedScorerTests
{
    [Theory]
    [InlineData(1, 0.1f)]
    [InlineData(2, 0.1f)]
    [InlineData(2, 0.01f)]
    [InlineData(3, 0.5f)]
    [InlineData(8, 0.05f)]
    public void Accumulator_equals_PostFusion_Fuse(int heads, float beta)
    {
        var random = new Random(heads * 31 + (int)(beta * 1000));
        var z = new float[heads];
        for (var trial = 0; trial < 500; trial++)
        {
            for (var h = 0; h < heads; h++)
                z[h] = (float)((random.NextDouble() * 2) - 1);
            if (trial % 5 == 0 && heads > 1)
                z[1] = z[0]; // exact ties between heads
            var fusion = new Mmse.Numerics.PostFusion.Accumulator(z[0], beta);
            for (var h = 1; h < heads; h++)
                fusion.Add(z[h]);
            var expected = PostFusion.Fuse(z, beta);
            Assert.True(Math.Abs(fusion.Score - expected) <= 1e-5f * Math.Max(1, Math.Abs(expected)), $"z=[{string.Join(", ", z)}]: {fusion.Score} vs {expected}");
        }
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(2, 64)]
    [InlineData(3, 37)]
    [InlineData(4, 130)]
    public void Scorers_equal_the_fused_scalar_reference(int heads, int dim)
    {
        const int count = 50;
        const float beta = 0.1f;
        var random = new Random(heads * 1000 + dim);
        var vectors = new float[count * dim];
        var codes = new byte[count * dim];
        var query = new float[heads * dim];
        var scaled = new float[heads * dim];
        var biases = new float[heads];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = (float)((random.NextDouble() * 2) - 1);
            codes[i] = (byte)random.Next(256);
        }
        for (var i = 0; i < query.Length; i++)
        {
            query[i] = (float)((random.NextDouble() * 2) - 1);
            scaled[i] = query[i] * 0.01f;
        }
        for (var h = 0; h < heads; h++)
            biases[h] = (float)random.NextDouble() - 0.5f;
        fixed (float* v = vectors)
        fixed (byte* c = codes)
        fixed (float* q = query)
        fixed (float* sq = scaled)
        fixed (float* b = biases)
        {
            var floatScorer = new FusedFloatScorer(q, heads, beta, v, dim);
            var int8Scorer = new FusedInt8Scorer(sq, b, heads, beta, c, dim);
            var z = new float[heads];
            for (var node = 0; node < count; node++)
            {
                for (var h = 0; h < heads; h++)
                    z[h] = (float)Enumerable.Range(0, dim).Sum(d => (double)query[h * dim + d] * vectors[node * dim + d]);
                AssertClose(PostFusion.Fuse(z, beta), floatScorer.Score(node));
                for (var h = 0; h < heads; h++)
                    z[h] = biases[h] + VectorKernels.DotU8Reference(scaled.AsSpan(h * dim, dim), codes.AsSpan(node * dim, dim));
                AssertClose(PostFusion.Fuse(z, beta), int8Scorer.Score(node));
            }
        }
    }

    private static void AssertClose(float expected, float actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4f * Math.Max(1, Math.Abs(expected)), $"{actual} vs {expected}");
}
