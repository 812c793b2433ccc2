using System.Numerics.Tensors;
using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Training;

/// <summary>The loss settings the engine needs, resolved from the variant and switches.</summary>
public sealed record LossSettings
{
    public RetrievalLossKind Kind { get; init; } = RetrievalLossKind.Softmax;
    public float Temperature { get; init; } = 0.05f;
    public bool LogQ { get; init; }
    public float RetrievalWeight { get; init; } = 1f;
    public float RankingWeight { get; init; } = 1f;
    public float RankingMargin { get; init; } = 0.1f;
    public float HingeMargin { get; init; } = 0.1f;
    public float ThresholdPositive { get; init; } = 0.9f;
    public float ThresholdExposed { get; init; } = 0.55f;
    public float ThresholdRandom { get; init; } = 0.2f;

    public static LossSettings From(TrainOptions t, RetrievalLossKind kind)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new()
        {
            Kind = kind,
            Temperature = t.Temperature,
            LogQ = t.LogQ,
            RetrievalWeight = t.NoRetrieval ? 0f : t.RetrievalWeight,
            RankingWeight = t.NoRanking ? 0f : t.RankingWeight,
            RankingMargin = t.RankingMargin,
            HingeMargin = t.HingeMargin,
            ThresholdPositive = t.ThresholdPositive,
            ThresholdExposed = t.ThresholdExposed,
            ThresholdRandom = t.ThresholdRandom,
        };
    }
}

/// <summary>Loss terms of one batch: total = retrievalWeight * Retrieval + rankingWeight * Ranking.</summary>
public readonly record struct LossTerms(double Retrieval, double Ranking, double Total);

/// <summary>Gradients of every parameter group: dense groups in full, the embedding table for touched rows only.</summary>
public sealed class ModelGradients
{
    public ModelGradients(ModelParameters parameters, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        Dense = [.. parameters.Dense.Select(g => new float[g.Length])];
        Embedding = new SparseRows(options.Buckets, options.EmbeddingDim);
    }

    /// <summary>Same order as <see cref="ModelParameters.Dense"/>.</summary>
    public float[][] Dense { get; }

    public SparseRows Embedding { get; }

    /// <summary>Squared L2 norm over every group (double accumulation).</summary>
    public double SquaredNorm()
    {
        double sum = 0;
        foreach (var g in Dense)
        {
            foreach (var v in g)
                sum += (double)v * v;
        }
        for (var s = 0; s < Embedding.Count; s++)
        {
            foreach (var v in Embedding.Values(s))
                sum += (double)v * v;
        }
        return sum;
    }
}

/// <summary>
/// Forward and backward of a batch through both towers, the fused score and the losses
/// (DESIGN §4–§5). <c>reference</c> selects the plain scalar kernels (the tested ground truth);
/// otherwise the SIMD, parallel ones. Workspaces grow to the largest batch and are reused.
/// </summary>
public sealed class TrainingEngine
{
    private readonly ModelParameters _p;
    private readonly ModelOptions _o;
    private readonly CatalogTokens _tokens;
    private readonly bool _reference;
    private readonly int _threads;
    private readonly TowerActivations _a = new();
    private float[] _qs = [];     // [B*K', d] scoring query vectors (heads, or the pre-fused mean)
    private float[] _preNorm = []; // [B] |mean of heads| (pre-fusion)
    private float[] _it = [];     // [d, N] item vectors transposed
    private float[] _z = [];      // [B*K', N] per-head cosines
    private float[] _s = [];      // [B, N] fused scores
    private float[] _w = [];      // [B*K', N] fusion weights
    private float[] _gs = [];     // [B, N] dLoss/dS
    private float[] _gz = [];     // [B*K', N]
    private float[] _gqs = [];    // [B*K', d]
    private float[] _gq = [];     // [B, K*d]
    private float[] _gqy = [];    // [B, K*d]
    private float[] _gqh = [];    // [B, H]
    private float[] _gqx = [];    // [B, E]
    private float[] _gi = [];     // [N, d]
    private float[] _giy = [];    // [N, d]
    private float[] _gih = [];    // [N, H]
    private float[] _gix = [];    // [N, F*E]
    private float[] _wt = [];     // transposed weight scratch
    private float[] _expScratch = [];  // [N] logits of one request
    private float[] _expScratch2 = []; // [N] their exps
    private int[] _mark = [];     // [N] request stamp of own positives
    private int[] _itemSlots = []; // [N] catalog items of the slots
    private int[] _bags = [];      // [B] 0..B-1

