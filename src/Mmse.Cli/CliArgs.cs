using System.Globalization;

namespace Mmse.Cli;

/// <summary>A mistake in the command line: printed with the command's usage line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message)
{
    public UsageException() : this("bad usage") { }

    public UsageException(string message, Exception inner) : this(message + ": " + inner.Message) { }
}

/// <summary>
/// The arguments of one command. Options are taken by name (<c>--name value</c>,
/// <c>--name=value</c> or a short alias); whatever is left must be positionals, and
/// <see cref="Finish"/> rejects anything unknown so typos never pass silently.
/// </summary>
public sealed class CliArgs
{
    private readonly List<string> _tokens;
    private readonly List<bool> _used;

    public CliArgs(IEnumerable<string> tokens)
    {
        _tokens = [];
        foreach (var t in tokens)
        {
            // --name=value splits into two tokens so both spellings behave the same.
            var eq = t.StartsWith("--", StringComparison.Ordinal) ? t.IndexOf('=', StringComparison.Ordinal) : -1;
            if (eq > 2)
            {
                _tokens.Add(t[..eq]);
                _tokens.Add(t[(eq + 1)..]);
            }
            else
            {
                _tokens.Add(t);
            }
        }
        _used = [.. _tokens.Select(_ => false)];
    }

    public bool HelpRequested => _tokens.Any(t => t is "--help" or "-h" or "-?");

    /// <summary>True when the boolean flag is present.</summary>
    public bool Flag(string name, string? alias = null)
    {
        var found = false;
        for (var i = 0; i < _tokens.Count; i++)
        {
            if (!_used[i] && (_tokens[i] == name || _tokens[i] == alias))
            {
                _used[i] = true;
                found = true;
            }
        }
        return found;
    }

    /// <summary>The value of an option, or null when absent. The last occurrence wins.</summary>
    public string? Option(string name, string? alias = null)
    {
        string? value = null;
        for (var i = 0; i < _tokens.Count; i++)
        {
            if (_used[i] || (_tokens[i] != name && _tokens[i] != alias))
                continue;
            if (i + 1 >= _tokens.Count || _used[i + 1])
                throw new UsageException($"option '{name}' needs a value");
            _used[i] = _used[i + 1] = true;
            value = _tokens[i + 1];
        }
        return value;
    }

    public string Required(string name, string? alias = null) =>
        Option(name, alias) ?? throw new UsageException($"option '{name}' is required");

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue, string? alias = null) =>
        IntOrNull(name, min, max, alias) ?? fallback;

    public int? IntOrNull(string name, int min = int.MinValue, int max = int.MaxValue, string? alias = null)
    {
        var text = Option(name, alias);
        if (text is null)
            return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new UsageException($"option '{name}': '{text}' is not a whole number");
        if (value < min || value > max)
            throw new UsageException($"option '{name}': {value} is out of range [{min}, {max}]");
        return value;
    }

    public long Long(string name, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        var text = Option(name);
        if (text is null)
            return fallback;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new UsageException($"option '{name}': '{text}' is not a whole number");
        if (value < min || value > max)
            throw new UsageException($"option '{name}': {value} is out of range [{min}, {max}]");
        return value;
    }

    public double Double(string name, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        DoubleOrNull(name, min, max) ?? fallback;

    public double? DoubleOrNull(string name, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        var text = Option(name);
        if (text is null)
            return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
            throw new UsageException($"option '{name}': '{text}' is not a number");
        if (value < min || value > max)
            throw new UsageException($"option '{name}': {value} is out of range [{min}, {max}]");
        return value;
    }

    /// <summary>One of a fixed set of words.</summary>
    public string Choice(string name, string fallback, params string[] choices)
    {
        var text = Option(name) ?? fallback;
        if (!choices.Contains(text, StringComparer.Ordinal))
            throw new UsageException($"option '{name}': '{text}' is not one of {string.Join(", ", choices)}");
        return text;
    }

    /// <summary>Comma-separated whole numbers, e.g. <c>--ef 16,32,64</c>.</summary>
    public int[]? IntList(string name, int min = int.MinValue)
    {
        var text = Option(name);
        if (text is null)
            return null;
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] < min)
                throw new UsageException($"option '{name}': '{parts[i]}' is not a whole number >= {min}");
        }
        return result;
    }

    /// <summary>Takes the remaining positionals; call after every option has been taken.</summary>
    public List<string> Positionals()
    {
        var result = new List<string>();
        for (var i = 0; i < _tokens.Count; i++)
        {
            if (_used[i]) continue;
            if (_tokens[i].StartsWith("--", StringComparison.Ordinal) && _tokens[i].Length > 2)
                throw new UsageException($"unknown option '{_tokens[i]}'");
            _used[i] = true;
            result.Add(_tokens[i]);
        }
        return result;
    }

    /// <summary>Fails on anything not taken (unknown options, stray words).</summary>
    public void Finish()
    {
        for (var i = 0; i < _tokens.Count; i++)
        {
            if (_used[i]) continue;
            throw new UsageException(_tokens[i].StartsWith('-')
                ? $"unknown option '{_tokens[i]}'"
                : $"unexpected argument '{_tokens[i]}'");
        }
    }
}
