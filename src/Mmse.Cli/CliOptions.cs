using System.CommandLine;
using System.Globalization;

namespace Mmse.Cli;

/// <summary>A mistake in the command line: printed with the command's usage line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message)
{
    /// <summary>A usage error without details.</summary>
    public UsageException() : this("bad usage") { }

    /// <summary>A usage error caused by another exception, whose message is appended.</summary>
    public UsageException(string message, Exception inner) : this(message + ": " + inner.Message) { }
}

/// <summary>
/// System.CommandLine options with mmse's conventions: <c>--name value</c>, <c>--name=value</c> or
/// a short alias; the last occurrence wins; numbers are read with the invariant culture; and every
/// mistake reads "option '--name': ..." exactly as the messages the README and tests quote.
/// </summary>
internal static class CliOptions
{
    /// <summary>The largest <c>--threads</c> any command accepts: far above any machine's cores, far below a typo.</summary>
    public const int MaxThreads = 1024;

    /// <summary><c>--threads N</c>: worker threads in [0, <see cref="MaxThreads"/>], 0 = all cores.</summary>
    public static Option<int> Threads(int fallback) => Int("--threads", fallback, 0, MaxThreads);

    /// <summary>A text value, null when absent.</summary>
    public static Option<string?> Text(string name, params string[] aliases) =>
        Make<string?>(name, aliases, null, static (text, _) => text);

    /// <summary>A boolean flag: true when present; it takes no value.</summary>
    public static Option<bool> Flag(string name, params string[] aliases) =>
        new(name, aliases) { Arity = ArgumentArity.Zero };

    /// <summary>A whole number in [min, max], <paramref name="fallback"/> when absent.</summary>
    public static Option<int> Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue, string? alias = null) =>
        Make(name, alias is null ? [] : [alias], fallback, (text, n) => ParseInt(text, n, min, max));

    /// <summary>A whole number in [min, max], null when absent.</summary>
    public static Option<int?> IntOrNull(string name, int min = int.MinValue, int max = int.MaxValue) =>
        Make<int?>(name, [], null, (text, n) => ParseInt(text, n, min, max));

    /// <summary>A 64-bit whole number in [min, max], <paramref name="fallback"/> when absent.</summary>
    public static Option<long> Long(string name, long fallback, long min = long.MinValue, long max = long.MaxValue) =>
        Make(name, [], fallback, (text, n) =>
        {
            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                throw new UsageException($"option '{n}': '{text}' is not a whole number");
            if (value < min || value > max)
                throw new UsageException($"option '{n}': {value} is out of range [{min}, {max}]");
            return value;
        });

    /// <summary>A number in [min, max] (NaN refused), <paramref name="fallback"/> when absent.</summary>
    public static Option<double> Double(string name, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        Make(name, [], fallback, (text, n) => ParseDouble(text, n, min, max));

    /// <summary>A number in [min, max] (NaN refused), null when absent.</summary>
    public static Option<double?> DoubleOrNull(string name, double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        Make<double?>(name, [], null, (text, n) => ParseDouble(text, n, min, max));

    /// <summary>One of a fixed set of words, <paramref name="fallback"/> when absent.</summary>
    public static Option<string> Choice(string name, string fallback, params string[] choices) =>
        Make(name, [], fallback, (text, n) => choices.Contains(text, StringComparer.Ordinal)
            ? text
            : throw new UsageException($"option '{n}': '{text}' is not one of {string.Join(", ", choices)}"));

    /// <summary>Comma-separated whole numbers, e.g. <c>--ef 16,32,64</c>; null when absent.</summary>
    public static Option<int[]?> IntList(string name, int min = int.MinValue) =>
        Make<int[]?>(name, [], null, (text, n) =>
        {
            var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var result = new int[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] < min)
                    throw new UsageException($"option '{n}': '{parts[i]}' is not a whole number >= {min}");
            }
            return result;
        });

    /// <summary>The value of a text option the command cannot run without.</summary>
    public static string Required(this ParseResult args, Option<string?> option) =>
        args.GetValue(option) ?? throw new UsageException($"option '{option.Name}' is required");

    /// <summary>
    /// An option whose value is parsed by <paramref name="parse"/> from its last occurrence. Arity
    /// zero-or-more, one token per occurrence: a repeated option is no error (the last wins, as
    /// before) and a missing value is reported in mmse's words rather than the library's.
    /// </summary>
    private static Option<T> Make<T>(string name, string[] aliases, T fallback, Func<string, string, T> parse)
    {
        var option = new Option<T>(name, aliases)
        {
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => fallback,
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0)
                {
                    result.AddError($"option '{name}' needs a value");
                    return fallback;
                }
                try
                {
                    return parse(result.Tokens[^1].Value, name);
                }
                catch (UsageException e)
                {
                    result.AddError(e.Message);
                    return fallback;
                }
            },
        };
        // The parser does not run for "--name" with nothing after it; this check does.
        option.Validators.Add(result =>
        {
            if (!result.Implicit && result.Tokens.Count == 0)
                result.AddError($"option '{name}' needs a value");
        });
        return option;
    }

    private static int ParseInt(string text, string name, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new UsageException($"option '{name}': '{text}' is not a whole number");
        if (value < min || value > max)
            throw new UsageException($"option '{name}': {value} is out of range [{min}, {max}]");
        return value;
    }

    private static double ParseDouble(string text, string name, double min, double max)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
            throw new UsageException($"option '{name}': '{text}' is not a number");
        if (value < min || value > max)
            throw new UsageException($"option '{name}': {value} is out of range [{min}, {max}]");
        return value;
    }
}
