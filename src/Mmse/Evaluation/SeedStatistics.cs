namespace Mmse.Evaluation;

/// <summary>Mean and spread of one metric over training seeds.</summary>
/// <param name="Count">Seeds.</param>
/// <param name="Mean">The mean.</param>
/// <param name="Std">Sample standard deviation (n − 1 in the denominator); 0 for one seed.</param>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
public readonly record struct Spread(int Count, double Mean, double Std, double Min, double Max);

/// <summary>A variant against the reference over the same training seeds (seed i of one paired with seed i of the other).</summary>
/// <param name="Seeds">Pairs.</param>
/// <param name="MeanDifference">Mean of (variant − reference) over the seeds.</param>
/// <param name="StdDifference">Sample standard deviation of those differences.</param>
/// <param name="T">The paired t statistic, mean / (std / √n); NaN below 3 seeds.</param>
/// <param name="PValue">Two-sided p-value of the paired t-test (n − 1 degrees of freedom); NaN below 3 seeds.</param>
public readonly record struct SeedComparison(int Seeds, double MeanDifference, double StdDifference, double T, double PValue)
{
    /// <summary>True when the test ran and p &lt; <paramref name="alpha"/>.</summary>
    public bool IsSignificant(double alpha = 0.05) => PValue < alpha;
}

/// <summary>
/// Statistics over training seeds: each variant is trained once per seed, so a metric has one
/// value per seed. The comparison is a paired t-test on the per-seed differences: with 3 seeds a
/// sign-flip test cannot go below p = 0.25, so it could never flag anything, while the t-test
/// can (at the price of assuming roughly normal differences, which seed noise usually is).
/// </summary>
public static class SeedStatistics
{
    /// <summary>Fewest seeds for which <see cref="Compare"/> runs the t-test.</summary>
    public const int MinSeedsForTest = 3;

    /// <summary>Mean, sample standard deviation, min and max of <paramref name="values"/> (at least one).</summary>
    public static Spread Summarize(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
            throw new ArgumentException("at least one value is needed", nameof(values));
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in values)
        {
            sum += v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        var mean = sum / values.Length;
        var squares = 0.0;
        foreach (var v in values)
            squares += (v - mean) * (v - mean);
        var std = values.Length > 1 ? Math.Sqrt(squares / (values.Length - 1)) : 0;
        return new Spread(values.Length, mean, std, min, max);
    }

    /// <summary>The paired comparison of <paramref name="variant"/> with <paramref name="reference"/>, seed by seed.</summary>
    public static SeedComparison Compare(ReadOnlySpan<double> reference, ReadOnlySpan<double> variant)
    {
        if (reference.Length != variant.Length)
            throw new ArgumentException($"'variant':{variant.Length} seeds must equal 'reference':{reference.Length}");
        var n = reference.Length;
        if (n == 0)
            return new SeedComparison(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var differences = new double[n];
        for (var i = 0; i < n; i++)
            differences[i] = variant[i] - reference[i];
        var spread = Summarize(differences);
        if (n < MinSeedsForTest)
            return new SeedComparison(n, spread.Mean, spread.Std, double.NaN, double.NaN);
        if (spread.Std == 0)
        {
            // Every seed moved by exactly the same amount: no difference at all, or one beyond doubt.
            return spread.Mean == 0
                ? new SeedComparison(n, 0, 0, 0, 1)
                : new SeedComparison(n, spread.Mean, 0, Math.CopySign(double.PositiveInfinity, spread.Mean), 0);
        }
        var t = spread.Mean / (spread.Std / Math.Sqrt(n));
        return new SeedComparison(n, spread.Mean, spread.Std, t, StudentTwoSided(t, n - 1));
    }

    /// <summary>
    /// Two-sided tail probability P(|T| ≥ |t|) of Student's t with <paramref name="degrees"/> degrees
    /// of freedom: the regularised incomplete beta I_x(ν/2, 1/2) at x = ν / (ν + t²).
    /// </summary>
    public static double StudentTwoSided(double t, double degrees)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(degrees, 0);
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsInfinity(t)) return 0;
        return RegularizedBeta(degrees / (degrees + t * t), degrees / 2, 0.5);
    }

    /// <summary>I_x(a, b) by the continued fraction of Numerical Recipes (§6.4), using the symmetry when x is large.</summary>
    internal static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        var front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        return x < (a + 1) / (a + b + 2)
            ? front * BetaFraction(x, a, b) / a
            : 1 - front * BetaFraction(1 - x, b, a) / b;
    }

    // Lentz's method for the continued fraction of the incomplete beta function.
    private static double BetaFraction(double x, double a, double b)
    {
        const double tiny = 1e-300;
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - qab * x / qap;
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        var h = d;
        for (var m = 1; m <= 300; m++)
        {
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15) break;
        }
        return h;
    }

    // Lanczos approximation (g = 7, 9 terms): about 15 significant digits for positive arguments.
    private static double LogGamma(double x)
    {
        ReadOnlySpan<double> g =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5)
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        var sum = g[0];
        for (var i = 1; i < g.Length; i++)
            sum += g[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
