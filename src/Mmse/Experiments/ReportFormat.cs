using System.Globalization;
using System.Text;
using Mmse.Evaluation;

namespace Mmse.Experiments;

/// <summary>
/// The number and table formats that report.md and results.json use in every section (the
/// variants, the truth, the diagnostics and the per-segment tables), kept in one place so the
/// sections cannot drift apart.
/// </summary>
internal static class ReportFormat
{
    /// <summary>A metric as the tables print it: four decimals.</summary>
    public static string Metric(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>A diagnostic: four decimals, or "–" where it does not apply (NaN).</summary>
    public static string Diagnostic(double value) => double.IsNaN(value) ? "–" : Metric(value);

    /// <summary>" (+0.0123, p=0.004 †)": the difference to the reference, its p-value and † when significant.</summary>
    public static string Comparison(PairedComparison test)
    {
        var sign = test.Difference >= 0 ? "+" : "−";
        var p = test.PValue < 0.001 ? "<0.001" : test.PValue.ToString("0.000", CultureInfo.InvariantCulture);
        return $" ({sign}{Metric(Math.Abs(test.Difference))}, p={p}{(test.IsSignificant() ? " †" : "")})";
    }

    /// <summary>A number for results.json: six decimals; NaN and infinities become 0.</summary>
    public static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 6) : 0;

    /// <summary>The diagnostics that apply (finite), by name, for results.json.</summary>
    public static Dictionary<string, double> DiagnosticsJson(ModelDiagnostics diagnostics) =>
        ModelDiagnostics.Names.Zip(diagnostics.Values).Where(p => double.IsFinite(p.Second)).ToDictionary(p => p.First, p => Round(p.Second));

    /// <summary>A markdown table's header row and its separator row.</summary>
    public static void Header(StringBuilder md, IReadOnlyCollection<string> columns)
    {
        Row(md, columns);
        md.AppendLine("|" + string.Concat(Enumerable.Repeat(" --- |", columns.Count)));
    }

    /// <summary>One markdown table row.</summary>
    public static void Row(StringBuilder md, IEnumerable<string> cells) =>
        md.AppendLine("| " + string.Join(" | ", cells) + " |");
}
