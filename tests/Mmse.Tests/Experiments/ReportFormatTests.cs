using System.Text;
using Mmse.Evaluation;
using Mmse.Experiments;

namespace Mmse.Tests.Experiments;

public class ReportFormatTests
{
    [Fact]
    public void Comparison_shows_sign_difference_p_value_and_dagger()
    {
        var better = new PairedComparison(10, 0.5, 0.5123, 0.0004, 0, 0);
        Assert.Equal(" (+0.0123, p=<0.001 †)", ReportFormat.Comparison(better));
        var worse = new PairedComparison(10, 0.5, 0.45, 0.2, 0, 0);
        Assert.Equal(" (−0.0500, p=0.200)", ReportFormat.Comparison(worse));
    }

    [Fact]
    public void Numbers_use_four_decimals_and_a_dash_for_missing_diagnostics()
    {
        Assert.Equal("0.1235", ReportFormat.Metric(0.123456));
        Assert.Equal("–", ReportFormat.Diagnostic(double.NaN));
        Assert.Equal("1.0000", ReportFormat.Diagnostic(1));
        Assert.Equal(0.123457, ReportFormat.Round(0.1234567));
        Assert.Equal(0, ReportFormat.Round(double.PositiveInfinity));
    }

    [Fact]
    public void Tables_have_a_header_a_separator_and_rows()
    {
        var md = new StringBuilder();
        ReportFormat.Header(md, ["variant", "mrr"]);
        ReportFormat.Row(md, ["mmse", "0.5000"]);
        Assert.Equal("| variant | mrr |\n| --- | --- |\n| mmse | 0.5000 |\n", md.ToString().ReplaceLineEndings("\n"));
    }
}
