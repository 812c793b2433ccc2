namespace Mmse.Training;

/// <summary>
/// dpsr: mean over (request, positive, negative) of max(0, m - s_p + s_n) with m =
/// <see cref="TrainOptions.HingeMargin"/>, the same negatives as <see cref="SoftmaxLoss"/>.
/// </summary>
public sealed class HingeLoss(TrainOptions options) : IBatchLoss
{
    private int[] _mark = []; // [N] request stamp of own positives

    /// <inheritdoc/>
    public double Accumulate(TrainingBatch batch, ReadOnlySpan<float> scores, Span<float> gradScores, float weight)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int n = batch.Slots;
        if (_mark.Length < n)
            _mark = new int[Math.Max(n, _mark.Length * 3 / 2)];
        Array.Clear(_mark, 0, n);
        var candidates = batch.IsCandidate.Array;
        long pairs = 0;
        for (var b = 0; b < batch.Count; b++)
        {
            int p0 = batch.PositiveOffsets[b], p1 = batch.PositiveOffsets[b + 1];
            if (p1 == p0) continue;
            for (var p = p0; p < p1; p++)
                _mark[batch.PositiveSlots[p]] = b + 1;
            long negatives = 0;
            for (var j = 0; j < n; j++)
            {
                if (candidates[j] && _mark[j] != b + 1) negatives++;
            }
            pairs += negatives * (p1 - p0);
        }
        if (pairs == 0)
            return 0;
        var scale = (float)(weight / (double)pairs);
        double total = 0;
        var margin = options.HingeMargin;
        for (var b = 0; b < batch.Count; b++)
        {
            int p0 = batch.PositiveOffsets[b], p1 = batch.PositiveOffsets[b + 1];
            var s = scores.Slice(b * n, n);
            var gs = gradScores.Slice(b * n, n);
            for (var p = p0; p < p1; p++)
            {
                var sp = s[batch.PositiveSlots[p]];
                for (var j = 0; j < n; j++)
                {
                    if (!candidates[j] || _mark[j] == b + 1) continue;
                    var t = margin - sp + s[j];
                    if (t <= 0) continue;
                    total += t;
                    gs[batch.PositiveSlots[p]] -= scale;
                    gs[j] += scale;
                }
            }
        }
        return total / pairs;
    }
}
