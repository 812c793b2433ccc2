namespace Mmse.Numerics;

/// <summary>
/// The post-fusion score of DESIGN §4: per-head cosines z_k are fused after scoring,
/// w = softmax(z / beta), s = sum_k w_k z_k. With one head it is the plain cosine.
/// Shared by the model (training, exact search) and the index (multi-head re-scoring).
/// </summary>
public static partial class PostFusion
{
    /// <summary>The fused score of per-head scores <paramref name="z"/> [heads].</summary>
    public static float Fuse(ReadOnlySpan<float> z, float beta)
    {
        if (z.Length == 1)
            return z[0];
        // Softmax with the max subtracted, so a small beta cannot overflow exp.
        var max = float.NegativeInfinity;
        foreach (var v in z)
            max = MathF.Max(max, v);
        float sumW = 0, sumWz = 0;
        foreach (var v in z)
        {
            var w = MathF.Exp((v - max) / beta);
            sumW += w;
            sumWz += w * v;
        }
        return sumWz / sumW;
    }

    /// <summary>
    /// Fills <paramref name="weights"/> [heads] with softmax(z / beta) and returns the fused score.
    /// </summary>
    public static float Fuse(ReadOnlySpan<float> z, float beta, Span<float> weights)
    {
        if (weights.Length < z.Length)
            throw new ArgumentException($"'weights':{weights.Length} must hold {z.Length} heads");
        var max = float.NegativeInfinity;
        foreach (var v in z)
            max = MathF.Max(max, v);
        float sumW = 0;
        for (var k = 0; k < z.Length; k++)
        {
            weights[k] = MathF.Exp((z[k] - max) / beta);
            sumW += weights[k];
        }
        float score = 0;
        for (var k = 0; k < z.Length; k++)
        {
            weights[k] /= sumW;
            score += weights[k] * z[k];
        }
        return score;
    }
}
