using System.Diagnostics;
using Spectre.Console;

namespace Mmse;

/// <summary>
/// Progress for long work: a live Spectre.Console bar on an interactive terminal, plain lines (at
/// most one every few seconds) when output is redirected, nothing when quiet. Writes to stderr so
/// stdout stays clean for results. Library code reports through <see cref="Start"/>,
/// <see cref="Report"/> and <see cref="Line"/> only, so how it is drawn is this class's business.
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
    private IAnsiConsole? _console;
    private LiveBar? _bar;

    /// <summary>A reporter writing to <paramref name="writer"/>: a live bar when <paramref name="interactive"/>, else a line per <paramref name="lineInterval"/> (default 5 s).</summary>
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

    /// <summary>True for <see cref="Silent"/>.</summary>
    public bool IsSilent => ReferenceEquals(_writer, TextWriter.Null);

    /// <summary>Starts a new task: its label prefixes every line.</summary>
    public void Start(string label)
    {
        lock (_lock)
        {
            StopBar();
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
        // _lastDraw starts at MinValue ("never drawn"); subtracting it would overflow.
        if (done < total && _lastDraw != TimeSpan.MinValue && now - _lastDraw < interval)
            return;
        lock (_lock)
        {
            _lastDraw = now;
            var fraction = total > 0 ? Math.Clamp(done / total, 0, 1) : 0;
            if (_interactive)
            {
                // The bar shows the label and detail, the percentage, elapsed time and ETA: the plain line's information.
                _console ??= AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Ansi = AnsiSupport.Yes,
                    Interactive = InteractionSupport.Yes,
                    Out = new AnsiConsoleOutput(_writer),
                });
                var description = _label + (detail is null ? "" : "  " + detail);
                _bar ??= new LiveBar(_console, description);
                _bar.Update(description, fraction);
                if (done >= total)
                    StopBar();
                return;
            }
            var eta = fraction > 0 ? TimeSpan.FromSeconds(now.TotalSeconds * (1 - fraction) / fraction) : TimeSpan.Zero;
            _writer.WriteLine($"{_label} {fraction * 100,5:F1}% {Format(now)} elapsed, ETA {Format(eta)}{(detail is null ? "" : "  " + detail)}");
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
            StopBar();
            _writer.WriteLine(message);
            _writer.Flush();
        }
    }

    /// <summary>Ends a bar in progress (its last state stays on the screen); the CLI calls it before it writes an error.</summary>
    public void Finish()
    {
        lock (_lock)
            StopBar();
    }

    private void StopBar()
    {
        _bar?.Stop();
        _bar = null;
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes:D2}:{t.Seconds:D2}";

    /// <summary>
    /// One Spectre.Console live progress display. Spectre draws from inside a callback, so the
    /// callback runs on its own task until <see cref="Stop"/>; <see cref="Update"/> only sets values.
    /// </summary>
    private sealed class LiveBar
    {
        private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);
        private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<ProgressTask> _task = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _render;

        public LiveBar(IAnsiConsole console, string description)
        {
            _render = Task.Run(() => console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
                .StartAsync(async context =>
                {
                    _task.TrySetResult(context.AddTask(Describe(description), maxValue: 1));
                    await _stop.Task.ConfigureAwait(false);
                    context.Refresh();
                }));
            _render.ContinueWith(t => _task.TrySetException(t.Exception!.InnerExceptions), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        public void Update(string description, double fraction)
        {
            try
            {
                if (!_task.Task.Wait(StopWait))
                    return;
            }
            catch (AggregateException)
            {
                return; // the display failed to start: the work goes on without it
            }
            var task = _task.Task.Result;
            task.Description = Describe(description);
            task.Value = fraction;
        }

        /// <summary>Spectre refuses an empty task name and reads the description as markup.</summary>
        private static string Describe(string description) =>
            string.IsNullOrWhiteSpace(description) ? "working" : Markup.Escape(description);

        public void Stop()
        {
            _stop.TrySetResult();
            try
            {
                _render.Wait(StopWait);
            }
            catch (AggregateException)
            {
                // A display that failed to draw is no reason to fail the work it reported on.
            }
        }
    }
}
