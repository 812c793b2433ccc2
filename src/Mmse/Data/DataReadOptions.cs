namespace Mmse.Data;

/// <summary>How readers treat bad records.</summary>
public sealed record DataReadOptions
{
    /// <summary>Default: stop at the first bad record with <see cref="MmseDataException"/>.</summary>
    public static DataReadOptions Default { get; } = new();

    /// <summary>Count bad records (and keep reading) instead of stopping at the first. Default false.</summary>
    public bool SkipBad { get; init; }

    /// <summary>How many bad-record messages are kept for display with <see cref="SkipBad"/>. Default 5.</summary>
    public int MaxReportedProblems { get; init; } = 5;

    /// <summary>Receives progress (bytes read, total bytes); null for none.</summary>
    public IProgress<(long Done, long Total)>? Progress { get; init; }
}

/// <summary>Bad records met while reading with <see cref="DataReadOptions.SkipBad"/>.</summary>
public sealed class DataProblems
{
    private readonly int _max;
    private readonly List<string> _first = [];

    public DataProblems(int maxReported = 5) => _max = maxReported;

    public long Count { get; private set; }

    /// <summary>The first few problems, formatted with file, line and field.</summary>
    public IReadOnlyList<string> First => _first;

    public void Add(MmseDataException problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        Count++;
        if (_first.Count < _max)
            _first.Add(problem.Message);
    }
}
