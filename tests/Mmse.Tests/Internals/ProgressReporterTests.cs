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

    [Fact]
    public void Interactive_progress_draws_a_live_bar_with_the_label_and_detail()
    {
        var output = new StringWriter();
        var progress = new ProgressReporter(output, interactive: true);
        progress.Start("reading x");
        progress.Report(5, 10, "[12 req/s]");
        progress.Report(10, 10, "[12 req/s]"); // the end stops the bar; its last state stays
        var text = output.ToString();
        Assert.Contains("reading x  [12 req/s]", text);
        Assert.Contains("100%", text);
        progress.Line("done");
        Assert.EndsWith("done" + Environment.NewLine, output.ToString());
    }
}
