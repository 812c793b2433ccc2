using System.Reflection;
using Mmse.Cli.Commands;

namespace Mmse.Cli;

public static class Program
{
    /// <summary>Every command, in the order `mmse --help` lists them. Add new commands here.</summary>
    internal static IReadOnlyList<Command> Commands { get; } =
    [
        new DemoCommand(),
        new SynthCommand(),
        new DataStatsCommand(),
        new TrainCommand(),
        new EvalCommand(),
        new SearchCommand(),
        new EmbedCommand(),
        new IndexCommand(),
        new ExperimentCommand(),
        new Bm25Command(),
        new ServeCommand(),
        new BenchAnnCommand(),
        new BenchGenVectorsCommand(),
    ];

    public static int Main(string[] args)
    {
        // Output (numbers in tables, JSON, reports) must not change with the machine's locale;
        // globalization stays on only for Unicode normalisation (NFKC) in the tokeniser.
        System.Globalization.CultureInfo.DefaultThreadCurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
        System.Globalization.CultureInfo.DefaultThreadCurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
        System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var context = new CliContext(Console.Out, Console.Error, ProgressReporter.ForConsole()) { Cancellation = cancel.Token };
        return Run(args, context);
    }

    /// <summary>Runs the CLI in-process (tests call this): returns the exit code.</summary>
    public static int Run(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help" or "-?")
        {
            context.Out.Write(GeneralHelp());
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        if (args[0] is "--version")
        {
            context.Out.WriteLine($"mmse {Version}");
            return ExitCodes.Ok;
        }

        var (command, consumed) = Find(args);
        if (command is null)
        {
            context.Error.WriteLine($"mmse: unknown command '{string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2))}'. Run 'mmse --help' for the list.");
            return ExitCodes.Usage;
        }
        var cliArgs = new CliArgs(args.Skip(consumed));
        if (cliArgs.HelpRequested)
        {
            context.Out.Write(command.Help.TrimEnd() + Environment.NewLine);
            return ExitCodes.Ok;
        }
        try
        {
            return command.Run(cliArgs, context);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"mmse {command.Name}: {e.Message}");
            context.Error.WriteLine($"Run 'mmse {command.Name} --help' for usage and examples.");
            return ExitCodes.Usage;
        }
        catch (MmseInputException e)
        {
            context.Error.WriteLine($"mmse {command.Name}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine($"mmse {command.Name}: cancelled");
            return ExitCodes.Internal;
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
        {
            context.Error.WriteLine($"mmse {command.Name}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (UnauthorizedAccessException e)
        {
            context.Error.WriteLine($"mmse {command.Name}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e)
        {
            context.Error.WriteLine($"mmse {command.Name}: internal error: {e.Message}");
            if (Environment.GetEnvironmentVariable("MMSE_DEBUG") is "1")
                context.Error.WriteLine(e.ToString());
            else
                context.Error.WriteLine("(set MMSE_DEBUG=1 for the stack trace; please report it)");
            return ExitCodes.Internal;
        }
    }

    private static (Command? Command, int Consumed) Find(string[] args)
    {
        // Longest match first: "data stats" before "data".
        foreach (var command in Commands.OrderByDescending(c => c.Name.Split(' ').Length))
        {
            var words = command.Name.Split(' ');
            if (args.Length >= words.Length && words.SequenceEqual(args.Take(words.Length), StringComparer.Ordinal))
                return (command, words.Length);
        }
        return (null, 0);
    }

    internal static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    internal static string GeneralHelp()
    {
        var width = Commands.Max(c => c.Name.Length) + 2;
        var lines = string.Join(Environment.NewLine, Commands.Select(c => $"  {c.Name.PadRight(width)}{c.Summary}"));
        return $"""
            mmse {Version}: multi-stage, multi-grained semantic embeddings for e-commerce search.

            Usage: mmse <command> [options]      (mmse <command> --help for its options and examples)

            Commands:
            {lines}

            Examples:
              mmse demo                                      generate a marketplace and run everything on it
              mmse data stats --catalog catalog.jsonl --log train.jsonl

            Exit codes: 0 ok, 2 bad usage or bad input, 1 internal error.

            """;
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Internal = 1;
    public const int Usage = 2;
}
