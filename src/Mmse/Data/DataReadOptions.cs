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

    /// <summary>The file format; <see cref="DataFormat.Auto"/> (the default) goes by the file's name (<see cref="DataFormats.Detect"/>).</summary>
    public DataFormat Format { get; init; }

    /// <summary>
    /// Threads for reading a large JSONL search log in chunks: 0 (the default) uses every core,
    /// 1 reads serially. The result is the same either way (chunks are joined in file order,
    /// bad records are reported in line order); the switch is for repeatability checks.
    /// </summary>
    public int Threads { get; init; }

    /// <summary>Bytes per chunk of a parallel read (tests make it tiny to cut lines across chunks). Default 16 MiB.</summary>
    internal int ChunkBytes { get; init; } = 16 << 20;

    /// <summary>How JDsearch files are mapped (used only for that format). Default <see cref="JdSearchOptions.Default"/>.</summary>
    public JdSearchOptions JdSearch { get; init; } = JdSearchOptions.Default;
}

/// <summary>The public data formats of DESIGN §2.</summary>
public enum DataFormat
{
    /// <summary>Decide by the file's name: see <see cref="DataFormats.Detect"/>.</summary>
    Auto,

    /// <summary>One JSON object per line (catalog or search log).</summary>
    Jsonl,

    /// <summary>Catalog as comma-separated values with a header row.</summary>
    Csv,

    /// <summary>Catalog as tab-separated values with a header row.</summary>
    Tsv,

    /// <summary>The JD.com JDsearch dataset: <c>product_data.txt</c> (catalog) and <c>release_data.txt</c> (log).</summary>
    JdSearch,
}

/// <summary>Chooses a reader by file name when the format is not given.</summary>
public static class DataFormats
{
    /// <summary>
    /// <c>.csv</c> and <c>.tsv</c> by extension; a <c>.txt</c> file whose name starts with one of
    /// the JDsearch release's names (<c>product_data</c>, <c>release_data</c>, and the sample
    /// names <c>product_meta_data</c>, <c>user_behavior_data</c>) is JDsearch; anything else is JSONL.
    /// </summary>
    public static DataFormat Detect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = Path.GetFileName(path).ToLowerInvariant();
        var ext = Path.GetExtension(name);
        if (ext == ".csv")
            return DataFormat.Csv;
        if (ext == ".tsv")
            return DataFormat.Tsv;
        if (ext == ".txt" && (name.StartsWith("product_data", StringComparison.Ordinal) || name.StartsWith("release_data", StringComparison.Ordinal)
            || name.StartsWith("product_meta_data", StringComparison.Ordinal) || name.StartsWith("user_behavior_data", StringComparison.Ordinal)))
            return DataFormat.JdSearch;
        return DataFormat.Jsonl;
    }

    /// <summary>The format to read <paramref name="path"/> with: <paramref name="format"/> unless it is <see cref="DataFormat.Auto"/>.</summary>
    public static DataFormat Resolve(string path, DataFormat format) => format == DataFormat.Auto ? Detect(path) : format;
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
