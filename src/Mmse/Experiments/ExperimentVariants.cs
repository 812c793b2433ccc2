using Mmse.Evaluation;
using Mmse.Internals;
using Mmse.Model;
using Mmse.Text;
using Mmse.Training;

namespace Mmse.Experiments;

/// <summary>One row of an experiment: how to train it (or how to rank without training).</summary>
/// <param name="Name">The name in the report (DESIGN §5 names, plus bm25, bm25-plain, pretrained and hybrid).</param>
/// <param name="Description">One line for the report.</param>
/// <param name="Configure">Turns the experiment's base options into this variant's; null for untrained rankers.</param>
public sealed record ExperimentVariant(string Name, string Description,
    Func<ModelOptions, TrainOptions, (ModelOptions, TrainOptions)>? Configure);

/// <summary>The variants of DESIGN §5: the model, its baselines and ablations, BM25, the pretrained backbone and the hybrid.</summary>
public static class ExperimentVariants
{
    /// <summary>The variant every other one is compared with.</summary>
    public const string Reference = "mmse";

    /// <summary>The lexical baseline: BM25 with English analysis.</summary>
    public const string Bm25 = "bm25";

    /// <summary>BM25 over plain lower-cased words (the lexical baseline before English analysis).</summary>
    public const string Bm25Plain = "bm25-plain";

    /// <summary>The frozen backbone alone: exact cosine search, no training.</summary>
    public const string Pretrained = "pretrained";

    /// <summary>The fusion of <see cref="Reference"/> and <see cref="Bm25"/>, tuned on the validation requests.</summary>
    public const string Hybrid = "hybrid";

    /// <summary>Every variant, in report order.</summary>
    public static IReadOnlyList<ExperimentVariant> All { get; } =
    [
        new("mmse", "the reference model: K = 2 heads, post-fusion, retrieval softmax + graded ranking loss, all four levels",
            (m, t) => (m, t with { Variant = ModelVariant.Mmse })),
        new("two-tower", "plain two-tower baseline: K = 1, orders and clicks equal positives, retrieval loss only",
            (m, t) => (m, t with { Variant = ModelVariant.TwoTower })),
        new("dpsr", "DPSR-style baseline: K heads with attention score, hinge against in-batch and random negatives",
            (m, t) => (m, t with { Variant = ModelVariant.Dpsr })),
        new("amazon3", "Amazon-style three-part threshold hinge: ordered above 0.9, exposed below 0.55, random below 0.2",
            (m, t) => (m, t with { Variant = ModelVariant.Amazon3 })),
        new("no-ranking-loss", "ablation: mmse without the ranking loss",
            (m, t) => (m, t with { NoRanking = true })),
        new("no-retrieval-loss", "ablation: mmse without the retrieval loss",
            (m, t) => (m, t with { NoRetrieval = true })),
        new("no-unclicked", "ablation: mmse without the exposed-unclicked level",
            (m, t) => (m, t with { NoUnclicked = true })),
        new("unclicked-in-softmax", "ablation: exposed-unclicked items as plain negatives inside the retrieval softmax",
            (m, t) => (m, t with { UnclickedInSoftmax = true })),
        new("order-click-merged", "ablation: orders and clicks as one positive level",
            (m, t) => (m, t with { MergeOrderClick = true })),
        new("single-head", "ablation: mmse with K = 1 head",
            (m, t) => (m with { Heads = 1 }, t)),
        new("pre-fusion", "ablation: heads averaged before one cosine instead of fused after scoring",
            (m, t) => (m with { PreFusion = true }, t)),
        new(Bm25, "lexical baseline: BM25 over title, brand and category (k1 1.2, b 0.75) with English analysis (Lucene's stop words and stemming; CJK text as plain bigrams)", null),
        new(Bm25Plain, "BM25 over plain lower-cased words and CJK bigrams (no stop words, no stemming)", null),
        new(Pretrained, "the frozen pretrained text backbone alone, no training: exact cosine of the query vector with each title's vector", null),
        new(Hybrid, "fusion of mmse and bm25, the rule (RRF constant or score weight) chosen on the validation requests", null),
    ];

    /// <summary>The variant called <paramref name="name"/>; an unknown name is an <see cref="MmseInputException"/>.</summary>
    public static ExperimentVariant Get(string name) =>
        All.FirstOrDefault(v => v.Name == name)
        ?? ThrowHelper.Input<ExperimentVariant>($"unknown variant '{name}'; known: {string.Join(", ", All.Select(v => v.Name))}");
}

/// <summary>Settings of an experiment; every variant trains from the same base options.</summary>
public sealed record ExperimentOptions
{
    /// <summary>Variants to run, by name; default all of <see cref="ExperimentVariants.All"/>.</summary>
    public IReadOnlyList<string> Variants { get; init; } = [.. ExperimentVariants.All.Select(v => v.Name)];

    /// <summary>Model settings every trained variant starts from.</summary>
    public ModelOptions Model { get; init; } = ModelOptions.Default;

    /// <summary>Training settings every trained variant starts from.</summary>
    public TrainOptions Train { get; init; } = TrainOptions.Default;

    /// <summary>
    /// BM25 of the <c>bm25</c> row (and the hybrid). Default English analysis; the <c>bm25-plain</c>
    /// row is the same with <see cref="TextAnalysis.Plain"/>.
    /// </summary>
    public Bm25Options Bm25 { get; init; } = new() { Analysis = TextAnalysis.English };

    /// <summary>
    /// Training seeds per trained variant. Default 1. Run i trains with <see cref="TrainOptions.Seed"/> + i
    /// (sampling, shuffling) and <see cref="ModelOptions.InitSeed"/> + i (weights); run 0 is the
    /// single run. The validation split is the same for every run. Untrained rows run once.
    /// </summary>
    public int Seeds { get; init; } = 1;

    /// <summary>The backbone of the <c>pretrained</c> row ("arctic-xs", "minilm"). Default arctic-xs.</summary>
    public string Backbone { get; init; } = "arctic-xs";

    /// <summary>
    /// The folder of the backbone item-vector cache shared by the <c>pretrained</c> row and every model
    /// with a backbone (<see cref="Mmse.Backbone.BackboneRuntime"/>); null is
    /// <see cref="Mmse.Backbone.BackboneRuntime.DefaultCacheDirectory"/>. Default null.
    /// </summary>
    public string? BackboneCache { get; init; }

    /// <summary>Fusion settings the hybrid tries on the validation requests.</summary>
    public FusionGrid Fusion { get; init; } = new();

    /// <summary>Rounds of the paired randomisation test. Default 10,000.</summary>
    public int RandomizationRounds { get; init; } = 10_000;

    /// <summary>0 for all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Optional query segments of the test requests: trained variants then also get their diagnostics per segment. Default none.</summary>
    public QuerySegments? Segments { get; init; }
}

/// <summary>What an experiment produced: the per-variant results and the trained reference model.</summary>
/// <param name="Results">One result per variant, in report order.</param>
/// <param name="ReferenceModel">The reference variant's model of the first seed, when it ran.</param>
/// <param name="Bm25">The English-analysis BM25 index, when it ran.</param>
/// <param name="Rankings">Each variant's ranked test lists (the first seed's for trained ones), by name.</param>
public sealed record ExperimentOutcome(IReadOnlyList<VariantResult> Results, MmseModel? ReferenceModel, Bm25? Bm25,
    IReadOnlyDictionary<string, int[][]> Rankings);
