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

/// <summary>Forward passes of the two towers (DESIGN §4), fast or plain-reference kernels.</summary>
public static class Towers
{
    /// <summary>Query tower over bags[0..rows] of a token CSR: mean embedding -> dense H ReLU -> dense K*d -> per-head L2.</summary>
    public static void QueryForward(ModelParameters p, ModelOptions o, int rows, int[] offsets, int[] tokens, int[] bags,
        TowerActivations a, bool reference, int threads)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(a);
        int e = o.EmbeddingDim, h = o.Hidden, kd = o.Heads * o.Dim;
        TowerActivations.Ensure(ref a.QX, (long)rows * e);
        TowerActivations.Ensure(ref a.QH, (long)rows * h);
        TowerActivations.Ensure(ref a.QY, (long)rows * kd);
        TowerActivations.Ensure(ref a.QNorm, (long)rows * o.Heads);
        TowerActivations.Ensure(ref a.Q, (long)rows * kd);
        if (reference)
            EmbeddingBag.ForwardReference(p.Embedding, e, offsets, tokens, bags.AsSpan(0, rows), a.QX, e, 0);
        else
            EmbeddingBag.Forward(p.Embedding, e, offsets, tokens, bags, rows, a.QX, e, 0, threads);
        Dense(rows, e, h, a.QX, p.QueryW1, p.QueryB1, a.QH, relu: true, reference, threads);
        Dense(rows, h, kd, a.QH, p.QueryW2, p.QueryB2, a.QY, relu: false, reference, threads);
        Normalize(rows * o.Heads, o.Dim, a.QY, a.QNorm, a.Q);
    }

    /// <summary>Item tower over items[0..rows]: per-field mean embeddings concatenated -> dense H ReLU -> dense d -> L2.</summary>
    public static void ItemForward(ModelParameters p, ModelOptions o, CatalogTokens ct, int rows, int[] items,
        TowerActivations a, bool reference, int threads)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(ct);
        ArgumentNullException.ThrowIfNull(a);
        int e = o.EmbeddingDim, h = o.Hidden, d = o.Dim, fe = ct.Fields * e;
        TowerActivations.Ensure(ref a.IX, (long)rows * fe);
        TowerActivations.Ensure(ref a.IH, (long)rows * h);
        TowerActivations.Ensure(ref a.IY, (long)rows * d);
        TowerActivations.Ensure(ref a.INorm, rows);
        TowerActivations.Ensure(ref a.I, (long)rows * d);
        for (var f = 0; f < ct.Fields; f++)
        {
            if (reference)
                EmbeddingBag.ForwardReference(p.Embedding, e, ct.Offsets[f], ct.Tokens[f], items.AsSpan(0, rows), a.IX, fe, f * e);
            else
                EmbeddingBag.Forward(p.Embedding, e, ct.Offsets[f], ct.Tokens[f], items, rows, a.IX, fe, f * e, threads);
        }
        Dense(rows, fe, h, a.IX, p.ItemW1, p.ItemB1, a.IH, relu: true, reference, threads);
        Dense(rows, h, d, a.IH, p.ItemW2, p.ItemB2, a.IY, relu: false, reference, threads);
        Normalize(rows, d, a.IY, a.INorm, a.I);
    }

    /// <summary>y[rows, out] = x[rows, in] w[in, out] + b, optionally ReLU.</summary>
    public static void Dense(int rows, int inDim, int outDim, float[] x, float[] w, float[] b, float[] y, bool relu, bool reference, int threads)
    {
        ArgumentNullException.ThrowIfNull(y);
        for (var r = 0; r < rows; r++)
            b.AsSpan(0, outDim).CopyTo(y.AsSpan(r * outDim, outDim));
        if (reference)
            Gemm.Reference(rows, outDim, inDim, x, inDim, 1, w, outDim, y, outDim, accumulate: true);
        else
            Gemm.Multiply(rows, outDim, inDim, x, inDim, 1, w, outDim, y, outDim, accumulate: true, threads);
        if (relu)
        {
            var span = y.AsSpan(0, rows * outDim);
            for (var i = 0; i < span.Length; i++)
                span[i] = MathF.Max(span[i], 0f);
        }
    }

    /// <summary>u = y / |y| per row of length dim (a zero row stays zero).</summary>
    public static void Normalize(int rows, int dim, float[] y, float[] norms, float[] u)
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(norms);
        for (var r = 0; r < rows; r++)
        {
            var row = y.AsSpan(r * dim, dim);
            double sum = 0;
            foreach (var v in row)
                sum += (double)v * v;
            var norm = (float)Math.Sqrt(sum);
            norms[r] = norm;
            var inv = norm > 1e-12f ? 1f / norm : 0f;
            var dest = u.AsSpan(r * dim, dim);
            for (var i = 0; i < dim; i++)
                dest[i] = row[i] * inv;
        }
    }

    /// <summary>Backward of <see cref="Normalize"/>: dy = (du - u (u . du)) / |y|, in place on du into dy.</summary>
    public static void NormalizeBackward(int rows, int dim, float[] u, float[] norms, float[] gradU, float[] gradY)
    {
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(norms);
        ArgumentNullException.ThrowIfNull(gradU);
        ArgumentNullException.ThrowIfNull(gradY);
        for (var r = 0; r < rows; r++)
        {
            var o = r * dim;
            double dot = 0;
            for (var i = 0; i < dim; i++)
                dot += (double)u[o + i] * gradU[o + i];
            var inv = norms[r] > 1e-12f ? 1f / norms[r] : 0f;
            for (var i = 0; i < dim; i++)
                gradY[o + i] = (gradU[o + i] - u[o + i] * (float)dot) * inv;
        }
    }

    /// <summary>Pre-fusion query: v = mean of the K unit heads, then v / |v|. destination [Dim].</summary>
    public static float PreFuse(ReadOnlySpan<float> heads, int k, int dim, Span<float> destination)
    {
        destination[..dim].Clear();
        for (var h = 0; h < k; h++)
        {
            for (var i = 0; i < dim; i++)
                destination[i] += heads[h * dim + i] / k;
        }
        double sum = 0;
        for (var i = 0; i < dim; i++)
            sum += (double)destination[i] * destination[i];
        var norm = (float)Math.Sqrt(sum);
        var inv = norm > 1e-12f ? 1f / norm : 0f;
        for (var i = 0; i < dim; i++)
            destination[i] *= inv;
        return norm;
    }
}
