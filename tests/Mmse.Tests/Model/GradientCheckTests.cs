using Mmse.Data;
using Mmse.Model;
using Mmse.Numerics;
using Mmse.Tests.Fixtures;
using Mmse.Training;

namespace Mmse.Tests.Model;

/// <summary>Analytic gradients against central finite differences, for every parameter group, loss and variant.</summary>
public class GradientCheckTests
{
    private static readonly MarketFixture s_market = new(items: 40, trainRequests: 30, testRequests: 1, seed: 5, displayed: 8);

    internal sealed record Setup(ModelOptions Model, TrainOptions Train, RetrievalLossKind Kind, ModelParameters Parameters,
        CatalogTokens Tokens, TrainingBatch Batch);

    internal static Setup Build(TrainOptions train, ModelOptions? model = null, int batchSize = 6)
    {
        model ??= new ModelOptions { Buckets = 97, EmbeddingDim = 4, Hidden = 6, Heads = 2, Dim = 3, Beta = 0.5f };
        var (mo, to, kind) = train.Resolve(model);
        var parameters = new ModelParameters(mo);
        parameters.Initialize(mo with { EmbeddingInitStd = 0.5f });
        var catalog = s_market.Catalog;
        var tokenizer = new Mmse.Text.HashedTokenizer(mo.Tokenizer);
        var tokens = CatalogTokens.Build(catalog, tokenizer, mo.ItemFields, 1);
        var mined = MultiStageMiner.Mine(s_market.Train);
        float[]? itemBackbone = null, queryBackbone = null;
        if (mo.HasBackbone)
        {
            // Random stand-ins for the frozen vectors (the engine never looks inside them), and a
            // random token table and item adapter, so no gradient is zero by construction.
            var vrng = new Rng(29);
            itemBackbone = RandomRows(catalog.Count, mo.Dim, vrng);
            queryBackbone = RandomRows(mined.Count, mo.Dim, vrng);
            tokens = tokens.WithBackbone(itemBackbone);
            for (var i = 0; i < parameters.Embedding.Length; i++)
                parameters.Embedding[i] = (float)(vrng.NextGaussian() * 0.5);
            for (var i = 0; i < mo.Dim * mo.Dim; i++)
                parameters.Dense[2][i] = (float)(vrng.NextGaussian() * 0.05);
        }
        var qOffsets = new int[mined.Count + 1];
        var qTokens = new List<int>();
        for (var r = 0; r < mined.Count; r++)
        {
            tokenizer.AddBuckets(mined.Queries[r], "query", qTokens);
            qOffsets[r + 1] = qTokens.Count;
        }
        var popularity = new float[catalog.Count];
        for (var i = 0; i < popularity.Length; i++)
            popularity[i] = 0.01f * (1 + i % 5);
        var sampler = new BatchSampler(catalog, mined, qOffsets, [.. qTokens], popularity, to, tokenizer, queryBackbone, itemBackbone, mo.Dim);
        var batch = new TrainingBatch();
        // Log requests plus one pseudo-request (catalog stage).
        int[] ids = [.. Enumerable.Range(0, batchSize - 1), -1 - 3];
        sampler.Fill(batch, ids, new Rng(17), [], []);
        return new Setup(mo, to, kind, parameters, tokens, batch);
    }

