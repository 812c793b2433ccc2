using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Training;

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
