using System.CommandLine;
using Mmse.Model;
using Mmse.Training;

namespace Mmse.Cli;

/// <summary>
/// The training and model settings of `train` and `experiment` as options, generated from
/// <see cref="Settings.All"/> (the table the JSON <c>--config</c> file also uses), so flags and
/// config cannot drift: <c>--NAME VALUE</c> per setting, a plain flag for a boolean one.
/// </summary>
internal sealed class SettingOptions : IOptionGroup
{
    private readonly (Setting Setting, Option Option)[] _options =
        [.. Settings.All.Select(s => (s, s.Kind == SettingKind.Bool ? (Option)CliOptions.Flag("--" + s.Name) : CliOptions.Text("--" + s.Name)))];

    /// <inheritdoc/>
    public IEnumerable<Symbol> Symbols => _options.Select(o => o.Option);

    /// <summary>
    /// Defaults (the library's, with <see cref="ModelOptions.CliDefaultBackbone"/> as the backbone),
    /// then the JSON config, then the flags (one mapping: <see cref="Settings"/>).
    /// </summary>
    public (ModelOptions, TrainOptions) Read(ParseResult args, string? configPath)
    {
        var model = ModelOptions.Default.WithBackbone(ModelOptions.CliDefaultBackbone);
        var train = TrainOptions.Default;
        if (configPath is not null)
            (model, train) = Settings.ApplyJson(model, train, configPath);
        foreach (var (setting, option) in _options)
        {
            try
            {
                if (option is Option<bool> flag)
                {
                    if (args.GetValue(flag))
                        (model, train) = setting.Apply(model, train, "true");
                }
                else if (args.GetValue((Option<string?>)option) is { } value)
                {
                    (model, train) = setting.Apply(model, train, value);
                }
            }
            catch (MmseInputException e)
            {
                throw new UsageException($"option '--{setting.Name}': {e.Message}");
            }
        }
        // The same bounds as every other command's --threads (the settings table takes any whole number).
        if (train.Threads is < 0 or > CliOptions.MaxThreads)
            throw new UsageException($"option '--threads': {train.Threads} is out of range [0, {CliOptions.MaxThreads}]");
        return (model.ResolveBackbone(), train);
    }
}
