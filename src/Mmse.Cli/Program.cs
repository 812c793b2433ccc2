using System.CommandLine;
using System.Reflection;
using Mmse.Cli.Commands;

namespace Mmse.Cli;

/// <summary>The `mmse` executable: finds the command, parses its options with System.CommandLine and runs it.</summary>
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
        new PublishCommand(),
        new BenchAnnCommand(),
        new BenchGenVectorsCommand(),
    ];

    /// <summary>The System.CommandLine tree of every command, and which of ours each leaf is.</summary>
    private static readonly Lazy<(System.CommandLine.Command Root, Dictionary<System.CommandLine.Command, Command> Leaves)> Tree = new(BuildTree);

    /// <summary>Accepted by every command: prints its <see cref="Command.Help"/> (usage and examples).</summary>
    private static readonly Option<bool> HelpFlag = CliOptions.Flag("--help", "-h", "-?");

    /// <summary>No response files (a query may start with '@'), no bundling of short options.</summary>
    private static readonly ParserConfiguration ParserSettings = new() { ResponseFileTokenReplacer = null, EnablePosixBundling = false };

    /// <summary>The process entry point: invariant culture, Ctrl+C cancels, progress on stderr.</summary>
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

        var (root, leaves) = Tree.Value;
        var parsed = root.Parse(args, ParserSettings);
        if (!leaves.TryGetValue(parsed.CommandResult.Command, out var command))
        {
            context.Error.WriteLine($"mmse: unknown command '{string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2))}'. Run 'mmse --help' for the list.");
            return ExitCodes.Usage;
        }
        if (parsed.GetValue(HelpFlag))
        {
            context.Out.Write(command.Help.TrimEnd() + Environment.NewLine);
            return ExitCodes.Ok;
        }
        try
        {
            try
            {
                return RunCommand(command, parsed, context);
            }
            finally
            {
                // A live progress bar ends before any message is written below it.
                context.Progress.Finish();
            }
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

    private static int RunCommand(Command command, ParseResult parsed, CliContext context)
    {
        ThrowOnParseErrors(parsed);
        return command.Run(parsed, context);
    }

    /// <summary>Unknown options and stray words first (typos never pass silently), then bad values.</summary>
    private static void ThrowOnParseErrors(ParseResult parsed)
    {
        if (parsed.UnmatchedTokens.Count > 0)
        {
            var token = parsed.UnmatchedTokens[0];
            throw new UsageException(token.StartsWith('-') ? $"unknown option '{token}'" : $"unexpected argument '{token}'");
        }
        if (parsed.Errors.Count > 0)
            throw new UsageException(parsed.Errors[0].Message);
    }

    /// <summary>
    /// One System.CommandLine command per word: "data stats" is the command "stats" under "data".
    /// Leaves keep unmatched tokens to themselves so <see cref="ThrowOnParseErrors"/> words them.
    /// </summary>
    private static (System.CommandLine.Command, Dictionary<System.CommandLine.Command, Command>) BuildTree()
    {
        var root = new System.CommandLine.Command("mmse");
        var leaves = new Dictionary<System.CommandLine.Command, Command>();
        foreach (var command in Commands)
        {
            var parent = root;
            var words = command.Name.Split(' ');
            foreach (var group in words[..^1])
            {
                var existing = parent.Subcommands.FirstOrDefault(c => c.Name == group);
                if (existing is null)
                {
                    existing = new System.CommandLine.Command(group);
                    parent.Add(existing);
                }
                parent = existing;
            }
            var leaf = new System.CommandLine.Command(words[^1], command.Summary) { TreatUnmatchedTokensAsErrors = false };
            leaf.Add(HelpFlag);
            foreach (var symbol in command.Symbols)
            {
                switch (symbol)
                {
                    case Option option: leaf.Add(option); break;
                    case Argument argument: leaf.Add(argument); break;
                    default: throw new InvalidOperationException($"{command.Name}: {symbol.Name} is neither an option nor an argument");
                }
            }
            parent.Add(leaf);
            leaves.Add(leaf, command);
        }
        return (root, leaves);
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

/// <summary>The exit codes of every command.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A bug or an unexpected failure.</summary>
    public const int Internal = 1;

    /// <summary>Bad usage or bad input: the user's to fix.</summary>
    public const int Usage = 2;
}
