using Mmse.Cli;

namespace Mmse.Tests.Cli;

public class CliArgsTests
{
    [Fact]
    public void Optional_numbers_are_null_when_absent_and_parsed_when_present()
    {
        var args = new CliArgs(["--items", "1200", "--rate=0.5"]);
        Assert.Equal(1200, args.IntOrNull("--items", 1, 10_000));
        Assert.Equal(0.5, args.DoubleOrNull("--rate"));
        Assert.Null(args.IntOrNull("--epochs"));
        Assert.Null(args.DoubleOrNull("--beta"));
        args.Finish();
    }

    [Fact]
    public void Out_of_range_and_malformed_values_are_usage_errors()
    {
        Assert.Throws<UsageException>(() => new CliArgs(["--items", "5"]).IntOrNull("--items", 100, 1000));
        Assert.Throws<UsageException>(() => new CliArgs(["--items", "x"]).Int("--items", 3));
        Assert.Throws<UsageException>(() => new CliArgs(["--items"]).Int("--items", 3));
        Assert.Equal(3, new CliArgs([]).Int("--items", 3));
    }

    [Fact]
    public void Unknown_options_and_stray_words_are_refused()
    {
        var args = new CliArgs(["--known", "1", "--unknown", "2"]);
        args.Option("--known");
        var e = Assert.Throws<UsageException>(args.Finish);
        Assert.Contains("--unknown", e.Message);
    }
}
