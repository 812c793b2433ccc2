namespace Mmse.Tests.Cli;

public class ProgramTests
{
    [Fact]
    public void Help_lists_every_command_with_an_example()
    {
        var result = CliRunner.Run("--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("data stats", result.Out);
        Assert.Contains("Examples:", result.Out);
    }

    [Fact]
    public void Every_command_has_help_with_an_example()
    {
        foreach (var command in Mmse.Cli.Program.Commands)
        {
            var result = CliRunner.Run([.. command.Name.Split(' '), "--help"]);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("Usage: mmse " + command.Name, result.Out);
            Assert.Contains("Example", result.Out);
        }
    }

    [Fact]
    public void Unknown_command_and_unknown_option_exit_2()
    {
        Assert.Equal(2, CliRunner.Run("frobnicate").ExitCode);
        var result = CliRunner.Run("data", "stats", "--catalog", "a", "--log", "b", "--bogus", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown option '--bogus'", result.Error);
    }

    [Fact]
    public void Missing_file_exits_2_naming_it()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("data", "stats", "--catalog", dir.File("missing.jsonl"), "--log", dir.File("log.jsonl"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing.jsonl", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }
}
