namespace Mmse.Internals;

/// <summary>
/// Writes a file under a temporary name and renames it into place on <see cref="Commit"/>,
/// so a failed or interrupted write never leaves a truncated file where a good one was.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private readonly string _temp;
    private bool _committed;

    public AtomicFile(string path, int bufferSize = 1 << 16)
    {
        Path = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        _temp = $"{Path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Stream = new FileStream(_temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize);
    }

    public string Path { get; }

    public FileStream Stream { get; }

    public void Commit()
    {
        Stream.Flush(flushToDisk: false);
        Stream.Dispose();
        File.Move(_temp, Path, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed)
            return;
        Stream.Dispose();
        try { File.Delete(_temp); } catch (IOException) { }
    }
}
