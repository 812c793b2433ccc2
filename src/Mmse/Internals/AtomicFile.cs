namespace Mmse.Internals;

/// <summary>
/// Writes a file under a temporary name and renames it into place on <see cref="Commit"/>,
/// so a failed or interrupted write never leaves a truncated file where a good one was.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private readonly string _temp;
    private bool _committed;

    /// <summary>
    /// Opens a temporary file beside <paramref name="path"/>, creating its folder when missing.
    /// </summary>
    /// <exception cref="MmseInputException">
    /// <paramref name="path"/> is a folder, or its folder cannot be created (a file stands in the way).
    /// </exception>
    public AtomicFile(string path, int bufferSize = 1 << 16)
    {
        Path = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(Path))
            ThrowHelper.Input($"{Path}: is a folder, not a file");
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir))
        {
            try
            {
                Directory.CreateDirectory(dir);
            }
            catch (IOException e)
            {
                // The runtime says only "the file ... already exists"; name what we tried to do.
                ThrowHelper.Input($"{Path}: cannot create the folder '{dir}' ({e.Message})");
            }
        }
        RemoveStaleTemporaries(Path);
        _temp = $"{Path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Stream = new FileStream(_temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize);
    }

    /// <summary>The full path the file appears under on <see cref="Commit"/>.</summary>
    public string Path { get; }

    /// <summary>The temporary file to write into; closed by <see cref="Commit"/> or <see cref="Dispose"/>.</summary>
    public FileStream Stream { get; }

    /// <summary>Flushes and closes the temporary file and renames it over <see cref="Path"/>.</summary>
    public void Commit()
    {
        Stream.Flush(flushToDisk: false);
        Stream.Dispose();
        File.Move(_temp, Path, overwrite: true);
        _committed = true;
    }

    /// <summary>
    /// Removes the temporary files that writers of <paramref name="path"/> left behind when they
    /// were killed (<c>{path}.tmp-{pid}-{guid}</c> whose process is no longer running). A
    /// temporary of a live process, ours included, is left alone; so is any name that does not
    /// parse. Returns how many were removed.
    /// </summary>
    public static int RemoveStaleTemporaries(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full);
        if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir))
            return 0;
        var prefix = System.IO.Path.GetFileName(full) + ".tmp-";
        var removed = 0;
        try
        {
            foreach (var temp in Directory.EnumerateFiles(dir, prefix + "*"))
            {
                var rest = System.IO.Path.GetFileName(temp).AsSpan(prefix.Length);
                var dash = rest.IndexOf('-');
                if (dash <= 0 || !int.TryParse(rest[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                    || rest.Length - dash - 1 != 32 || pid == Environment.ProcessId || IsRunning(pid))
                    continue;
                try
                {
                    File.Delete(temp);
                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another writer removed it first, or it is not ours to remove: leave it.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable folder: the write itself will say what is wrong.
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Without a successful <see cref="Commit"/>, removes the temporary file and leaves <see cref="Path"/> as it was.</summary>
    public void Dispose()
    {
        if (_committed)
            return;
        Stream.Dispose();
        try { File.Delete(_temp); } catch (IOException) { }
    }
}
