using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Training;

/// <summary>
/// Forward and backward of a batch through both towers, the fused score and the losses
/// (DESIGN §4–§5). <typeparamref name="TPath"/> selects the plain scalar kernels
/// (<see cref="ReferencePath"/>, the tested ground truth) or the SIMD, parallel ones
/// (<see cref="FastPath"/>). Loss knobs and weights are read from the resolved
/// <see cref="TrainOptions"/>. Workspaces grow to the largest batch and are reused.
/// </summary>
public sealed class TrainingEngine<TPath>
    where TPath : struct, IKernelPath
{
    private readonly ModelParameters _p;
    private readonly ModelOptions _o;
    private readonly CatalogTokens _tokens;
    private readonly int _threads;
    private readonly IBatchLoss _retrieval;
    private readonly RankingLoss _ranking;
    private readonly float _retrievalWeight;
    private readonly float _rankingWeight;
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
    private int[] _itemSlots = []; // [N] catalog items of the slots
    private int[] _bags = [];      // [B] 0..B-1
    private float _beta;

    /// <summary>
    /// An engine over <paramref name="parameters"/> (updated in place by the optimiser between steps)
    /// with the losses of <paramref name="kind"/> and the knobs of <paramref name="options"/>, both as
    /// returned by <see cref="TrainOptions.Resolve"/>.
    /// </summary>
    public TrainingEngine(ModelParameters parameters, ModelOptions model, CatalogTokens tokens, TrainOptions options,
        RetrievalLossKind kind, int threads)
    {
        _p = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _o = model ?? throw new ArgumentNullException(nameof(model));
        _tokens = tokens ?? throw new ArgumentNullException(nameof(tokens));
        ArgumentNullException.ThrowIfNull(options);
        _retrieval = RetrievalLoss.For(kind, options);
        _ranking = new RankingLoss(options);
        _retrievalWeight = options.NoRetrieval ? 0f : options.RetrievalWeight;
        _rankingWeight = options.NoRanking ? 0f : options.RankingWeight;
        _threads = Math.Max(1, threads);
        _beta = model.Beta;
    }

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

    /// <summary>
    /// Share of the last batch's ranking pairs whose hinge was active (margin not yet met); NaN when
    /// the ranking loss was off or the batch had no pair. A diagnostic: near 0 the loss no longer teaches.
    /// </summary>
    public double RankingActiveShare => _ranking.ActiveShare;

    /// <summary>The fused scores of the last forward: [batch, slots].</summary>
    public ReadOnlySpan<float> Scores(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return _s.AsSpan(0, batch.Count * batch.Slots);
    }

    /// <summary>Loss only.</summary>
    public LossTerms Forward(TrainingBatch batch) => Run(batch, null);

    /// <summary>Loss and gradients (overwrites <paramref name="grads"/>).</summary>
    public LossTerms ForwardBackward(TrainingBatch batch, ModelGradients grads) => Run(batch, grads ?? throw new ArgumentNullException(nameof(grads)));

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
        Towers.QueryForward<TPath>(_p, _o, bq, batch.QueryOffsets.Array, batch.QueryTokens.Array, _bags, _a, _threads, batch.QueryBackbone.Span);
        Towers.ItemForward<TPath>(_p, _o, _tokens, n, _itemSlots, _a, _threads);

        // Scoring query vectors.
        Ensure(ref _qs, (long)bq * kq * d);
        if (_o.PreFusion)
        {
            Ensure(ref _preNorm, bq);
            for (var b = 0; b < bq; b++)
                _preNorm[b] = L2Normalize.MeanOfHeads(_a.Q.AsSpan(b * heads * d), heads, d, _qs.AsSpan(b * d, d));
        }
        else
        {
            _a.Q.AsSpan(0, bq * heads * d).CopyTo(_qs);
        }

        // z = Qs I^T [B*K', N], then s = fuse(z) [B, N].
        Ensure(ref _it, (long)d * n);
        Gemm.Transpose(n, d, _a.I, _it);
        Ensure(ref _z, (long)bq * kq * n);
        Gemm.Multiply<TPath>(bq * kq, n, d, _qs, d, 1, _it, n, _z, n, accumulate: false, _threads);
        Ensure(ref _s, (long)bq * n);
        if (kq > 1)
            Ensure(ref _w, (long)bq * kq * n);
        PostFusion.Forward<TPath>(_z, bq, kq, n, _beta, _s, _w);

        // Losses and dLoss/dS.
        Ensure(ref _gs, (long)bq * n);
        _gs.AsSpan(0, bq * n).Clear();
        var scores = _s.AsSpan(0, bq * n);
        var gradScores = _gs.AsSpan(0, bq * n);
        var retrieval = _retrievalWeight > 0 ? _retrieval.Accumulate(batch, scores, gradScores, _retrievalWeight) : 0;
        var ranking = _rankingWeight > 0 ? _ranking.Accumulate(batch, scores, gradScores, _rankingWeight) : 0;
        var terms = new LossTerms(retrieval, ranking, _retrievalWeight * retrieval + _rankingWeight * ranking);
        if (grads is null)
            return terms;

        Backward(batch, grads, bq, n, kq);
        return terms;
    }

    private void Backward(TrainingBatch batch, ModelGradients grads, int bq, int n, int kq)
    {
        int d = _o.Dim, heads = _o.Heads, e = _o.EmbeddingDim, h = _o.Hidden, kd = heads * d, fe = _tokens.Fields * e;

        // Fusion.
        Ensure(ref _gz, (long)bq * kq * n);
        PostFusion.Backward(_gs, _z, _s, _w, bq, kq, n, _beta, _gz);

        // dQs = dZ I [B*K', d]; dI = dZ^T Qs [N, d].
        Ensure(ref _gqs, (long)bq * kq * d);
        Gemm.Multiply<TPath>(bq * kq, d, n, _gz, n, 1, _a.I, d, _gqs, d, accumulate: false, _threads);
        Ensure(ref _gi, (long)n * d);
        Gemm.Multiply<TPath>(n, d, bq * kq, _gz, 1, n, _qs, d, _gi, d, accumulate: false, _threads);

        // Back to the K unit heads.
        Ensure(ref _gq, (long)bq * kd);
        if (_o.PreFusion)
        {
            Ensure(ref _gqy, (long)bq * d);
            L2Normalize.Backward(bq, d, _qs, _preNorm, _gqs, _gqy);
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

        if (_o.HasBackbone)
        {
            grads.Embedding.Clear();
            AdapterTowers.QueryBackward<TPath>(_p, _o, bq, batch.QueryOffsets.Span, batch.QueryTokens.Span, _bags.AsSpan(0, bq), _a, _gq,
                ref _gqy, ref _gqx, ref _wt, grads.Dense, grads.Embedding, _threads);
            AdapterTowers.ItemBackward<TPath>(_p, _o, _tokens, n, _itemSlots.AsSpan(0, n), _a, _gi, ref _giy, ref _gix, ref _wt,
                grads.Dense, grads.Embedding, _threads);
            return;
        }

        // Query tower, in reverse: L2, dense K*d, dense H (ReLU), mean bag.
        Ensure(ref _gqy, (long)bq * kd);
        L2Normalize.Backward(bq * heads, d, _a.Q, _a.QNorm, _gq, _gqy);
        Ensure(ref _gqh, (long)bq * h);
        Ensure(ref _gqx, (long)bq * e);
        DenseLayer.Backward<TPath>(bq, h, kd, _a.QH, _p.QueryW2, _gqy, grads.Dense[2], grads.Dense[3], _gqh, reluOnInput: true, ref _wt, _threads);
        DenseLayer.Backward<TPath>(bq, e, h, _a.QX, _p.QueryW1, _gqh, grads.Dense[0], grads.Dense[1], _gqx, reluOnInput: false, ref _wt, _threads);

        // Item tower, in reverse.
        Ensure(ref _giy, (long)n * d);
        L2Normalize.Backward(n, d, _a.I, _a.INorm, _gi, _giy);
        Ensure(ref _gih, (long)n * h);
        Ensure(ref _gix, (long)n * fe);
        DenseLayer.Backward<TPath>(n, h, d, _a.IH, _p.ItemW2, _giy, grads.Dense[6], grads.Dense[7], _gih, reluOnInput: true, ref _wt, _threads);
        DenseLayer.Backward<TPath>(n, fe, h, _a.IX, _p.ItemW1, _gih, grads.Dense[4], grads.Dense[5], _gix, reluOnInput: false, ref _wt, _threads);

        // Embedding bags: scatter-add into touched rows.
        grads.Embedding.Clear();
        MeanBag.Backward<TPath>(_gqx, e, 0, e, batch.QueryOffsets.Array, batch.QueryTokens.Array, _bags.AsSpan(0, bq), grads.Embedding);
        for (var f = 0; f < _tokens.Fields; f++)
            MeanBag.Backward<TPath>(_gix, fe, f * e, e, _tokens.Offsets[f], _tokens.Tokens[f], _itemSlots.AsSpan(0, n), grads.Embedding);
    }
}
