using System.CommandLine;
using Mmse.Cli;

namespace Mmse.Tests.Cli;

/// <summary>The option builders of <see cref="CliOptions"/> (they replaced the hand-written CliArgs; same cases, same messages).</summary>
public class CliOptionsTests
{
    private static ParseResult Parse(string[] tokens, params Option[] options)
    {
        var command = new System.CommandLine.Command("test") { TreatUnmatchedTokensAsErrors = false };
        foreach (var option in options)
            command.Add(option);
        return command.Parse(tokens, new ParserConfiguration { ResponseFileTokenReplacer = null });
    }

    private static string Error(ParseResult parsed) => parsed.Errors.Single().Message;

    [Fact]
    public void Optional_numbers_are_null_when_absent_and_parsed_when_present()
    {
        var items = CliOptions.IntOrNull("--items", 1, 10_000);
        var rate = CliOptions.DoubleOrNull("--rate");
        var epochs = CliOptions.IntOrNull("--epochs");
        var beta = CliOptions.DoubleOrNull("--beta");
        var args = Parse(["--items", "1200", "--rate=0.5"], items, rate, epochs, beta);
        Assert.Equal(1200, args.GetValue(items));
        Assert.Equal(0.5, args.GetValue(rate));
        Assert.Null(args.GetValue(epochs));
        Assert.Null(args.GetValue(beta));
        Assert.Empty(args.Errors);
        Assert.Empty(args.UnmatchedTokens);
    }

    [Fact]
    public void Out_of_range_and_malformed_values_are_usage_errors()
    {
        Assert.Equal("option '--items': 5 is out of range [100, 1000]", Error(Parse(["--items", "5"], CliOptions.IntOrNull("--items", 100, 1000))));
        Assert.Equal("option '--items': 'x' is not a whole number", Error(Parse(["--items", "x"], CliOptions.Int("--items", 3))));
        Assert.Equal("option '--items' needs a value", Error(Parse(["--items"], CliOptions.Int("--items", 3))));
        var items = CliOptions.Int("--items", 3);
        Assert.Equal(3, Parse([], items).GetValue(items));
    }

    [Fact]
    public void The_last_occurrence_wins_and_an_alias_counts()
    {
        var k = CliOptions.Int("--k", 10, 1, 100, alias: "-k");
        var parsed = Parse(["--k", "5", "-k", "7"], k);
        Assert.Empty(parsed.Errors);
        Assert.Equal(7, parsed.GetValue(k));
    }

    [Fact]
    public void Unknown_options_and_stray_words_are_refused()
    {
        var result = CliRunner.Run("bench", "gen-vectors", "--out", "x", "--unknown", "2");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--unknown", result.Error);
        var stray = CliRunner.Run("bench", "gen-vectors", "--out", "x", "stray");
        Assert.Equal(2, stray.ExitCode);
        Assert.Contains("unexpected argument 'stray'", stray.Error);
    }

    [Fact]
    public void An_unknown_option_among_the_query_words_is_refused()
    {
        var result = CliRunner.Run("search", "--model", "m", "--catalog", "c", "red", "--bogus", "kettle");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown option '--bogus'", result.Error);
    }
}
