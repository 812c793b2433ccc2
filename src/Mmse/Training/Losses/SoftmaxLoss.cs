using System.Numerics.Tensors;

namespace Mmse.Training;

/// <summary>
/// Weighted sampled softmax over in-batch positives and shared random items, own positives masked
/// (DESIGN §5), at temperature <see cref="TrainOptions.Temperature"/>, with the logQ correction when
/// <see cref="TrainOptions.LogQ"/>. The mmse and two-tower retrieval loss.
/// </summary>
public sealed class SoftmaxLoss(TrainOptions options) : IBatchLoss
{
    private int[] _mark = [];            // [N] request stamp of own positives
    private float[] _expScratch = [];    // [N] logits of one request
    private float[] _expScratch2 = [];   // [N] their exps

    /// <inheritdoc/>
    public double Accumulate(TrainingBatch batch, ReadOnlySpan<float> scores, Span<float> gradScores, float weight)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int n = batch.Slots;
        var positives = batch.PositiveSlots.Count;
        if (positives == 0)
            return 0;
        var tau = options.Temperature;
        // Averaged over the order, cart and click positives: weak ones (unclicked) add their terms without diluting these.
        var count = Math.Max(1, positives - batch.WeakPositives);
        var scale = weight / count;
        if (_mark.Length < n)
        {
            _mark = new int[Math.Max(n, _mark.Length * 3 / 2)];
            _expScratch = new float[_mark.Length];
            _expScratch2 = new float[_mark.Length];
        }
        Array.Clear(_mark, 0, n);
        double total = 0;
        var candidates = batch.IsCandidate.Array;
        var logQ = batch.LogQ.Array;
        for (var b = 0; b < batch.Count; b++)
        {
            int p0 = batch.PositiveOffsets[b], p1 = batch.PositiveOffsets[b + 1];
            if (p1 == p0) continue;
            var stamp = b + 1;
            for (var p = p0; p < p1; p++)
                _mark[batch.PositiveSlots[p]] = stamp;
            int e0 = batch.ExtraOffsets[b], e1 = batch.ExtraOffsets[b + 1];
            var s = scores.Slice(b * n, n);
            var gs = gradScores.Slice(b * n, n);
            // e[j] = exp(a_j - max) for every slot once (a = s / tau - logQ), SIMD; masks pick what counts.
            var a = _expScratch.AsSpan(0, n);
            TensorPrimitives.Multiply(s, 1f / tau, a);
            if (options.LogQ)
                TensorPrimitives.Subtract(a, logQ.AsSpan(0, n), a);
            var max = TensorPrimitives.Max(a);
            TensorPrimitives.Subtract(a, max, a);
            var e = _expScratch2.AsSpan(0, n);
            TensorPrimitives.Exp(a, e);
            double negSum = 0;
            for (var j = 0; j < n; j++)
            {
                if (candidates[j] && _mark[j] != stamp)
                    negSum += e[j];
            }
            for (var x = e0; x < e1; x++)
            {
                var j = batch.ExtraSlots[x];
                if (!candidates[j] && _mark[j] != stamp)
                    negSum += e[j];
            }
            double coef = 0;
            for (var p = p0; p < p1; p++)
            {
                var slot = batch.PositiveSlots[p];
                var wp = batch.PositiveWeights[p];
                double ap = e[slot];
                var denom = ap + negSum;
                total += wp * (Math.Log(denom) - a[slot]);
                gs[slot] += (float)(scale * wp * (ap / denom - 1) / tau);
                coef += wp / denom;
            }
            var g = (float)(scale * coef / tau);
            for (var j = 0; j < n; j++)
            {
                if (candidates[j] && _mark[j] != stamp)
                    gs[j] += g * e[j];
            }
            for (var x = e0; x < e1; x++)
            {
                var j = batch.ExtraSlots[x];
                if (!candidates[j] && _mark[j] != stamp)
                {
                    gs[j] += g * e[j];
                    _mark[j] = stamp; // a slot listed twice counts once
                }
            }
        }
        return total / count;
    }
}
