using Mmse.Numerics;

namespace Mmse.Model;

/// <summary>
/// The towers of a model with a backbone (docs/model.md, "Backbone"): each is one residual adapter over the
/// frozen backbone vector b of the text (D wide) and the mean hashed-token embeddings x (E wide per
/// field), y = b + [b, x] W + c, then L2 per head. The query tower has K heads (W [D+E, K*D]); the
/// item tower one (W [D+F*E, D]). The backbone gets no gradient; W, c and the token table do.
/// Forward and backward side by side, reference or fast kernels by <c>TPath</c>; activations live in
/// <see cref="TowerActivations"/> (QX/IX hold the inputs [b, x], QY/IY the sums before normalising).
/// </summary>
public static class AdapterTowers
{
    /// <summary>Query heads of rows whose backbone vectors are backbone[rows, D] and tokens the CSR (offsets, tokens, bags).</summary>
    public static void QueryForward<TPath>(ModelParameters p, ModelOptions o, int rows, int[] offsets, int[] tokens, int[] bags,
        ReadOnlySpan<float> backbone, TowerActivations a, int threads)
        where TPath : struct, IKernelPath
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(a);
        int d = o.Dim, e = o.EmbeddingDim, width = d + e, kd = o.Heads * d;
        if (backbone.Length < rows * d)
            throw new ArgumentException($"'backbone':{backbone.Length} must hold rows x D = {rows * d}", nameof(backbone));
        TowerActivations.Ensure(ref a.QX, (long)rows * width);
        TowerActivations.Ensure(ref a.QY, (long)rows * kd);
        TowerActivations.Ensure(ref a.QNorm, (long)rows * o.Heads);
        TowerActivations.Ensure(ref a.Q, (long)rows * kd);
        for (var r = 0; r < rows; r++)
            backbone.Slice(r * d, d).CopyTo(a.QX.AsSpan(r * width, d));
        MeanBag.Forward<TPath>(p.Embedding, e, offsets, tokens, bags, rows, a.QX, width, d, threads);
        DenseLayer.Forward<TPath>(rows, width, kd, a.QX, p.Dense[0], p.Dense[1], a.QY, relu: false, threads);
        AddResidual(a.QY, a.QX, rows, o.Heads, d, width);
        L2Normalize.Forward(rows * o.Heads, d, a.QY, a.QNorm, a.Q);
    }

    /// <summary>Item vectors of items[0..rows]: backbone rows from <see cref="CatalogTokens.Backbone"/>, tokens per field.</summary>
    public static void ItemForward<TPath>(ModelParameters p, ModelOptions o, CatalogTokens ct, int rows, int[] items,
        TowerActivations a, int threads)
        where TPath : struct, IKernelPath
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(ct);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(a);
        var backbone = ct.Backbone ?? throw new ArgumentException("the catalog tokens carry no backbone vectors (CatalogTokens.WithBackbone)", nameof(ct));
        int d = o.Dim, e = o.EmbeddingDim, width = d + ct.Fields * e;
        TowerActivations.Ensure(ref a.IX, (long)rows * width);
        TowerActivations.Ensure(ref a.IY, (long)rows * d);
        TowerActivations.Ensure(ref a.INorm, rows);
        TowerActivations.Ensure(ref a.I, (long)rows * d);
        for (var r = 0; r < rows; r++)
            backbone.AsSpan(items[r] * d, d).CopyTo(a.IX.AsSpan(r * width, d));
        for (var f = 0; f < ct.Fields; f++)
            MeanBag.Forward<TPath>(p.Embedding, e, ct.Offsets[f], ct.Tokens[f], items, rows, a.IX, width, d + f * e, threads);
        DenseLayer.Forward<TPath>(rows, width, d, a.IX, p.Dense[2], p.Dense[3], a.IY, relu: false, threads);
        AddResidual(a.IY, a.IX, rows, 1, d, width);
        L2Normalize.Forward(rows, d, a.IY, a.INorm, a.I);
    }

    /// <summary>
    /// Backward of <see cref="QueryForward{TPath}"/> from gradQ [rows, K*D] (the unit heads): fills
    /// grads.Dense[0..1] and adds the token rows' gradients. gradY and gradX are scratch.
    /// </summary>
    public static void QueryBackward<TPath>(ModelParameters p, ModelOptions o, int rows, ReadOnlySpan<int> offsets, ReadOnlySpan<int> tokens,
        ReadOnlySpan<int> bags, TowerActivations a, float[] gradQ, ref float[] gradY, ref float[] gradX, ref float[] transposed,
        float[][] gradDense, SparseRows gradTable, int threads)
        where TPath : struct, IKernelPath
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(gradDense);
        int d = o.Dim, e = o.EmbeddingDim, width = d + e, kd = o.Heads * d;
        TowerActivations.Ensure(ref gradY, (long)rows * kd);
        TowerActivations.Ensure(ref gradX, (long)rows * width);
        L2Normalize.Backward(rows * o.Heads, d, a.Q, a.QNorm, gradQ, gradY);
        DenseLayer.Backward<TPath>(rows, width, kd, a.QX, p.Dense[0], gradY, gradDense[0], gradDense[1], gradX, reluOnInput: false, ref transposed, threads);
        MeanBag.Backward<TPath>(gradX, width, d, e, offsets, tokens, bags, gradTable);
    }

    /// <summary>Backward of <see cref="ItemForward{TPath}"/> from gradI [rows, D]: fills grads.Dense[2..3] and adds the token rows' gradients.</summary>
    public static void ItemBackward<TPath>(ModelParameters p, ModelOptions o, CatalogTokens ct, int rows, ReadOnlySpan<int> items,
        TowerActivations a, float[] gradI, ref float[] gradY, ref float[] gradX, ref float[] transposed,
        float[][] gradDense, SparseRows gradTable, int threads)
        where TPath : struct, IKernelPath
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(ct);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(gradDense);
        int d = o.Dim, e = o.EmbeddingDim, width = d + ct.Fields * e;
        TowerActivations.Ensure(ref gradY, (long)rows * d);
        TowerActivations.Ensure(ref gradX, (long)rows * width);
        L2Normalize.Backward(rows, d, a.I, a.INorm, gradI, gradY);
        DenseLayer.Backward<TPath>(rows, width, d, a.IX, p.Dense[2], gradY, gradDense[2], gradDense[3], gradX, reluOnInput: false, ref transposed, threads);
        for (var f = 0; f < ct.Fields; f++)
            MeanBag.Backward<TPath>(gradX, width, d + f * e, e, ct.Offsets[f], ct.Tokens[f], items, gradTable);
    }

    /// <summary>
    /// One query on the scratch of <see cref="QueryScratch"/>: x = [backbone, mean of the tokens],
    /// then the same sums as a row of <see cref="QueryForward{TPath}"/>, unit heads into scratch.Q.
    /// </summary>
    internal static void QueryRow(ModelParameters p, ModelOptions o, ReadOnlySpan<float> backbone, int tokens, QueryScratch scratch)
    {
        int d = o.Dim, e = o.EmbeddingDim, width = d + e, kd = o.Heads * d;
        QueryScratch.Ensure(ref scratch.X, width);
        QueryScratch.Ensure(ref scratch.Y, kd);
        QueryScratch.Ensure(ref scratch.Norms, o.Heads);
        QueryScratch.Ensure(ref scratch.Q, kd);
        backbone[..d].CopyTo(scratch.X);
        MeanBag.Forward(p.Embedding, e, scratch.Tokens.AsSpan(0, tokens), scratch.X.AsSpan(d, e));
        DenseLayer.Forward<FastPath>(scratch.X.AsSpan(0, width), p.Dense[0], p.Dense[1], scratch.Y.AsSpan(0, kd), relu: false);
        AddResidual(scratch.Y, scratch.X, 1, o.Heads, d, width);
        L2Normalize.Forward(o.Heads, d, scratch.Y, scratch.Norms, scratch.Q);
    }

    /// <summary>y[r, k*D + j] += x[r*width + j]: the backbone vector added to each head (the residual).</summary>
    private static void AddResidual(float[] y, float[] x, int rows, int heads, int d, int width)
    {
        for (var r = 0; r < rows; r++)
        {
            var b = x.AsSpan(r * width, d);
            for (var k = 0; k < heads; k++)
                System.Numerics.Tensors.TensorPrimitives.Add(y.AsSpan((r * heads + k) * d, d), b, y.AsSpan((r * heads + k) * d, d));
        }
    }
}