    public TrainingEngine(ModelParameters parameters, ModelOptions options, CatalogTokens tokens, LossSettings loss, bool reference, int threads)
    {
        _p = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _tokens = tokens ?? throw new ArgumentNullException(nameof(tokens));
        Loss = loss ?? throw new ArgumentNullException(nameof(loss));
        _reference = reference;
        _threads = Math.Max(1, threads);
        _beta = options.Beta;
    }

    public LossSettings Loss { get; }

    /// <summary>
    /// The post-fusion temperature the next forward uses; starts at the model's beta. The trainer
    /// lowers it step by step when <see cref="TrainOptions.BetaStart"/> anneals it. The gradients
    /// are those of the loss at this beta (beta is a constant of each step, not a parameter).
    /// </summary>
    public float FusionBeta
    {
        get => _beta;
        set
        {
            if (!(value > 0) || !float.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "the fusion temperature must be positive");
            _beta = value;
        }
    }

    private float _beta;

    /// <summary>The fused scores of the last forward: [batch, slots].</summary>
    public ReadOnlySpan<float> Scores(TrainingBatch batch) => _s.AsSpan(0, batch.Count * batch.Slots);

    /// <summary>Loss only.</summary>
    public LossTerms Forward(TrainingBatch batch) => Run(batch, null);

    /// <summary>Loss and gradients (overwrites <paramref name="grads"/>).</summary>
    public LossTerms ForwardBackward(TrainingBatch batch, ModelGradients grads) => Run(batch, grads ?? throw new ArgumentNullException(nameof(grads)));

    private void Gemm(int m, int n, int k, float[] a, int aRow, int aCol, float[] b, int ldb, float[] c, int ldc, bool accumulate)
    {
        if (_reference)
            Numerics.Gemm.Reference(m, n, k, a, aRow, aCol, b, ldb, c, ldc, accumulate);
        else
            Numerics.Gemm.Multiply(m, n, k, a, aRow, aCol, b, ldb, c, ldc, accumulate, _threads);
    }

    private static void Ensure(ref float[] buffer, long size) => TowerActivations.Ensure(ref buffer, size);

    private LossTerms Run(TrainingBatch batch, ModelGradients? grads)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int bq = batch.Count, n = batch.Slots, d = _o.Dim, heads = _o.Heads;
        var kq = _o.PreFusion ? 1 : heads;
        if (bq == 0 || n == 0)
            return default;

        // Towers.
        if (_bags.Length < bq)
            _bags = [.. Enumerable.Range(0, Math.Max(bq, _bags.Length * 2))];
        if (_itemSlots.Length < n)
            _itemSlots = new int[Math.Max(n, _itemSlots.Length * 3 / 2)];
        batch.Items.Span.CopyTo(_itemSlots);
        Towers.QueryForward(_p, _o, bq, batch.QueryOffsets.Array, batch.QueryTokens.Array, _bags, _a, _reference, _threads);
        Towers.ItemForward(_p, _o, _tokens, n, _itemSlots, _a, _reference, _threads);

        // Scoring query vectors.
        Ensure(ref _qs, (long)bq * kq * d);
        if (_o.PreFusion)
        {
            Ensure(ref _preNorm, bq);
            for (var b = 0; b < bq; b++)
                _preNorm[b] = Towers.PreFuse(_a.Q.AsSpan(b * heads * d), heads, d, _qs.AsSpan(b * d, d));
        }
        else
        {
            _a.Q.AsSpan(0, bq * heads * d).CopyTo(_qs);
        }

