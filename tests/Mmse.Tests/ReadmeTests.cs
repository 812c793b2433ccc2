using System.Text.RegularExpressions;

namespace Mmse.Tests;

/// <summary>The README's set-up commands and command tour stay true to the code and to CI.</summary>
public partial class ReadmeTests
{
    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Mmse.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static string[] SetUpCommands(string readme)
    {
        var section = readme[readme.IndexOf("## Set up", StringComparison.Ordinal)..];
        var block = CodeBlock().Match(section).Groups[1].Value;
        return [.. block.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0)];
    }

    [Fact]
    public void Set_up_has_exactly_the_demo_and_the_test_command_that_CI_runs()
    {
        var root = Root();
        var commands = SetUpCommands(File.ReadAllText(Path.Combine(root, "README.md")));
        Assert.Equal(2, commands.Length);
        Assert.Equal("./mmse demo", commands[0]);
        Assert.StartsWith("dotnet test", commands[1], StringComparison.Ordinal);
        Assert.Contains(commands[1], File.ReadAllText(Path.Combine(root, ".ci", "run")));
        Assert.True(File.Exists(Path.Combine(root, "mmse")));
    }

    [Fact]
    public void The_command_tour_lists_every_command_and_only_real_ones()
    {
        var readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        var tour = readme[readme.IndexOf("## A tour of the commands", StringComparison.Ordinal)..];
        tour = tour[..tour.IndexOf("\n## ", 5, StringComparison.Ordinal)];
        var listed = TourRow().Matches(tour).Select(m => m.Groups[1].Value.Trim()).ToHashSet();
        var registered = Mmse.Cli.Program.Commands.Select(c => c.Name).ToHashSet();
        Assert.Equal(registered.Order(), listed.Order());
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    // "| `./mmse data stats --catalog ...` |": the command words before the first option.
    [GeneratedRegex(@"^\| `\./mmse ((?:[a-z][a-z0-9-]* ?)+)", RegexOptions.Multiline)]
    private static partial Regex TourRow();
}
