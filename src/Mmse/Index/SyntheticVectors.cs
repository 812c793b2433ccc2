using Mmse.Numerics;
namespace Mmse.Index;

/// <summary>
/// Seeded clustered test vectors for ANN benchmarks and tests: unit-length points scattered
/// around random unit cluster centres, so neighbourhoods have structure like real embeddings.
/// </summary>
public static class SyntheticVectors
{
    /// <summary>
    /// <paramref name="count"/> unit vectors [count, dim]: point = normalise(centre + spread * g / sqrt(dim)),
    /// g standard normal, centres drawn from <paramref name="centreSeed"/> and points from <paramref name="seed"/>.
    /// Two calls with the same centre seed share the clusters (base and query sets).
    /// </summary>
    public static float[] Clustered(int count, int dim, int clusters, int centreSeed, int seed, float spread = 0.5f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clusters);
        var centreRandom = new Random(centreSeed);
        var centres = new float[clusters * dim];
        for (var c = 0; c < clusters; c++)
        {
            for (var d = 0; d < dim; d++)
                centres[c * dim + d] = Gaussian(centreRandom);
            VectorKernels.Normalize(centres.AsSpan(c * dim, dim));
        }
        var random = new Random(seed);
        var result = new float[(long)count * dim];
        var scale = spread / MathF.Sqrt(dim);
        for (var i = 0; i < count; i++)
        {
            var c = random.Next(clusters);
            var row = result.AsSpan((int)((long)i * dim), dim);
            for (var d = 0; d < dim; d++)
                row[d] = centres[c * dim + d] + scale * Gaussian(random);
            VectorKernels.Normalize(row);
        }
        return result;
    }

    private static float Gaussian(Random random)
    {
        // Box-Muller; one value per call keeps the stream simple to reproduce.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
