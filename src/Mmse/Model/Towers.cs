using Mmse.Numerics;

namespace Mmse.Model;

/// <summary>Activations of one batch through both towers, kept for the backward pass. Buffers grow, never shrink.</summary>
public sealed class TowerActivations
{
    public float[] QX = [];    // [rows, E] mean query embedding
    public float[] QH = [];    // [rows, H] after ReLU
    public float[] QY = [];    // [rows, K*d] before normalisation
    public float[] QNorm = []; // [rows*K] head norms
    public float[] Q = [];     // [rows, K, d] unit heads
    public float[] IX = [];    // [rows, F*E] per-field means, concatenated
    public float[] IH = [];    // [rows, H]
    public float[] IY = [];    // [rows, d]
    public float[] INorm = []; // [rows]
    public float[] I = [];     // [rows, d] unit item vectors

    internal static void Ensure(ref float[] buffer, long size)
    {
        if (buffer.Length < size)
            buffer = new float[Math.Max(size, buffer.Length * 3 / 2)];
    }
}

/// <summary>
/// Forward passes of the two towers (DESIGN §4), composed of <see cref="MeanBag"/>,
/// <see cref="DenseLayer"/> and <see cref="L2Normalize"/>; <c>TPath</c> picks reference or fast kernels.
/// The training engine runs the layers' backwards in the reverse order.
/// </summary>
public static class Towers
{
    /// <summary>
    /// Query tower over bags[0..rows] of a token CSR: mean embedding -> dense H ReLU -> dense K*d ->
    /// per-head L2; with a backbone, the adapter over <paramref name="backbone"/> [rows, D] instead
    /// (<see cref="AdapterTowers.QueryForward{TPath}"/>).
    /// </summary>
    public static void QueryForward<TPath>(ModelParameters p, ModelOptions o, int rows, int[] offsets, int[] tokens, int[] bags,
        TowerActivations a, int threads, ReadOnlySpan<float> backbone = default)
        where TPath : struct, IKernelPath
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(a);
        if (o.HasBackbone)
        {
            AdapterTowers.QueryForward<TPath>(p, o, rows, offsets, tokens, bags, backbone, a, threads);
            return;
        }
        int e = o.EmbeddingDim, h = o.Hidden, kd = o.Heads * o.Dim;
        TowerActivations.Ensure(ref a.QX, (long)rows * e);
        TowerActivations.Ensure(ref a.QH, (long)rows * h);
        TowerActivations.Ensure(ref a.QY, (long)rows * kd);
        TowerActivations.Ensure(ref a.QNorm, (long)rows * o.Heads);
        TowerActivations.Ensure(ref a.Q, (long)rows * kd);
        MeanBag.Forward<TPath>(p.Embedding, e, offsets, tokens, bags, rows, a.QX, e, 0, threads);
        DenseLayer.Forward<TPath>(rows, e, h, a.QX, p.QueryW1, p.QueryB1, a.QH, relu: true, threads);
        DenseLayer.Forward<TPath>(rows, h, kd, a.QH, p.QueryW2, p.QueryB2, a.QY, relu: false, threads);
        L2Normalize.Forward(rows * o.Heads, o.Dim, a.QY, a.QNorm, a.Q);
    }

    /// <summary>Item tower over items[0..rows]: per-field mean embeddings concatenated -> dense H ReLU -> dense d -> L2 (with a backbone, <see cref="AdapterTowers.ItemForward{TPath}"/>).</summary>
    public static void ItemForward<TPath>(ModelParameters p, ModelOptions o, CatalogTokens ct, int rows, int[] items,
        TowerActivations a, int threads)
        where TPath : struct, IKernelPath
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(ct);
        ArgumentNullException.ThrowIfNull(a);
        if (o.HasBackbone)
        {
            AdapterTowers.ItemForward<TPath>(p, o, ct, rows, items, a, threads);
            return;
        }
        int e = o.EmbeddingDim, h = o.Hidden, d = o.Dim, fe = ct.Fields * e;
        TowerActivations.Ensure(ref a.IX, (long)rows * fe);
        TowerActivations.Ensure(ref a.IH, (long)rows * h);
        TowerActivations.Ensure(ref a.IY, (long)rows * d);
        TowerActivations.Ensure(ref a.INorm, rows);
        TowerActivations.Ensure(ref a.I, (long)rows * d);
        for (var f = 0; f < ct.Fields; f++)
            MeanBag.Forward<TPath>(p.Embedding, e, ct.Offsets[f], ct.Tokens[f], items, rows, a.IX, fe, f * e, threads);
        DenseLayer.Forward<TPath>(rows, fe, h, a.IX, p.ItemW1, p.ItemB1, a.IH, relu: true, threads);
        DenseLayer.Forward<TPath>(rows, h, d, a.IH, p.ItemW2, p.ItemB2, a.IY, relu: false, threads);
        L2Normalize.Forward(rows, d, a.IY, a.INorm, a.I);
    }

    /// <summary>Pre-fusion query: v = mean of the K unit heads, then v / |v|. destination [Dim]; returns |v|.</summary>
    public static float PreFuse(ReadOnlySpan<float> heads, int k, int dim, Span<float> destination) =>
        L2Normalize.MeanOfHeads(heads, k, dim, destination);
}
