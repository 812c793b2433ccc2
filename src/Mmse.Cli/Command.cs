using System.CommandLine;
using System.Reflection;

namespace Mmse.Cli;

/// <summary>Where a command writes: results to Out, messages and progress to Error.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, ProgressReporter progress)
{
    /// <summary>Results (tables, reports) go here.</summary>
    public TextWriter Out { get; } = output;

    /// <summary>Messages and warnings go here.</summary>
    public TextWriter Error { get; } = error;

    /// <summary>Progress of long work.</summary>
    public ProgressReporter Progress { get; } = progress;

    /// <summary>Cancelled on Ctrl+C; long work checks it between steps.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>Options that several commands share (the HNSW build flags, the training settings).</summary>
internal interface IOptionGroup
{
    /// <summary>The options of the group, in the order they are read.</summary>
    IEnumerable<Symbol> Symbols { get; }
}

/// <summary>
/// One `mmse` command. Commands are thin: parse, build options, call the library. A command
/// declares its System.CommandLine options and arguments as fields (<see cref="Option{T}"/>,
/// <see cref="Argument{T}"/> or an <see cref="IOptionGroup"/>); <see cref="Symbols"/> collects
/// them, so an option cannot be read without also being accepted on the command line.
/// </summary>
public abstract class Command
{
    /// <summary>The words that select it, e.g. "data stats".</summary>
    public abstract string Name { get; }

    /// <summary>One line for `mmse --help`.</summary>
    public abstract string Summary { get; }

    /// <summary>Full help: usage, options with defaults, and at least one example.</summary>
    public abstract string Help { get; }

    /// <summary>Runs the command on a parsed command line; returns the exit code (0 ok). Throws UsageException or MmseInputException for exit 2.</summary>
    public abstract int Run(ParseResult args, CliContext context);

    /// <summary>Every option and argument the command declares as a field.</summary>
    internal IEnumerable<Symbol> Symbols =>
        GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .OrderBy(f => f.MetadataToken)
            .SelectMany(f => f.GetValue(this) switch
            {
                Symbol symbol => [symbol],
                IOptionGroup group => group.Symbols,
                _ => [],
            });
}
