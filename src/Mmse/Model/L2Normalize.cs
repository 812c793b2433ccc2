namespace Mmse.Model;

/// <summary>
/// Row-wise L2 normalisation u = y / |y| (a zero row stays zero), forward and backward side by side.
/// The norm is summed in double, so one plain form serves both kernel paths.
/// </summary>
public static class L2Normalize
{
    /// <summary>u[rows, dim] = y / |y| per row; norms [rows] keeps |y| for the backward.</summary>
    public static void Forward(int rows, int dim, ReadOnlySpan<float> y, Span<float> norms, Span<float> u)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = y.Slice(r * dim, dim);
            double sum = 0;
            foreach (var v in row)
                sum += (double)v * v;
            var norm = (float)Math.Sqrt(sum);
            norms[r] = norm;
            var inv = norm > 1e-12f ? 1f / norm : 0f;
            var dest = u.Slice(r * dim, dim);
            for (var i = 0; i < dim; i++)
                dest[i] = row[i] * inv;
        }
    }

    /// <summary>Backward: gradY = (gradU - u (u . gradU)) / |y| per row.</summary>
    public static void Backward(int rows, int dim, ReadOnlySpan<float> u, ReadOnlySpan<float> norms, ReadOnlySpan<float> gradU, Span<float> gradY)
    {
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

    /// <summary>Pre-fusion query: v = mean of the k unit heads [k, dim], then v / |v| into destination [dim]; returns |v|.</summary>
    public static float MeanOfHeads(ReadOnlySpan<float> heads, int k, int dim, Span<float> destination)
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