        // z = Qs I^T, then fuse.
        Ensure(ref _it, (long)d * n);
        Numerics.Gemm.Transpose(n, d, _a.I, _it);
        Ensure(ref _z, (long)bq * kq * n);
        Gemm(bq * kq, n, d, _qs, d, 1, _it, n, _z, n, accumulate: false);
        Ensure(ref _s, (long)bq * n);
        if (kq == 1)
        {
            _z.AsSpan(0, bq * n).CopyTo(_s);
        }
        else if (kq == 2 && !_reference)
        {
            // Two heads: w_1 = sigmoid((z_1 - z_0) / beta), s = z_0 + w_1 (z_1 - z_0); one SIMD sigmoid per row.
            Ensure(ref _w, (long)bq * kq * n);
            for (var b = 0; b < bq; b++)
            {
                var z0 = _z.AsSpan(2 * b * n, n);
                var z1 = _z.AsSpan((2 * b + 1) * n, n);
                var w0 = _w.AsSpan(2 * b * n, n);
                var w1 = _w.AsSpan((2 * b + 1) * n, n);
                var srow = _s.AsSpan(b * n, n);
                TensorPrimitives.Subtract(z1, z0, srow);           // srow = z1 - z0
                TensorPrimitives.Multiply(srow, 1f / _beta, w1);
                TensorPrimitives.Sigmoid(w1, w1);
                TensorPrimitives.Subtract(1f, w1, w0);
                TensorPrimitives.MultiplyAdd(srow, w1, z0, srow);  // s = z0 + w1 (z1 - z0)
            }
        }
        else
        {
            Ensure(ref _w, (long)bq * kq * n);
            Span<float> zk = stackalloc float[kq];
            Span<float> wk = stackalloc float[kq];
            for (var b = 0; b < bq; b++)
            {
                for (var j = 0; j < n; j++)
                {
                    for (var k = 0; k < kq; k++)
                        zk[k] = _z[((b * kq) + k) * n + j];
                    _s[b * n + j] = PostFusion.Fuse(zk, _beta, wk);
                    for (var k = 0; k < kq; k++)
                        _w[((b * kq) + k) * n + j] = wk[k];
                }
            }
        }

        // Losses and dLoss/dS.
        Ensure(ref _gs, (long)bq * n);
        _gs.AsSpan(0, bq * n).Clear();
        if (_mark.Length < n)
            _mark = new int[Math.Max(n, _mark.Length * 3 / 2)];
        var retrieval = Loss.RetrievalWeight > 0 ? Loss.Kind switch
        {
            RetrievalLossKind.Softmax => SoftmaxLoss(batch, Loss.RetrievalWeight),
            RetrievalLossKind.Hinge => HingeLoss(batch, Loss.RetrievalWeight),
            _ => ThresholdLoss(batch, Loss.RetrievalWeight),
        } : 0;
        var ranking = Loss.RankingWeight > 0 ? RankingLoss(batch, Loss.RankingWeight) : 0;
        var terms = new LossTerms(retrieval, ranking, Loss.RetrievalWeight * retrieval + Loss.RankingWeight * ranking);
        if (grads is null)
            return terms;

