using Mmse.Internals;
using Mmse.Model;

namespace Mmse.Training;

/// <summary>The model and its baselines (DESIGN §5), all trained by the same trainer.</summary>
public enum ModelVariant
{
    /// <summary>K heads, post-fusion, retrieval softmax + graded ranking loss.</summary>
    Mmse,
    /// <summary>K = 1, orders and clicks equal positives, retrieval loss only, no unclicked level.</summary>
    TwoTower,
    /// <summary>K heads, attention score, pairwise hinge against in-batch + random negatives.</summary>
    Dpsr,
    /// <summary>Three-part threshold hinge: positives above 0.9, exposed below 0.55, random below 0.2.</summary>
    Amazon3,
}

/// <summary>The form of the global (retrieval) loss.</summary>
public enum RetrievalLossKind
{
    Softmax,
    Hinge,
    Threshold,
}

/// <summary>Optimiser of the embedding table (only touched rows are updated either way).</summary>
public enum EmbeddingOptimizer
{
    LazyAdam,
    Adagrad,
}

/// <summary>
/// Training settings of DESIGN §3, §5 and §6. Every default is the reference configuration.
/// Variants override some settings (see <see cref="Resolve"/>); explicit ablation switches apply on top.
/// </summary>
public sealed record TrainOptions
{
    public static TrainOptions Default { get; } = new();

    /// <summary>Which model or baseline to train. Default mmse.</summary>
    public ModelVariant Variant { get; init; } = ModelVariant.Mmse;

    /// <summary>Passes over the training requests. Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Requests per minibatch. Default 256 (<see cref="BackboneBatchSize"/> with a backbone unless set).</summary>
    public int BatchSize
    {
        get;
        init
        {
            field = value;
            _set |= Explicit.BatchSize;
        }
    } = 256;

    /// <summary>Adam learning rate (dense and embeddings). Default 0.003 (<see cref="BackboneLearningRate"/> with a backbone unless set).</summary>
    public float LearningRate
    {
        get;
        init
        {
            field = value;
            _set |= Explicit.LearningRate;
        }
    } = 0.003f;

    /// <summary>Linear learning-rate warm-up steps. Default 100.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>Global gradient-norm clip (0 = off). Default 5.</summary>
    public float ClipNorm { get; init; } = 5f;

    public float Adam1 { get; init; } = 0.9f;

    public float Adam2 { get; init; } = 0.999f;

    public float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary>Optimiser of the embedding table. Default lazy Adam.</summary>
    public EmbeddingOptimizer EmbeddingOptimizer { get; init; } = EmbeddingOptimizer.LazyAdam;

    /// <summary>Softmax temperature tau. Default 0.05.</summary>
    public float Temperature { get; init; } = 0.05f;

    /// <summary>Random catalog items R shared by a batch. Default 512.</summary>
    public int RandomNegatives { get; init; } = 512;

    /// <summary>Positives per request in the retrieval loss. Default 4.</summary>
    public int MaxPositives { get; init; } = 4;

    public float WeightOrder { get; init; } = 1f;

    public float WeightCart { get; init; } = 0.75f;

    /// <summary>Softmax weight of a click-level positive. Default 0.5 (<see cref="BackboneWeightClick"/> with a backbone unless set).</summary>
    public float WeightClick
    {
        get;
        init
        {
            field = value;
            _set |= Explicit.WeightClick;
        }
    } = 0.5f;

    /// <summary>
    /// The settings whose default depends on the backbone and that were set (by an option or a
    /// <c>with</c>): an explicit <c>--lr 0.003</c> with a backbone stays 0.003 instead of being read
    /// as "not given". Property initialisers write the backing fields directly, so defaults leave it empty.
    /// </summary>
    private readonly Explicit _set;

    [Flags]
    private enum Explicit
    {
        None = 0,
        BatchSize = 1,
        LearningRate = 2,
        WeightClick = 4,
        WeightUnclicked = 8,
    }

    /// <summary>logQ correction of the softmax for in-batch popularity. Default false.</summary>
    public bool LogQ { get; init; }

    /// <summary>Ranking margin m0 per level of difference. Default 0.1.</summary>
    public float RankingMargin { get; init; } = 0.1f;

    /// <summary>Unclicked items sampled into a request's ranking list. Default 8.</summary>
    public int MaxUnclicked { get; init; } = 8;

    /// <summary>
    /// Softmax weight of the sampled unclicked items as weak positives of the retrieval loss (shown by
    /// the shop's engine, so above a random catalog item; below clicks, as in the ranking loss). Default 0:
    /// unclicked items feed only the ranking loss (DESIGN §5); <see cref="BackboneWeightUnclicked"/>
    /// with a backbone unless set.
    /// </summary>
    public float WeightUnclicked
    {
        get;
        init
        {
            field = value;
            _set |= Explicit.WeightUnclicked;
        }
    }

