namespace Mmse.Tests.Internals;

public class ProgressReporterTests
{
    [Fact]
    public void First_report_draws_and_later_ones_are_throttled()
    {
        var output = new StringWriter();
        var progress = new ProgressReporter(output, interactive: false, lineInterval: TimeSpan.FromHours(1));
        progress.Start("reading x");
        progress.Report(1, 10); // drawn: nothing was drawn before (this used to overflow TimeSpan)
        progress.Report(2, 10); // throttled
        progress.Report(10, 10); // the end is always drawn
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("reading x  10.0%", lines[0]);
        Assert.StartsWith("reading x 100.0%", lines[1]);
    }
}