        Backward(batch, grads, bq, n, kq);
        return terms;
    }

    private void Backward(TrainingBatch batch, ModelGradients grads, int bq, int n, int kq)
    {
        int d = _o.Dim, heads = _o.Heads, e = _o.EmbeddingDim, h = _o.Hidden, kd = heads * d, fe = _tokens.Fields * e;

        // Fusion: ds/dz_k = w_k (1 + (z_k - s) / beta).
        Ensure(ref _gz, (long)bq * kq * n);
        if (kq == 1)
        {
            _gs.AsSpan(0, bq * n).CopyTo(_gz);
        }
        else
        {
            var beta = _beta;
            for (var b = 0; b < bq; b++)
            {
                for (var k = 0; k < kq; k++)
                {
                    var row = ((b * kq) + k) * n;
                    for (var j = 0; j < n; j++)
                    {
                        var g = _gs[b * n + j];
                        _gz[row + j] = g == 0 ? 0 : g * _w[row + j] * (1 + (_z[row + j] - _s[b * n + j]) / beta);
                    }
                }
            }
        }

        // dQs = dZ I [B*K', d]; dI = dZ^T Qs [N, d].
        Ensure(ref _gqs, (long)bq * kq * d);
        Gemm(bq * kq, d, n, _gz, n, 1, _a.I, d, _gqs, d, accumulate: false);
        Ensure(ref _gi, (long)n * d);
        Gemm(n, d, bq * kq, _gz, 1, n, _qs, d, _gi, d, accumulate: false);

        // Back to the K unit heads.
        Ensure(ref _gq, (long)bq * kd);
        if (_o.PreFusion)
        {
            Ensure(ref _gqy, (long)bq * d);
            Towers.NormalizeBackward(bq, d, _qs, _preNorm, _gqs, _gqy);
            for (var b = 0; b < bq; b++)
            {
                for (var k = 0; k < heads; k++)
                {
                    for (var i = 0; i < d; i++)
                        _gq[(b * kd) + (k * d) + i] = _gqy[b * d + i] / heads;
                }
            }
        }
        else
        {
            _gqs.AsSpan(0, bq * kd).CopyTo(_gq);
        }

        // Query tower.
        Ensure(ref _gqy, (long)bq * kd);
        Towers.NormalizeBackward(bq * heads, d, _a.Q, _a.QNorm, _gq, _gqy);
        Ensure(ref _gqh, (long)bq * h);
        Ensure(ref _gqx, (long)bq * e);
        DenseBackward(bq, h, kd, _a.QH, _p.QueryW2, _gqy, grads.Dense[2], grads.Dense[3], _gqh, reluOnInput: true);
        DenseBackward(bq, e, h, _a.QX, _p.QueryW1, _gqh, grads.Dense[0], grads.Dense[1], _gqx, reluOnInput: false);

        // Item tower.
        Ensure(ref _giy, (long)n * d);
        Towers.NormalizeBackward(n, d, _a.I, _a.INorm, _gi, _giy);
        Ensure(ref _gih, (long)n * h);
        Ensure(ref _gix, (long)n * fe);
        DenseBackward(n, h, d, _a.IH, _p.ItemW2, _giy, grads.Dense[6], grads.Dense[7], _gih, reluOnInput: true);
        DenseBackward(n, fe, h, _a.IX, _p.ItemW1, _gih, grads.Dense[4], grads.Dense[5], _gix, reluOnInput: false);

        // Embedding bags: scatter-add into touched rows.
        grads.Embedding.Clear();
        var qBags = _bags.AsSpan(0, bq);
        if (_reference)
            EmbeddingBag.BackwardReference(_gqx, e, 0, e, batch.QueryOffsets.Array, batch.QueryTokens.Array, qBags, grads.Embedding);
        else
            EmbeddingBag.Backward(_gqx, e, 0, e, batch.QueryOffsets.Array, batch.QueryTokens.Array, qBags, grads.Embedding);
        for (var f = 0; f < _tokens.Fields; f++)
        {
            if (_reference)
                EmbeddingBag.BackwardReference(_gix, fe, f * e, e, _tokens.Offsets[f], _tokens.Tokens[f], _itemSlots.AsSpan(0, n), grads.Embedding);
            else
                EmbeddingBag.Backward(_gix, fe, f * e, e, _tokens.Offsets[f], _tokens.Tokens[f], _itemSlots.AsSpan(0, n), grads.Embedding);
        }
    }

    /// <summary>
    /// Backward of y = x w + b (x [rows, in] is the layer input, already ReLU'd when it came from a hidden layer):
    /// gradW = x^T gy, gradB = column sums of gy, gx = gy w^T masked by x &gt; 0 when the input was a ReLU output.
    /// </summary>
    private void DenseBackward(int rows, int inDim, int outDim, float[] x, float[] w, float[] gy, float[] gradW, float[] gradB, float[] gx, bool reluOnInput)
    {
        Gemm(inDim, outDim, rows, x, 1, inDim, gy, outDim, gradW, outDim, accumulate: false);
        Array.Clear(gradB);
        for (var r = 0; r < rows; r++)
        {
            for (var o = 0; o < outDim; o++)
                gradB[o] += gy[r * outDim + o];
        }
        Ensure(ref _wt, (long)inDim * outDim);
        Numerics.Gemm.Transpose(inDim, outDim, w, _wt);
        Gemm(rows, inDim, outDim, gy, outDim, 1, _wt, inDim, gx, inDim, accumulate: false);
        if (reluOnInput)
        {
            for (var i = 0; i < rows * inDim; i++)
            {
                if (x[i] <= 0) gx[i] = 0;
            }
        }
    }

    /// <summary>Weighted sampled softmax over in-batch positives and shared random items, own positives masked (DESIGN §5).</summary>
    private double SoftmaxLoss(TrainingBatch batch, float weight)
    {
        int n = batch.Slots;
        var positives = batch.PositiveSlots.Count;
        if (positives == 0)
            return 0;
        var tau = Loss.Temperature;
        var scale = weight / positives;
        TowerActivations.Ensure(ref _expScratch, n);
        TowerActivations.Ensure(ref _expScratch2, n);
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
            var s = _s.AsSpan(b * n, n);
            var gs = _gs.AsSpan(b * n, n);
            // e[j] = exp(a_j - max) for every slot once (a = s / tau - logQ), SIMD; masks pick what counts.
            var a = _expScratch.AsSpan(0, n);
            TensorPrimitives.Multiply(s, 1f / tau, a);
            if (Loss.LogQ)
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
        return total / positives;
    }

    /// <summary>dpsr: mean over (request, positive, negative) of max(0, m - s_p + s_n), same negatives as the softmax.</summary>
    private double HingeLoss(TrainingBatch batch, float weight)
    {
        int n = batch.Slots;
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
        var margin = Loss.HingeMargin;
        for (var b = 0; b < batch.Count; b++)
        {
            int p0 = batch.PositiveOffsets[b], p1 = batch.PositiveOffsets[b + 1];
            var s = _s.AsSpan(b * n, n);
            var gs = _gs.AsSpan(b * n, n);
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

    /// <summary>amazon3: positives above ThresholdPositive, unclicked (level 1) below ThresholdExposed, random (level 0) below ThresholdRandom.</summary>
    private double ThresholdLoss(TrainingBatch batch, float weight)
    {
        var n = batch.Slots;
        long terms = 0;
        for (var b = 0; b < batch.Count; b++)
        {
            terms += batch.PositiveOffsets[b + 1] - batch.PositiveOffsets[b];
            for (var x = batch.ListOffsets[b]; x < batch.ListOffsets[b + 1]; x++)
            {
                if (batch.ListLevels[x] <= 1f) terms++;
            }
        }
        if (terms == 0)
            return 0;
        var scale = (float)(weight / (double)terms);
        double total = 0;
        for (var b = 0; b < batch.Count; b++)
        {
            var s = _s.AsSpan(b * n, n);
            var gs = _gs.AsSpan(b * n, n);
            for (var p = batch.PositiveOffsets[b]; p < batch.PositiveOffsets[b + 1]; p++)
            {
                var slot = batch.PositiveSlots[p];
                var t = Loss.ThresholdPositive - s[slot];
                if (t <= 0) continue;
                total += t;
                gs[slot] -= scale;
            }
            for (var x = batch.ListOffsets[b]; x < batch.ListOffsets[b + 1]; x++)
            {
                var level = batch.ListLevels[x];
                if (level > 1f) continue;
                var slot = batch.ListSlots[x];
                var t = s[slot] - (level >= 1f ? Loss.ThresholdExposed : Loss.ThresholdRandom);
                if (t <= 0) continue;
                total += t;
                gs[slot] += scale;
            }
        }
        return total / terms;
    }

    /// <summary>Graded pairwise hinge inside each request's list, averaged over its pairs, then over requests (DESIGN §5).</summary>
    /// <summary>
    /// Share of the last batch's ranking pairs whose hinge was active (margin not yet met); NaN when
    /// the ranking loss was off or the batch had no pair. A diagnostic: near 0 the loss no longer teaches.
    /// </summary>
    public double RankingActiveShare { get; private set; } = double.NaN;

    private double RankingLoss(TrainingBatch batch, float weight)
    {
        var n = batch.Slots;
        var requests = 0;
        long allPairs = 0, activePairs = 0;
        RankingActiveShare = double.NaN;
        for (var b = 0; b < batch.Count; b++)
        {
            if (Pairs(batch, b) > 0) requests++;
        }
        if (requests == 0)
            return 0;
        double total = 0;
        var m0 = Loss.RankingMargin;
        for (var b = 0; b < batch.Count; b++)
        {
            var pairs = Pairs(batch, b);
            if (pairs == 0) continue;
            allPairs += pairs;
            var scale = (float)(weight / ((double)requests * pairs));
            var s = _s.AsSpan(b * n, n);
            var gs = _gs.AsSpan(b * n, n);
            int l0 = batch.ListOffsets[b], l1 = batch.ListOffsets[b + 1];
            double sum = 0;
            for (var x = l0; x < l1; x++)
            {
                var lx = batch.ListLevels[x];
                var sx = batch.ListSlots[x];
                for (var y = l0; y < l1; y++)
                {
                    var ly = batch.ListLevels[y];
                    if (lx <= ly) continue;
                    var sy = batch.ListSlots[y];
                    var t = m0 * (lx - ly) - (s[sx] - s[sy]);
                    if (t <= 0) continue;
                    activePairs++;
                    sum += t;
                    gs[sx] -= scale;
                    gs[sy] += scale;
                }
            }
            total += sum / pairs;
        }
        RankingActiveShare = (double)activePairs / allPairs;
        return total / requests;
    }

    private static int Pairs(TrainingBatch batch, int b)
    {
        var count = 0;
        int l0 = batch.ListOffsets[b], l1 = batch.ListOffsets[b + 1];
        for (var x = l0; x < l1; x++)
        {
            for (var y = l0; y < l1; y++)
            {
                if (batch.ListLevels[x] > batch.ListLevels[y]) count++;
            }
        }
        return count;
    }
}
