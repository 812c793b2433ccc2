using Mmse.Numerics;

namespace Mmse.Model;

/// <summary>
/// The weights: one hashed embedding table shared by both towers, and the dense layers of the
/// query tower and the item tower (dense weights are [in, out], row-major). With a backbone
/// (<see cref="ModelOptions.HasBackbone"/>) each tower is one residual adapter instead
/// (<see cref="AdapterTowers"/>): query.w [D+E, K*D], query.b [K*D], item.w [D+F*E, D], item.b [D].
/// </summary>
public sealed class ModelParameters
{
    public ModelParameters(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var e = options.EmbeddingDim;
        var h = options.Hidden;
        var fields = options.ItemFields.Count;
        Embedding = new float[(long)options.Buckets * e];
        if (options.HasBackbone)
        {
            int d = options.Dim, kd = options.Heads * d;
            Dense = [new float[(d + e) * kd], new float[kd], new float[(d + fields * e) * d], new float[d]];
            return;
        }
        Dense =
        [
            new float[e * h], new float[h], new float[h * options.Heads * options.Dim], new float[options.Heads * options.Dim],
            new float[fields * e * h], new float[h], new float[h * options.Dim], new float[options.Dim],
        ];
    }

    /// <summary>Names of the dense groups, in the order of <see cref="Dense"/>.</summary>
    public static readonly IReadOnlyList<string> DenseNames =
        ["query.w1", "query.b1", "query.w2", "query.b2", "item.w1", "item.b1", "item.w2", "item.b2"];

    /// <summary>Names of the dense groups of a backbone model, in the order of <see cref="Dense"/>.</summary>
    public static readonly IReadOnlyList<string> AdapterNames = ["query.w", "query.b", "item.w", "item.b"];

    /// <summary>[buckets, E]</summary>
    public float[] Embedding { get; }

    /// <summary>query.w1 [E, H], query.b1 [H], query.w2 [H, K*d], query.b2 [K*d], item.w1 [F*E, H], item.b1 [H], item.w2 [H, d], item.b2 [d].</summary>
    public float[][] Dense { get; }

    public float[] QueryW1 => Dense[0];
    public float[] QueryB1 => Dense[1];
    public float[] QueryW2 => Dense[2];
    public float[] QueryB2 => Dense[3];
    public float[] ItemW1 => Dense[4];
    public float[] ItemB1 => Dense[5];
    public float[] ItemW2 => Dense[6];
    public float[] ItemB2 => Dense[7];

    /// <summary>Embeddings N(0, std); dense weights Glorot-uniform; biases zero. Seeded. With a backbone, see <see cref="InitializeAdapters"/>.</summary>
    public void Initialize(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rng = new Rng(options.InitSeed, 11);
        if (options.HasBackbone)
        {
            InitializeAdapters(options, rng);
            return;
        }
        var std = options.EmbeddingInitStd;
        for (var i = 0; i < Embedding.Length; i++)
            Embedding[i] = (float)(rng.NextGaussian() * std);
        var e = options.EmbeddingDim;
        var h = options.Hidden;
        Glorot(QueryW1, e, h, rng);
        Glorot(QueryW2, h, options.Heads * options.Dim, rng);
        Glorot(ItemW1, options.ItemFields.Count * e, h, rng);
        Glorot(ItemW2, h, options.Dim, rng);
        // A small positive hidden bias keeps ReLUs alive at the start, when mean embeddings are tiny.
        Array.Fill(QueryB1, 0.01f);
        Array.Fill(ItemB1, 0.01f);
    }

    /// <summary>
    /// Adapters start near the identity: the backbone rows of query.w small N(0, 0.01) (so the K
    /// heads differ), the item's zero; the token rows Glorot-uniform over zero embeddings (the
    /// embedding init std is not used), so the first scores are the backbone's own and the tokens'
    /// gradient flows from the first step.
    /// </summary>
    private void InitializeAdapters(ModelOptions options, Rng rng)
    {
        int d = options.Dim, e = options.EmbeddingDim, kd = options.Heads * d, fe = options.ItemFields.Count * e;
        var qw = Dense[0];
        for (var i = 0; i < d * kd; i++)
            qw[i] = (float)(rng.NextGaussian() * 0.01);
        Glorot(qw.AsSpan(d * kd), e, d, rng);
        Glorot(Dense[2].AsSpan(d * d), fe, d, rng);
    }

    private static void Glorot(Span<float> w, int fanIn, int fanOut, Rng rng)
    {
        var limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        for (var i = 0; i < w.Length; i++)
            w[i] = (float)((rng.NextDouble() * 2 - 1) * limit);
    }

    private static void Glorot(float[] w, int fanIn, int fanOut, Rng rng)
    {
        var limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        for (var i = 0; i < w.Length; i++)
            w[i] = (float)((rng.NextDouble() * 2 - 1) * limit);
    }

    public void CopyTo(ModelParameters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Embedding.CopyTo(other.Embedding, 0);
        for (var g = 0; g < Dense.Length; g++)
            Dense[g].CopyTo(other.Dense[g], 0);
    }
}
