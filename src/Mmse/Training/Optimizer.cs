using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Training;

/// <summary>
/// Adam for the dense groups; lazy Adam (moments of touched rows only, global step for bias
/// correction) or Adagrad over the touched rows of the embedding table. Linear warm-up of the
/// learning rate and global-norm gradient clipping.
/// </summary>
public sealed class Optimizer
{
    private readonly ModelParameters _p;
    private readonly TrainOptions _t;
    private readonly int _threads;

    public Optimizer(ModelParameters parameters, TrainOptions options, int threads)
    {
        _p = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _t = options ?? throw new ArgumentNullException(nameof(options));
        _threads = Math.Max(1, threads);
        DenseM = [.. parameters.Dense.Select(g => new float[g.Length])];
        DenseV = [.. parameters.Dense.Select(g => new float[g.Length])];
        EmbeddingV = new float[parameters.Embedding.Length];
        EmbeddingM = options.EmbeddingOptimizer == EmbeddingOptimizer.LazyAdam ? new float[parameters.Embedding.Length] : [];
    }

    public long Step { get; set; }

    public float[][] DenseM { get; }
    public float[][] DenseV { get; }

    /// <summary>[buckets*E] first moment (lazy Adam only; empty for Adagrad).</summary>
    public float[] EmbeddingM { get; }

    /// <summary>[buckets*E] second moment (Adam) or squared-gradient sum (Adagrad).</summary>
    public float[] EmbeddingV { get; }

    /// <summary>The learning rate at the current step (warm-up applied).</summary>
    public float CurrentRate => _t.WarmupSteps > 0 ? _t.LearningRate * Math.Min(1f, (Step + 1f) / _t.WarmupSteps) : _t.LearningRate;

    /// <summary>Applies one update; returns the gradient norm before clipping.</summary>
    public double Apply(ModelGradients grads)
    {
        ArgumentNullException.ThrowIfNull(grads);
        var norm = Math.Sqrt(grads.SquaredNorm());
        var clip = _t.ClipNorm > 0 && norm > _t.ClipNorm ? (float)(_t.ClipNorm / norm) : 1f;
        var lr = CurrentRate;
        Step++;
        float b1 = _t.Adam1, b2 = _t.Adam2, eps = _t.AdamEpsilon;
        var c1 = 1 - Math.Pow(b1, Step);
        var c2 = 1 - Math.Pow(b2, Step);
        var stepSize = (float)(lr * Math.Sqrt(c2) / c1);
        var epsHat = (float)(eps * Math.Sqrt(c2));
        for (var g = 0; g < _p.Dense.Length; g++)
            AdamUpdate(_p.Dense[g], grads.Dense[g], DenseM[g], DenseV[g], 0, _p.Dense[g].Length, clip, b1, b2, stepSize, epsHat);

        var rows = grads.Embedding;
        var e = rows.Dim;
        var adagrad = _t.EmbeddingOptimizer == EmbeddingOptimizer.Adagrad;
        Parallel2.For(rows.Count, _threads, 256, (from, to) =>
        {
            for (var s = from; s < to; s++)
            {
                var offset = rows.RowAt(s) * e;
                var grad = rows.Values(s);
                if (adagrad)
                {
                    var w = _p.Embedding.AsSpan(offset, e);
                    var acc = EmbeddingV.AsSpan(offset, e);
                    for (var i = 0; i < e; i++)
                    {
                        var gi = grad[i] * clip;
                        acc[i] += gi * gi;
                        w[i] -= lr * gi / (MathF.Sqrt(acc[i]) + 1e-6f);
                    }
                }
                else
                {
                    AdamUpdate(_p.Embedding, grad, EmbeddingM, EmbeddingV, offset, e, clip, b1, b2, stepSize, epsHat);
                }
            }
        });
        return norm;
    }

    private static void AdamUpdate(float[] w, ReadOnlySpan<float> grad, float[] m, float[] v, int offset, int count,
        float clip, float b1, float b2, float stepSize, float epsHat)
    {
        for (var i = 0; i < count; i++)
        {
            var g = grad[i] * clip;
            var j = offset + i;
            m[j] = b1 * m[j] + (1 - b1) * g;
            v[j] = b2 * v[j] + (1 - b2) * g * g;
            w[j] -= stepSize * m[j] / (MathF.Sqrt(v[j]) + epsHat);
        }
    }
}
