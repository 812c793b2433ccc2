using System.Numerics.Tensors;

namespace Mmse.Numerics;

/// <summary>
/// The post-fusion score of DESIGN §4: per-head cosines z_k are fused after scoring,
/// w = softmax(z / beta), s = sum_k w_k z_k. With one head it is the plain cosine.
/// Shared by the model (training, exact search) and the index (multi-head re-scoring). The batched
/// forward and its backward (training) sit here beside the one-pair forms they must agree with.
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
    /// <summary>
    /// Fuses a batch of score rows: z [rows*heads, n] (head k of row b is row b*heads + k) into
    /// s [rows, n], keeping the weights w [rows*heads, n] for <see cref="Backward"/> (w is not
    /// written with one head, where s = z). The fast path fuses two heads as
    /// w_1 = sigmoid((z_1 - z_0) / beta), s = z_0 + w_1 (z_1 - z_0), one SIMD sigmoid per row;
    /// the reference (and any other head count) is <see cref="Fuse(ReadOnlySpan{float}, float, Span{float})"/> per column.
    /// </summary>
    public static void Forward<TPath>(ReadOnlySpan<float> z, int rows, int heads, int n, float beta, Span<float> s, Span<float> w)
        where TPath : struct, IKernelPath
    {
        if (rows == 0 || n == 0)
            return; // TensorPrimitives refuses some empty spans
        if (heads == 1)
        {
            z[..(rows * n)].CopyTo(s);
        }
        else if (heads == 2 && !TPath.IsReference)
        {
            for (var b = 0; b < rows; b++)
            {
                var z0 = z.Slice(2 * b * n, n);
                var z1 = z.Slice((2 * b + 1) * n, n);
                var w0 = w.Slice(2 * b * n, n);
                var w1 = w.Slice((2 * b + 1) * n, n);
                var srow = s.Slice(b * n, n);
                TensorPrimitives.Subtract(z1, z0, srow);           // srow = z1 - z0
                TensorPrimitives.Multiply(srow, 1f / beta, w1);
                TensorPrimitives.Sigmoid(w1, w1);
                TensorPrimitives.Subtract(1f, w1, w0);
                TensorPrimitives.MultiplyAdd(srow, w1, z0, srow);  // s = z0 + w1 (z1 - z0)
            }
        }
        else
        {
            Span<float> zk = stackalloc float[heads];
            Span<float> wk = stackalloc float[heads];
            for (var b = 0; b < rows; b++)
            {
                for (var j = 0; j < n; j++)
                {
                    for (var k = 0; k < heads; k++)
                        zk[k] = z[((b * heads) + k) * n + j];
                    s[b * n + j] = Fuse(zk, beta, wk);
                    for (var k = 0; k < heads; k++)
                        w[((b * heads) + k) * n + j] = wk[k];
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward{TPath}"/>: gradZ [rows*heads, n] from gradS [rows, n], with
    /// ds/dz_k = w_k (1 + (z_k - s) / beta) (beta is a constant of the step). One scalar form serves
    /// both paths: it is memory-bound and its exact-zero skip keeps untouched columns exactly zero.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> gradS, ReadOnlySpan<float> z, ReadOnlySpan<float> s, ReadOnlySpan<float> w,
        int rows, int heads, int n, float beta, Span<float> gradZ)
    {
        if (heads == 1)
        {
            gradS[..(rows * n)].CopyTo(gradZ);
            return;
        }
        for (var b = 0; b < rows; b++)
        {
            for (var k = 0; k < heads; k++)
            {
                var row = ((b * heads) + k) * n;
                for (var j = 0; j < n; j++)
                {
                    var g = gradS[b * n + j];
                    gradZ[row + j] = g == 0 ? 0 : g * w[row + j] * (1 + (z[row + j] - s[b * n + j]) / beta);
                }
            }
        }
    }
}