    /// <summary>Random items put into a request's ranking list. Default 8.</summary>
    public int MaxRandomInList { get; init; } = 8;

    /// <summary>lambda, the weight of the ranking loss. Default 1.</summary>
    public float RankingWeight { get; init; } = 1f;

    /// <summary>Weight of the retrieval loss. Default 1.</summary>
    public float RetrievalWeight { get; init; } = 1f;

    /// <summary>Ablation: no ranking loss.</summary>
    public bool NoRanking { get; init; }

    /// <summary>Ablation: no retrieval loss.</summary>
    public bool NoRetrieval { get; init; }

    /// <summary>Ablation: drop the unclicked level.</summary>
    public bool NoUnclicked { get; init; }

    /// <summary>Ablation: a request's unclicked items are extra negatives in its softmax.</summary>
    public bool UnclickedInSoftmax { get; init; }

    /// <summary>Ablation: orders, carts and clicks are one level (3) with weight 1.</summary>
    public bool MergeOrderClick { get; init; }

    /// <summary>Merge requests whose queries normalise to the same text (DESIGN §3). Default false.</summary>
    public bool MergeSameQuery { get; init; }

    /// <summary>Catalog stage (DESIGN §3): pseudo-requests from title spans. Default true.</summary>
    public bool CatalogStage { get; init; } = true;

    /// <summary>Pseudo-requests per epoch as a multiple of the usable log requests (at most the catalog size). Default 2.</summary>
    public float CatalogStageFactor { get; init; } = 2f;

    /// <summary>
    /// Beta annealing: when positive, the post-fusion temperature starts at this value and decays
    /// geometrically to the model's beta over the first <see cref="BetaAnnealEpochs"/> epochs (so a
    /// losing head keeps a real share of the weight and of the gradient early in training), then
    /// stays at the model's beta. Default 0 = off: the model's beta throughout (today's behaviour).
    /// </summary>
    public float BetaStart { get; init; }

    /// <summary>Epochs over which <see cref="BetaStart"/> decays to the model's beta. Default 1.</summary>
    public float BetaAnnealEpochs { get; init; } = 1f;

    /// <summary>
    /// The fusion temperature at optimiser step <paramref name="step"/> (0-based) of a run with
    /// <paramref name="stepsPerEpoch"/> steps per epoch: <paramref name="beta"/> without annealing,
    /// else BetaStart × (beta / BetaStart)^(step / (BetaAnnealEpochs × stepsPerEpoch)) until that
    /// point and <paramref name="beta"/> after it.
    /// </summary>
    public float FusionBetaAt(long step, long stepsPerEpoch, float beta)
    {
        if (BetaStart <= 0 || BetaStart == beta) return beta;
        var span = BetaAnnealEpochs * Math.Max(1, stepsPerEpoch);
        if (step >= span) return beta;
        var t = Math.Max(0, step) / span;
        return (float)(BetaStart * Math.Pow(beta / (double)BetaStart, t));
    }

    /// <summary>dpsr hinge margin. Default 0.1.</summary>
    public float HingeMargin { get; init; } = 0.1f;

    /// <summary>amazon3 thresholds: positives above, exposed below, random below. Defaults 0.9, 0.55, 0.2.</summary>
    public float ThresholdPositive { get; init; } = 0.9f;

    public float ThresholdExposed { get; init; } = 0.55f;

    public float ThresholdRandom { get; init; } = 0.2f;

    /// <summary>Share of training requests held out for validation when no validation log is given. Default 0.05.</summary>
    public float ValidShare { get; init; } = 0.05f;

    /// <summary>At most this many validation requests are evaluated per epoch. Default 2000.</summary>
    public int MaxValidRequests { get; init; } = 2000;

    /// <summary>Early stopping: epochs without a better validation recall before stopping (0 = never). Default 3.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Worker threads (0 = every core). With 1 and a fixed seed a run repeats bit for bit.</summary>
    public int Threads { get; init; }

    /// <summary>Seed of shuffling, sampling and the hold-out split. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Where to write a checkpoint after every epoch (null = none).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>A checkpoint to resume from (null = start fresh).</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Stop after this many steps in total (0 = no limit); for benchmarks.</summary>
    public long MaxSteps { get; init; }

