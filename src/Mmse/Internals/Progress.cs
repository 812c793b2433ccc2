using System.Diagnostics;

namespace Mmse;

/// <summary>
/// Progress for long work: a redrawn bar on an interactive terminal, plain lines (at most one
/// every few seconds) when output is redirected, nothing when quiet. Writes to stderr so
/// stdout stays clean for results.
/// </summary>
public sealed class ProgressReporter
{
    private readonly TextWriter _writer;
    private readonly bool _interactive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _lineInterval;
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private string _label = "";
    private readonly Lock _lock = new();

    public ProgressReporter(TextWriter writer, bool interactive, TimeSpan? lineInterval = null)
    {
        _writer = writer;
        _interactive = interactive;
        _lineInterval = lineInterval ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>A reporter that prints nothing.</summary>
    public static ProgressReporter Silent { get; } = new(TextWriter.Null, false, TimeSpan.MaxValue);

    /// <summary>Stderr, with a bar when stderr is a terminal.</summary>
    public static ProgressReporter ForConsole() => new(Console.Error, !Console.IsErrorRedirected);

    public bool IsSilent => ReferenceEquals(_writer, TextWriter.Null);

    /// <summary>Starts a new task: its label prefixes every line.</summary>
    public void Start(string label)
    {
        lock (_lock)
        {
            _label = label;
            _lastDraw = TimeSpan.MinValue;
            _clock.Restart();
        }
    }

    /// <summary>Reports done/total with an optional detail (rates, loss terms). Cheap when throttled.</summary>
    public void Report(double done, double total, string? detail = null)
    {
        if (IsSilent)
            return;
        var now = _clock.Elapsed;
        var interval = _interactive ? TimeSpan.FromMilliseconds(200) : _lineInterval;
        if (done < total && _lastDraw != TimeSpan.MinValue && now - _lastDraw < interval)
            return;
        lock (_lock)
        {
            _lastDraw = now;
            var fraction = total > 0 ? Math.Clamp(done / total, 0, 1) : 0;
            var eta = fraction > 0 ? TimeSpan.FromSeconds(now.TotalSeconds * (1 - fraction) / fraction) : TimeSpan.Zero;
            var text = $"{_label} {fraction * 100,5:F1}% {Format(now)} elapsed, ETA {Format(eta)}{(detail is null ? "" : "  " + detail)}";
            if (_interactive)
            {
                const int width = 24;
                var filled = (int)(fraction * width);
                _writer.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {text}\u001b[K");
                if (done >= total)
                    _writer.WriteLine();
            }
            else
            {
                _writer.WriteLine(text);
            }
            _writer.Flush();
        }
    }

    /// <summary>A plain message on its own line (ends any bar in progress).</summary>
    public void Line(string message)
    {
        if (IsSilent)
            return;
        lock (_lock)
        {
            if (_interactive)
                _writer.Write("\r\u001b[K");
            _writer.WriteLine(message);
            _writer.Flush();
        }
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes:D2}:{t.Seconds:D2}";
}
