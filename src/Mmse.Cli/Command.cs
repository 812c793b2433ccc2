namespace Mmse.Cli;

/// <summary>Where a command writes: results to Out, messages and progress to Error.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, ProgressReporter progress)
{
    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public ProgressReporter Progress { get; } = progress;

    /// <summary>Cancelled on Ctrl+C; long work checks it between steps.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>One `mmse` command. Commands are thin: parse, build options, call the library.</summary>
public abstract class Command
{
    /// <summary>The words that select it, e.g. "data stats".</summary>
    public abstract string Name { get; }

    /// <summary>One line for `mmse --help`.</summary>
    public abstract string Summary { get; }

    /// <summary>Full help: usage, options with defaults, and at least one example.</summary>
    public abstract string Help { get; }

    /// <summary>Runs the command; returns the exit code (0 ok). Throws UsageException or MmseInputException for exit 2.</summary>
    public abstract int Run(CliArgs args, CliContext context);
}
