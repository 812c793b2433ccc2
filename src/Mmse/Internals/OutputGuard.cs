using System.Runtime.InteropServices;

namespace Mmse.Internals;

/// <summary>
/// Checks a command's outputs against its inputs before any work starts, so a mistake costs a
/// second and an exit 2, never an input overwritten or an hour of work thrown away at the end:
/// an output that is one of the inputs (the same file, also through a symbolic or hard link:
/// compared by device and inode, not by name), a folder given where a file is written, a file
/// standing where a folder is needed, an input that is a folder, and a place that cannot be
/// written. Collect the paths with <see cref="Input"/>, <see cref="File"/> and
/// <see cref="Folder"/>, then call <see cref="Check"/>.
/// </summary>
public sealed class OutputGuard
{
    private readonly List<(string Option, string Path)> _inputs = [];
    private readonly List<(string Option, string Path)> _files = [];

    /// <summary>An input the command reads; null (an absent option) is ignored.</summary>
    /// <param name="option">How the user named it, e.g. "--catalog".</param>
    /// <param name="path">The path given.</param>
    public OutputGuard Input(string option, string? path)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (path is not null && !IsBuiltInName(path))
            _inputs.Add((option, path));
        return this;
    }

    /// <summary>A file the command writes; null (an absent option) is ignored.</summary>
    public OutputGuard File(string option, string? path)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (path is not null)
            _files.Add((option, path));
        return this;
    }

    /// <summary>
    /// A folder the command writes into (created when missing), and the names of the files it
    /// writes there; each of those is checked like a <see cref="File"/> output.
    /// </summary>
    public OutputGuard Folder(string option, string? path, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(names);
        if (path is null)
            return this;
        if (System.IO.File.Exists(path))
            ThrowHelper.Input($"option '{option}': {path} is a file; give a folder");
        CheckCreatable(option, path, isFolder: true);
        foreach (var name in names)
            _files.Add((option, Path.Combine(path, name)));
        return this;
    }

    /// <summary>Runs every check; throws <see cref="MmseInputException"/> (exit 2) naming the option and the path.</summary>
    public void Check()
    {
        foreach (var (option, path) in _inputs)
        {
            if (Directory.Exists(path))
                ThrowHelper.Input($"option '{option}': {path} is a folder, not a file");
        }
        for (var i = 0; i < _files.Count; i++)
        {
            var (option, path) = _files[i];
            if (Directory.Exists(path))
                ThrowHelper.Input($"option '{option}': {path} is a folder; give a file name");
            for (var j = 0; j < i; j++)
            {
                if (SamePath(path, _files[j].Path))
                    ThrowHelper.Input($"option '{option}': {path} is also the output of {_files[j].Option}; give each output its own file");
            }
            foreach (var (inputOption, input) in _inputs)
            {
                if (SameFile(path, input))
                {
                    ThrowHelper.Input(inputOption == option
                        ? $"option '{option}': {path} would overwrite an input of this command; choose another output"
                        : $"option '{option}': {path} is the input {inputOption} ({input}); writing it would destroy the input; choose another output");
                }
            }
            CheckCreatable(option, path, isFolder: false);
        }
    }

    /// <summary>
    /// True when both paths name one existing file: same device and inode where the platform
    /// tells them (following links), else the same full path after resolving symbolic links.
    /// </summary>
    public static bool SameFile(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!System.IO.File.Exists(a) || !System.IO.File.Exists(b))
            return false;
        if (FileIdentity.TryGet(a, out var idA) && FileIdentity.TryGet(b, out var idB))
            return idA == idB;
        return SamePath(Resolve(a), Resolve(b));
    }

    /// <summary>The names `mmse serve --model/--index` accept that are not files.</summary>
    private static bool IsBuiltInName(string path) =>
        path is "exact" or "hashing" || path.StartsWith("hashing:", StringComparison.Ordinal);

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b),
            OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static string Resolve(string path)
    {
        try
        {
            return System.IO.File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }

    /// <summary>
    /// The nearest existing folder on the way to <paramref name="path"/> must be a folder and
    /// writable (probed by creating and removing a file, the one test that sees permissions,
    /// read-only mounts and ACLs alike). Nothing is created on the way.
    /// </summary>
    private static void CheckCreatable(string option, string path, bool isFolder)
    {
        var full = Path.GetFullPath(path);
        var at = isFolder ? full : Path.GetDirectoryName(full);
        while (!string.IsNullOrEmpty(at) && !Directory.Exists(at))
        {
            if (System.IO.File.Exists(at))
                ThrowHelper.Input($"option '{option}': cannot write {path}: {at} is a file, not a folder");
            at = Path.GetDirectoryName(at);
        }
        if (string.IsNullOrEmpty(at))
            return;
        var probe = Path.Combine(at, $".mmse-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowHelper.Input($"option '{option}': cannot write {path}: the folder {at} is not writable ({e.Message})");
        }
    }

    /// <summary>The (device, inode) of a file through <c>stat(2)</c>, on Linux.</summary>
    private static unsafe class FileIdentity
    {
        private static readonly delegate* unmanaged<byte*, byte*, int> s_stat = Find();

        public static bool TryGet(string path, out (ulong Device, ulong Inode) id)
        {
            id = default;
            if (s_stat == null)
                return false;
            // Larger than struct stat on every supported platform (144 bytes on Linux x64).
            var buffer = stackalloc byte[512];
            var name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
            fixed (byte* p = name)
            {
                if (s_stat(p, buffer) != 0)
                    return false;
            }
            // Linux x64 and arm64 (the generic layout) both start with st_dev then st_ino, 8 bytes each.
            id = (*(ulong*)buffer, *(ulong*)(buffer + 8));
            return true;
        }

        private static delegate* unmanaged<byte*, byte*, int> Find()
        {
            // Elsewhere (and on glibc before 2.33, which exports only __xstat) resolved names decide.
            if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture is not (Architecture.X64 or Architecture.Arm64))
                return null;
            return NativeLibrary.TryLoad("libc.so.6", out var handle) && NativeLibrary.TryGetExport(handle, "stat", out var stat)
                ? (delegate* unmanaged<byte*, byte*, int>)stat
                : null;
        }
    }
}
