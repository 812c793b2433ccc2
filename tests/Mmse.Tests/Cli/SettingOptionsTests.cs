using System.CommandLine;
using Mmse.Cli;
using Mmse.Training;

namespace Mmse.Tests.Cli;

/// <summary>The training flags are generated from <see cref="Settings.All"/>, the table the JSON config uses: they cannot drift.</summary>
public class SettingOptionsTests
{
    private static readonly string[] SettingFlags = [.. Settings.All.Select(s => "--" + s.Name)];

    [Theory]
    [InlineData("train", new[] { "--catalog", "--train", "--valid", "--out", "--config", "--json", "--skip-bad" })]
    [InlineData("experiment", new[] { "--catalog", "--train", "--test", "--out", "--valid", "--truth", "--segments", "--variants", "--rounds", "--skip-bad", "--config", "--seeds", "--backbone", "--backbone-cache" })]
    public void Every_setting_is_an_option_and_every_other_option_is_the_commands_own(string name, string[] own)
    {
        var command = Mmse.Cli.Program.Commands.Single(c => c.Name == name);
        var options = command.Symbols.OfType<Option>().Select(o => o.Name).ToList();
        Assert.Equal(options.Count, options.Distinct(StringComparer.Ordinal).Count());
        foreach (var flag in SettingFlags)
            Assert.Contains(flag, options);
        // experiment's --backbone (the pretrained row) is its own until the settings have one; then it reads that one.
        Assert.Equal(own.Except(SettingFlags, StringComparer.Ordinal).Order(StringComparer.Ordinal), options.Except(SettingFlags, StringComparer.Ordinal).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_generated_options_are_exactly_the_settings_with_booleans_as_flags()
    {
        var options = new SettingOptions().Symbols.Cast<Option>().ToList();
        Assert.Equal(SettingFlags, options.Select(o => o.Name));
        foreach (var (setting, option) in Settings.All.Zip(options))
            Assert.Equal(setting.Kind == SettingKind.Bool, option is Option<bool>);
    }

    [Fact]
    public void A_flag_overrides_the_config_and_a_bad_value_names_the_flag()
    {
        using var dir = new TempDir();
        var config = dir.Write("config.json", """{"heads": 3, "tau": 0.07}""");
        var settings = new SettingOptions();
        var command = new System.CommandLine.Command("t");
        foreach (var option in settings.Symbols.Cast<Option>())
            command.Add(option);
        var (model, train) = settings.Read(command.Parse(["--heads", "4", "--logq"]), config);
        Assert.Equal(4, model.Heads);
        Assert.Equal(0.07f, train.Temperature);
        Assert.True(train.LogQ);

        var bad = CliRunner.Run("train", "--catalog", "c", "--train", "t", "--out", "m", "--heads", "two");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("option '--heads'", bad.Error);
    }
}