    /// <summary>Applies the variant: the settings it implies, then the explicit ablation switches.</summary>
    public (ModelOptions Model, TrainOptions Train, RetrievalLossKind Kind) Resolve(ModelOptions model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model = model.ResolveBackbone();
        var train = this;
        if (model.HasBackbone)
        {
            // On top of a pretrained encoder the adapters over-fit within an epoch or two at the hashed
            // model's rate, and catalog-stage pseudo-queries (title spans) have no backbone vector of
            // their own: measured on real data, docs/experiments.md "Real data".
            train = train with
            {
                LearningRate = (_set & Explicit.LearningRate) != 0 ? LearningRate : BackboneLearningRate,
                BatchSize = (_set & Explicit.BatchSize) != 0 ? BatchSize : BackboneBatchSize,
                WeightClick = (_set & Explicit.WeightClick) != 0 ? WeightClick : BackboneWeightClick,
                WeightUnclicked = (_set & Explicit.WeightUnclicked) != 0 ? WeightUnclicked : BackboneWeightUnclicked,
                CatalogStage = false,
            };
        }
        var kind = RetrievalLossKind.Softmax;
        switch (Variant)
        {
            case ModelVariant.TwoTower:
                model = model with { Heads = 1, PreFusion = false };
                train = train with { MergeOrderClick = true, NoRanking = true, NoUnclicked = true };
                break;
            case ModelVariant.Dpsr:
                kind = RetrievalLossKind.Hinge;
                train = train with { NoRanking = true, NoUnclicked = true };
                break;
            case ModelVariant.Amazon3:
                kind = RetrievalLossKind.Threshold;
                train = train with { NoRanking = true };
                break;
        }
        return (model, train, kind);
    }

    /// <summary>The learning rate with a backbone when none is given (the default 0.003 is the hashed towers').</summary>
    public const float BackboneLearningRate = 0.0003f;

    /// <summary>The batch size with a backbone when none is given (real data: 128 gave 0.825 recall_order@100, 256 0.819).</summary>
    public const int BackboneBatchSize = 128;

    /// <summary>
    /// The click weight with a backbone when none is given: a steeper order-over-click grading
    /// (real data, three seeds: 0.25 gave recall_order@100 0.8274 ± 0.0002 against 0.5's 0.8253 ± 0.0014
    /// and 0.1's 0.8246 ± 0.0013; docs/experiments.md "Real data").
    /// </summary>
    public const float BackboneWeightClick = 0.25f;

    /// <summary>
    /// The unclicked items' softmax weight with a backbone when none is given: the four levels graded
    /// 1 (order) / 0.25 (click) / 0.1 (unclicked) / 0 (random) in the retrieval loss too (real data,
    /// three seeds: recall_order@100 0.8286 ± 0.0009 against 0.8274 without, and two-tower's 0.8249;
    /// docs/experiments.md "Real data").
    /// </summary>
    public const float BackboneWeightUnclicked = 0.1f;

    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) ThrowHelper.Input(message);
        }
        Check(Epochs >= 1, $"'epochs':{Epochs} must be at least 1");
        Check(BatchSize >= 1, $"'batch-size':{BatchSize} must be at least 1");
        Check(LearningRate > 0, $"'lr':{LearningRate} must be positive");
        Check(Temperature > 0, $"'tau':{Temperature} must be positive");
        Check(RandomNegatives >= 0, $"'random-negatives':{RandomNegatives} must be >= 0");
        Check(MaxPositives >= 1, $"'max-positives':{MaxPositives} must be at least 1");
        Check(MaxUnclicked >= 0 && MaxRandomInList >= 0, "'max-unclicked' and 'max-random-in-list' must be >= 0");
        Check(WeightUnclicked >= 0 && float.IsFinite(WeightUnclicked), $"'weight-unclicked':{WeightUnclicked} must be 0 (off) or positive");
        Check(ValidShare is >= 0 and < 1, $"'valid-share':{ValidShare} must be in [0, 1)");
        Check(WarmupSteps >= 0, $"'warmup':{WarmupSteps} must be >= 0");
        Check(ClipNorm >= 0, $"'clip':{ClipNorm} must be >= 0");
        Check(BetaStart >= 0 && float.IsFinite(BetaStart), $"'beta-start':{BetaStart} must be 0 (off) or positive");
        Check(BetaAnnealEpochs > 0 && float.IsFinite(BetaAnnealEpochs), $"'beta-anneal-epochs':{BetaAnnealEpochs} must be positive");
        Check(CatalogStageFactor >= 0, $"'catalog-stage-factor':{CatalogStageFactor} must be >= 0");
        Check(!(NoRanking && NoRetrieval), "'no-ranking' and 'no-retrieval' together leave no loss to train");
    }
}
