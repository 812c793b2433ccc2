namespace Mmse.Evaluation;

/// <summary>The outcome of a paired test of variant B against variant A on the same requests.</summary>
/// <param name="Pairs">Requests where both values are defined.</param>
/// <param name="MeanA">Mean of A over those requests.</param>
/// <param name="MeanB">Mean of B over those requests.</param>
/// <param name="PValue">Two-sided p-value of the paired randomisation test.</param>
/// <param name="CiLow">Lower end of the 95% paired-bootstrap interval of mean(B - A).</param>
/// <param name="CiHigh">Upper end of that interval.</param>
public readonly record struct PairedComparison(int Pairs, double MeanA, double MeanB, double PValue, double CiLow, double CiHigh)
{
    public double Difference => MeanB - MeanA;

    public bool IsSignificant(double alpha = 0.05) => PValue < alpha;
}

/// <summary>
/// Paired significance tests over per-request metric values (Smucker, Allan and Carterette,
/// "A comparison of statistical significance tests for IR evaluation", CIKM 2007: the
/// randomisation test is the recommended one). Requests where either value is NaN (the metric
/// is undefined for that request) are left out of the pair.
/// </summary>
public static class Significance
{
    /// <summary>
    /// Two-sided paired randomisation (sign-flip) test of mean(b - a) with <paramref name="rounds"/>
    /// random relabellings, and a 95% paired bootstrap interval of the same difference. Seeded.
    /// </summary>
    public static PairedComparison Compare(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int rounds = 10_000, int seed = 1)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"'b':{b.Length} must equal 'a':{a.Length} (the same requests)");
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var diffs = new List<double>(a.Length);
        double sumA = 0, sumB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) || double.IsNaN(b[i])) continue;
            diffs.Add(b[i] - a[i]);
            sumA += a[i];
            sumB += b[i];
        }
        var n = diffs.Count;
        if (n == 0)
            return new PairedComparison(0, double.NaN, double.NaN, 1, double.NaN, double.NaN);
        var d = diffs.ToArray();
        var observed = Math.Abs(Sum(d));
        var rng = new Random(seed);
        var atLeast = 0;
        // A tiny epsilon so floating-point noise in the permuted sum does not undercount ties.
        var threshold = observed - 1e-12 * Math.Max(1, observed);
        for (var round = 0; round < rounds; round++)
        {
            double s = 0;
            for (var i = 0; i < n; i++)
                s += (rng.Next() & 1) == 0 ? d[i] : -d[i];
            if (Math.Abs(s) >= threshold) atLeast++;
        }
        var p = (atLeast + 1.0) / (rounds + 1.0);

        var means = new double[Math.Min(rounds, 2000)];
        for (var round = 0; round < means.Length; round++)
        {
            double s = 0;
            for (var i = 0; i < n; i++)
                s += d[rng.Next(n)];
            means[round] = s / n;
        }
        Array.Sort(means);
        var low = means[(int)Math.Floor(0.025 * (means.Length - 1))];
        var high = means[(int)Math.Ceiling(0.975 * (means.Length - 1))];
        return new PairedComparison(n, sumA / n, sumB / n, p, low, high);
    }

    private static double Sum(double[] values)
    {
        double s = 0;
        foreach (var v in values) s += v;
        return s;
    }
}