    private static float[] RandomRows(int rows, int dim, Rng rng)
    {
        var v = new float[rows * dim];
        for (var i = 0; i < v.Length; i++)
            v[i] = (float)rng.NextGaussian();
        for (var r = 0; r < rows; r++)
        {
            var row = v.AsSpan(r * dim, dim);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, System.Numerics.Tensors.TensorPrimitives.Norm(row), row);
        }
        return v;
    }

    public static IEnumerable<object[]> Configurations()
    {
        var small = new TrainOptions { RandomNegatives = 5, MaxUnclicked = 3, MaxRandomInList = 3, Temperature = 0.5f };
        yield return ["mmse", small];
        yield return ["mmse retrieval only", small with { NoRanking = true }];
        yield return ["mmse ranking only", small with { NoRetrieval = true }];
        yield return ["two-tower", small with { Variant = ModelVariant.TwoTower }];
        yield return ["dpsr", small with { Variant = ModelVariant.Dpsr, HingeMargin = 2f }];
        yield return ["amazon3", small with { Variant = ModelVariant.Amazon3, ThresholdPositive = 2f, ThresholdExposed = -2f, ThresholdRandom = -2f }];
        yield return ["unclicked in softmax", small with { UnclickedInSoftmax = true }];
        yield return ["unclicked weak positives", small with { WeightUnclicked = 0.3f }];
        yield return ["no unclicked", small with { NoUnclicked = true }];
        yield return ["order+click merged", small with { MergeOrderClick = true }];
        yield return ["logQ", small with { LogQ = true }];
        yield return ["pre-fusion", small with { RankingMargin = 5f }];
        yield return ["K=1", small with { RankingMargin = 5f }];
        yield return ["backbone mmse", small with { RankingMargin = 5f }];
        yield return ["backbone two-tower", small with { Variant = ModelVariant.TwoTower }];
        yield return ["backbone pre-fusion", small with { RankingMargin = 5f }];
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Analytic_gradients_match_central_differences(string name, TrainOptions train)
    {
        ModelOptions? model = null;
        var baseModel = new ModelOptions { Buckets = 97, EmbeddingDim = 4, Hidden = 6, Heads = 2, Dim = 3, Beta = 0.5f };
        if (name == "pre-fusion") model = baseModel with { PreFusion = true };
        if (name == "K=1") model = baseModel with { Heads = 1 };
        if (name.StartsWith("backbone", StringComparison.Ordinal)) model = baseModel with { Backbone = "minilm", PreFusion = name.EndsWith("pre-fusion", StringComparison.Ordinal) };
        // Margins and thresholds are set so every hinge stays active: the loss is smooth where we probe it.
        if (name is "mmse" or "mmse ranking only" or "unclicked in softmax" or "unclicked weak positives" or "no unclicked" or "order+click merged" or "logQ")
            train = train with { RankingMargin = 5f };
        var s = Build(train, model);
        var engine = new TrainingEngine<ReferencePath>(s.Parameters, s.Model, s.Tokens, s.Train, s.Kind, threads: 1);
        var grads = new ModelGradients(s.Parameters, s.Model);
        var terms = engine.ForwardBackward(s.Batch, grads);
        Assert.True(terms.Total > 0, $"{name}: the loss must be active");

        const float eps = 1e-3f;
        double Loss() => engine.Forward(s.Batch).Total;
        var rng = new Rng(23);
        int checkedCount = 0, kinks = 0;
        var center = Loss();
        void Check(float[] values, int index, float analytic, string group)
        {
            var keep = values[index];
            values[index] = keep + eps;
            var up = Loss();
            values[index] = keep - eps;
            var down = Loss();
            values[index] = keep;
            // A ReLU or hinge kink inside [-eps, eps] makes the one-sided slopes disagree: skip it, but count it.
            double forward = (up - center) / eps, backward = (center - down) / eps;
            if (Math.Abs(forward - backward) > 0.05 * Math.Max(Math.Abs(forward), Math.Abs(backward)) + 2e-2)
            {
                kinks++;
                return;
            }
            var numeric = (up - down) / (2 * eps);
            var tolerance = 1e-3 + 0.03 * Math.Max(Math.Abs(numeric), Math.Abs(analytic));
            Assert.True(Math.Abs(numeric - analytic) <= tolerance,
                $"{name}: {group}[{index}] analytic {analytic:G6} numeric {numeric:G6}");
            checkedCount++;
        }

        for (var g = 0; g < s.Parameters.Dense.Length; g++)
        {
            var values = s.Parameters.Dense[g];
            var grad = (float[])grads.Dense[g].Clone();
            Assert.Contains(grad, v => v != 0);
            // Wide adapters (D = 384) have many tiny entries: probe the largest gradients there, so a
            // wrong one cannot hide under the absolute tolerance.
            var largest = s.Model.HasBackbone
                ? Enumerable.Range(0, grad.Length).OrderByDescending(i => Math.Abs(grad[i])).Take(12).ToArray()
                : null;
            for (var probe = 0; probe < Math.Min(12, values.Length); probe++)
            {
                var i = largest is not null ? largest[probe] : values.Length <= 12 ? probe : rng.Next(values.Length);
                Check(values, i, grad[i], (s.Model.HasBackbone ? ModelParameters.AdapterNames : ModelParameters.DenseNames)[g]);
            }
        }
        var e = s.Model.EmbeddingDim;
        var rows = Enumerable.Range(0, grads.Embedding.Count).Select(slot => (Row: grads.Embedding.RowAt(slot), Grad: grads.Embedding.Values(slot).ToArray())).ToList();
        Assert.NotEmpty(rows);
        for (var probe = 0; probe < Math.Min(10, rows.Count); probe++)
        {
            var (row, grad) = rows[rng.Next(rows.Count)];
            var c = rng.Next(e);
            Check(s.Parameters.Embedding, row * e + c, grad[c], $"embedding row {row}");
        }
        // 12 probes per dense group (8 groups, or the adapters' 4) and 10 embedding entries.
        Assert.True(checkedCount >= (s.Model.HasBackbone ? 50 : 70) && kinks <= checkedCount / 5, $"{name}: {checkedCount} checked, {kinks} kinks skipped");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Fast_engine_equals_reference_engine(string name, TrainOptions train)
    {
        ModelOptions model = new() { Buckets = 97, EmbeddingDim = 20, Hidden = 19, Heads = name == "K=1" ? 1 : name is "mmse" or "logQ" or "dpsr" ? 2 : 3, Dim = 17, Beta = 0.3f, PreFusion = name.EndsWith("pre-fusion", StringComparison.Ordinal) };
        if (name.StartsWith("backbone", StringComparison.Ordinal)) model = model with { Backbone = "arctic-xs" };
        var s = Build(train, model, batchSize: 12);
        var reference = new TrainingEngine<ReferencePath>(s.Parameters, s.Model, s.Tokens, s.Train, s.Kind, threads: 1);
        var fast = new TrainingEngine<FastPath>(s.Parameters, s.Model, s.Tokens, s.Train, s.Kind, threads: 2);
        var gRef = new ModelGradients(s.Parameters, s.Model);
        var gFast = new ModelGradients(s.Parameters, s.Model);
        var tRef = reference.ForwardBackward(s.Batch, gRef);
        var tFast = fast.ForwardBackward(s.Batch, gFast);
        Assert.True(Math.Abs(tRef.Total - tFast.Total) <= 1e-4 * (1 + Math.Abs(tRef.Total)), $"{name}: {tRef} vs {tFast}");
        for (var g = 0; g < gRef.Dense.Length; g++)
        {
            var scale = gRef.Dense[g].Max(Math.Abs) + 1e-6f;
            for (var i = 0; i < gRef.Dense[g].Length; i++)
                Assert.True(Math.Abs(gRef.Dense[g][i] - gFast.Dense[g][i]) <= 1e-3f * scale, $"{name}: dense group {g} [{i}]");
        }
        Assert.Equal(gRef.Embedding.Count, gFast.Embedding.Count);
        for (var slot = 0; slot < gRef.Embedding.Count; slot++)
        {
            Assert.Equal(gRef.Embedding.RowAt(slot), gFast.Embedding.RowAt(slot));
            var a = gRef.Embedding.Values(slot);
            var b = gFast.Embedding.Values(slot);
            for (var i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-3f * (1e-3f + Math.Abs(a[i])) + 1e-6f, $"{name}: embedding slot {slot}");
        }
    }
}
