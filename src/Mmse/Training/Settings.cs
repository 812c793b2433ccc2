using System.Globalization;
using System.Text.Json;
using Mmse.Internals;
using Mmse.Model;
using Mmse.Text;

namespace Mmse.Training;

/// <summary>How a setting's value is written.</summary>
public enum SettingKind
{
    Int,
    Float,
    Bool,
    Text,
}

/// <summary>One hyper-parameter: its flag / JSON name, help, and how it updates the options.</summary>
public sealed record Setting(string Name, SettingKind Kind, string Help, Func<ModelOptions, TrainOptions, string, (ModelOptions, TrainOptions)> Apply);

/// <summary>
/// The one mapping from flag names (<c>--tau 0.05</c>) and JSON config keys (<c>{"tau": 0.05}</c>)
/// onto <see cref="ModelOptions"/> and <see cref="TrainOptions"/>. Defaults live in the records.
/// </summary>
public static class Settings
{
    private static int I(string v, string name) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) ? x : ThrowHelper.Input<int>($"'{name}': '{v}' is not a whole number");

    private static float F(string v, string name) =>
        float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && float.IsFinite(x) ? x : ThrowHelper.Input<float>($"'{name}': '{v}' is not a number");

    private static bool B(string v, string name) => v switch
    {
        "true" or "True" or "1" => true,
        "false" or "False" or "0" => false,
        _ => ThrowHelper.Input<bool>($"'{name}': '{v}' is not true or false"),
    };

    private static Setting M(string name, SettingKind kind, string help, Func<ModelOptions, string, ModelOptions> apply) =>
        new(name, kind, help, (m, t, v) => (apply(m, v), t));

    private static Setting T(string name, SettingKind kind, string help, Func<TrainOptions, string, TrainOptions> apply) =>
        new(name, kind, help, (m, t, v) => (m, apply(t, v)));

    public static IReadOnlyList<Setting> All { get; } =
    [
        T("variant", SettingKind.Text, "mmse | two-tower | dpsr | amazon3 (default mmse)", (t, v) => t with { Variant = ParseVariant(v) }),
        M("backbone", SettingKind.Text, "pretrained text encoder under both towers: none | minilm | arctic-xs | arctic-xs-int8 | minilm-int8 (8-bit weights: faster, vectors within cosine 0.99) (default arctic-xs in train and experiment; with one, d is its dimension, 384)",
            (m, v) => m.WithBackbone(v)),
        M("analysis", SettingKind.Text, "word analysis of the hashed tokens: plain | english (stop words, stemming; default plain)", (m, v) => m with
        {
            Analysis = v switch
            {
                "plain" => TextAnalysis.Plain,
                "english" => TextAnalysis.English,
                _ => ThrowHelper.Input<TextAnalysis>($"'analysis': '{v}' is not plain or english"),
            },
        }),
        M("buckets", SettingKind.Int, "hash buckets B (default 1048576)", (m, v) => m with { Buckets = I(v, "buckets") }),
        M("hash-seed", SettingKind.Int, "tokeniser hash seed (default 0)", (m, v) => m with { HashSeed = (ulong)I(v, "hash-seed") }),
        M("field-mixing", SettingKind.Bool, "mix field names into token hashes (default off)", (m, v) => m with { FieldMixing = B(v, "field-mixing") }),
        M("embedding-dim", SettingKind.Int, "embedding dimension E (default 64)", (m, v) => m with { EmbeddingDim = I(v, "embedding-dim") }),
        M("hidden", SettingKind.Int, "hidden layer width of both towers (default 128)", (m, v) => m with { Hidden = I(v, "hidden") }),
        M("heads", SettingKind.Int, "query heads K (default 2)", (m, v) => m with { Heads = I(v, "heads") }),
        M("dim", SettingKind.Int, "output dimension d (default 64)", (m, v) => m with { Dim = I(v, "dim") }),
        M("beta", SettingKind.Float, "post-fusion temperature (default 0.1)", (m, v) => m with { Beta = F(v, "beta") }),
        M("pre-fusion", SettingKind.Bool, "ablation: average heads before one cosine", (m, v) => m with { PreFusion = B(v, "pre-fusion") }),
        M("item-fields", SettingKind.Text, "item fields, comma-separated (default title,brand,category)",
            (m, v) => m with { ItemFields = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) }),
        M("init-std", SettingKind.Float, "embedding init N(0, s) (default 0.1)", (m, v) => m with { EmbeddingInitStd = F(v, "init-std") }),
        M("init-seed", SettingKind.Int, "weight init seed (default 1)", (m, v) => m with { InitSeed = (ulong)I(v, "init-seed") }),
        T("epochs", SettingKind.Int, "passes over the data (default 10)", (t, v) => t with { Epochs = I(v, "epochs") }),
        T("batch-size", SettingKind.Int, "requests per batch (default 256; 128 with a backbone)", (t, v) => t with { BatchSize = I(v, "batch-size") }),
        T("lr", SettingKind.Float, "learning rate (default 0.003; 0.0003 with a backbone)", (t, v) => t with { LearningRate = F(v, "lr") }),
        T("warmup", SettingKind.Int, "warm-up steps (default 100)", (t, v) => t with { WarmupSteps = I(v, "warmup") }),
        T("clip", SettingKind.Float, "gradient-norm clip, 0 = off (default 5)", (t, v) => t with { ClipNorm = F(v, "clip") }),
        T("embedding-optimizer", SettingKind.Text, "lazy-adam | adagrad (default lazy-adam)", (t, v) => t with
        {
            EmbeddingOptimizer = v switch
            {
                "lazy-adam" => EmbeddingOptimizer.LazyAdam,
                "adagrad" => EmbeddingOptimizer.Adagrad,
                _ => ThrowHelper.Input<EmbeddingOptimizer>($"'embedding-optimizer': '{v}' is not lazy-adam or adagrad"),
            },
        }),
        T("tau", SettingKind.Float, "softmax temperature (default 0.05)", (t, v) => t with { Temperature = F(v, "tau") }),
        T("random-negatives", SettingKind.Int, "random items R shared by a batch (default 512)", (t, v) => t with { RandomNegatives = I(v, "random-negatives") }),
        T("max-positives", SettingKind.Int, "positives per request (default 4)", (t, v) => t with { MaxPositives = I(v, "max-positives") }),
        T("weight-order", SettingKind.Float, "softmax weight of orders (default 1)", (t, v) => t with { WeightOrder = F(v, "weight-order") }),
        T("weight-cart", SettingKind.Float, "softmax weight of carts (default 0.75)", (t, v) => t with { WeightCart = F(v, "weight-cart") }),
        T("weight-click", SettingKind.Float, "softmax weight of clicks (default 0.5; 0.25 with a backbone)", (t, v) => t with { WeightClick = F(v, "weight-click") }),
        T("logq", SettingKind.Bool, "logQ correction (default off)", (t, v) => t with { LogQ = B(v, "logq") }),
        T("margin", SettingKind.Float, "ranking margin m0 (default 0.1)", (t, v) => t with { RankingMargin = F(v, "margin") }),
        T("weight-unclicked", SettingKind.Float, "softmax weight of unclicked items as weak positives, 0 = ranking loss only (default 0; 0.1 with a backbone)", (t, v) => t with { WeightUnclicked = F(v, "weight-unclicked") }),
        T("max-unclicked", SettingKind.Int, "unclicked items per ranking list (default 8)", (t, v) => t with { MaxUnclicked = I(v, "max-unclicked") }),
        T("max-random-in-list", SettingKind.Int, "random items per ranking list (default 8)", (t, v) => t with { MaxRandomInList = I(v, "max-random-in-list") }),
        T("lambda", SettingKind.Float, "ranking loss weight (default 1)", (t, v) => t with { RankingWeight = F(v, "lambda") }),
        T("retrieval-weight", SettingKind.Float, "retrieval loss weight (default 1)", (t, v) => t with { RetrievalWeight = F(v, "retrieval-weight") }),
        T("no-ranking", SettingKind.Bool, "ablation: no ranking loss", (t, v) => t with { NoRanking = B(v, "no-ranking") }),
        T("no-retrieval", SettingKind.Bool, "ablation: no retrieval loss", (t, v) => t with { NoRetrieval = B(v, "no-retrieval") }),
        T("no-unclicked", SettingKind.Bool, "ablation: no unclicked level", (t, v) => t with { NoUnclicked = B(v, "no-unclicked") }),
        T("unclicked-in-softmax", SettingKind.Bool, "ablation: unclicked items as softmax negatives", (t, v) => t with { UnclickedInSoftmax = B(v, "unclicked-in-softmax") }),
        T("merge-order-click", SettingKind.Bool, "ablation: orders and clicks one level", (t, v) => t with { MergeOrderClick = B(v, "merge-order-click") }),
        T("merge-same-query", SettingKind.Bool, "merge requests with the same normalised query", (t, v) => t with { MergeSameQuery = B(v, "merge-same-query") }),
        T("no-catalog-stage", SettingKind.Bool, "turn off the catalog stage pseudo-requests (always off with a backbone)", (t, v) => t with { CatalogStage = !B(v, "no-catalog-stage") }),
        T("catalog-stage-factor", SettingKind.Float, "pseudo-requests per usable request (default 2)", (t, v) => t with { CatalogStageFactor = F(v, "catalog-stage-factor") }),
        T("beta-start", SettingKind.Float, "anneal beta from this value to --beta over the first epochs, 0 = off (default 0)", (t, v) => t with { BetaStart = F(v, "beta-start") }),
        T("beta-anneal-epochs", SettingKind.Float, "epochs over which --beta-start decays to --beta (default 1)", (t, v) => t with { BetaAnnealEpochs = F(v, "beta-anneal-epochs") }),
        T("hinge-margin", SettingKind.Float, "dpsr hinge margin (default 0.1)", (t, v) => t with { HingeMargin = F(v, "hinge-margin") }),
        T("threshold-positive", SettingKind.Float, "amazon3: positives above (default 0.9)", (t, v) => t with { ThresholdPositive = F(v, "threshold-positive") }),
        T("threshold-exposed", SettingKind.Float, "amazon3: exposed below (default 0.55)", (t, v) => t with { ThresholdExposed = F(v, "threshold-exposed") }),
        T("threshold-random", SettingKind.Float, "amazon3: random below (default 0.2)", (t, v) => t with { ThresholdRandom = F(v, "threshold-random") }),
        T("valid-share", SettingKind.Float, "held-out share without --valid (default 0.05)", (t, v) => t with { ValidShare = F(v, "valid-share") }),
        T("max-valid", SettingKind.Int, "validation requests per epoch at most (default 2000)", (t, v) => t with { MaxValidRequests = I(v, "max-valid") }),
        T("patience", SettingKind.Int, "early stopping patience in epochs, 0 = off (default 3)", (t, v) => t with { Patience = I(v, "patience") }),
        T("threads", SettingKind.Int, "worker threads, 0 = all cores (default 0)", (t, v) => t with { Threads = I(v, "threads") }),
        T("seed", SettingKind.Int, "seed of sampling and shuffling (default 1)", (t, v) => t with { Seed = (ulong)I(v, "seed") }),
        T("checkpoint", SettingKind.Text, "checkpoint file written after every epoch", (t, v) => t with { CheckpointPath = v }),
        T("resume", SettingKind.Text, "checkpoint to resume from", (t, v) => t with { ResumeFrom = v }),
        T("max-steps", SettingKind.Int, "stop after this many steps, 0 = no limit", (t, v) => t with { MaxSteps = I(v, "max-steps") }),
    ];

    public static ModelVariant ParseVariant(string v) => v switch
    {
        "mmse" => ModelVariant.Mmse,
        "two-tower" => ModelVariant.TwoTower,
        "dpsr" => ModelVariant.Dpsr,
        "amazon3" => ModelVariant.Amazon3,
        _ => ThrowHelper.Input<ModelVariant>($"'variant': '{v}' is not one of mmse, two-tower, dpsr, amazon3"),
    };

    public static Setting? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>Applies one setting by name.</summary>
    public static (ModelOptions, TrainOptions) Apply(ModelOptions model, TrainOptions train, string name, string value)
    {
        var setting = Find(name) ?? ThrowHelper.Input<Setting>($"unknown setting '{name}'");
        return setting.Apply(model, train, value);
    }

    /// <summary>Applies a flat JSON object of settings (same names as the flags).</summary>
    public static (ModelOptions, TrainOptions) ApplyJson(ModelOptions model, TrainOptions train, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowHelper.IfFileMissing(path, "config file");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            doc = ThrowHelper.Input<JsonDocument>($"{path}: not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                ThrowHelper.Input($"{path}: the config must be a JSON object of settings");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                var value = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.Array => string.Join(',', p.Value.EnumerateArray().Select(e => e.ToString())),
                    _ => ThrowHelper.Input<string>($"{path}: field '{p.Name}': unsupported value {p.Value.GetRawText()}"),
                };
                try
                {
                    (model, train) = Apply(model, train, p.Name, value);
                }
                catch (MmseInputException e)
                {
                    ThrowHelper.Input($"{path}: field '{p.Name}': {e.Message}");
                }
            }
        }
        return (model, train);
    }
}
