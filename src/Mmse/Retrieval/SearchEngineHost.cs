using System.Diagnostics;

namespace Mmse.Retrieval;

/// <summary>What happened to one reload.</summary>
public enum ReloadOutcome
{
    /// <summary>The new engine is serving.</summary>
    Swapped,

    /// <summary>The load failed; the previous engine keeps serving.</summary>
    Failed,

    /// <summary>Another reload was running; nothing was done.</summary>
    Busy,
}

/// <summary>The result of <see cref="SearchEngineHost.ReloadAsync"/>.</summary>
public sealed record ReloadResult(ReloadOutcome Outcome, string ModelVersion, int Items, TimeSpan Elapsed, string? Error = null)
{
    /// <summary>True when the failure was the input's fault (missing or corrupt file), not a bug.</summary>
    public bool InputError { get; init; }
}

/// <summary>
/// Holds the engine that serves, and swaps in a new one atomically on reload: a search takes a
/// <see cref="Lease"/> on whichever engine is current when it starts and finishes on it, even
/// if a reload swaps engines meanwhile; the old engine is disposed after its last search.
/// </summary>
public sealed class SearchEngineHost : IDisposable
{
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private SearchEngine _current;
    private long _reloads;
    private long _failedReloads;

    public SearchEngineHost(SearchEngine initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = initial;
    }

    /// <summary>The engine serving now (may be retired by the time it is used: prefer <see cref="Acquire"/>).</summary>
    public SearchEngine Current => Volatile.Read(ref _current);

    /// <summary>Successful reloads since start.</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>Failed reloads since start.</summary>
    public long FailedReloads => Interlocked.Read(ref _failedReloads);

    /// <summary>Takes the current engine for one search; dispose the lease when done.</summary>
    public Lease Acquire()
    {
        while (true)
        {
            var engine = Volatile.Read(ref _current);
            if (engine.TryAcquire())
                return new Lease(engine);
            // Retired between the read and the acquire: the swap has already published the
            // next engine, so the next read sees it, unless the host itself was disposed.
            ObjectDisposedException.ThrowIf(ReferenceEquals(engine, Volatile.Read(ref _current)), this);
        }
    }

    /// <summary>Publishes <paramref name="next"/> and retires the previous engine.</summary>
    public void Swap(SearchEngine next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var previous = Interlocked.Exchange(ref _current, next);
        if (!ReferenceEquals(previous, next))
            previous.Dispose();
    }

    /// <summary>
    /// Loads a new engine with <paramref name="loader"/> (off the calling thread) and swaps it in.
    /// A failed load leaves the current engine serving and says why; a reload while another runs
    /// returns <see cref="ReloadOutcome.Busy"/> at once.
    /// </summary>
    public async Task<ReloadResult> ReloadAsync(IEngineLoader loader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loader);
        var start = Stopwatch.GetTimestamp();
        if (!await _reloadGate.WaitAsync(0, cancellationToken).ConfigureAwait(false))
            return Describe(ReloadOutcome.Busy, Current, start, "another reload is running");
        try
        {
            SearchEngine next;
            try
            {
                next = await Task.Run(() => loader.Load(cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failedReloads);
                return Describe(ReloadOutcome.Failed, Current, start, e.Message) with { InputError = e is MmseInputException or IOException or UnauthorizedAccessException };
            }
            Swap(next);
            Interlocked.Increment(ref _reloads);
            return Describe(ReloadOutcome.Swapped, next, start, null);
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    private static ReloadResult Describe(ReloadOutcome outcome, SearchEngine engine, long start, string? error) =>
        new(outcome, engine.ModelVersion, engine.Catalog.Count, Stopwatch.GetElapsedTime(start), error);

    public void Dispose()
    {
        Volatile.Read(ref _current).Dispose();
        _reloadGate.Dispose();
    }

    /// <summary>One search's hold on an engine.</summary>
    public readonly struct Lease : IDisposable
    {
        internal Lease(SearchEngine engine) => Engine = engine;

        public SearchEngine Engine { get; }

        public void Dispose() => Engine?.Release();
    }
}
